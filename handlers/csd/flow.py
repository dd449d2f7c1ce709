"""El Certificado de Sello Digital (/csd, /certificate): the stored one with buttons to
replace or delete it, or the two files, the key's password and the checks of a PAC.
Showing the stored CSD ends the flow, so that any command works next; its buttons start
the flow again. Diagram: csd.mmd."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from telegram import Update
from telegram.ext import MessageHandler, filters

from chat.common import (
    TYPED_TEXT,
    account_button,
    ask,
    begin_flow,
    button,
    button_account,
    buttons_off,
    close_buttons,
    command,
    say,
)
from chat.context import BotContext, chat_id
from chat.flow import Flow
from chat.registry import FlowSpec
from handlers.basics import (
    flow_fallbacks,
)
from handlers.csd import keyboards as csd_keyboards
from handlers.csd.checks import (
    after_files,
    agree_to_replace,
    keep_name,
    keep_stored,
    receive_password,
    use_certificate_name,
)
from handlers.csd.keyboards import (
    CSD_DELETE,
    CSD_DELETE_YES,
    CSD_KEEP,
    CSD_KEEP_NAME,
    CSD_REPLACE,
    CSD_REPLACE_YES,
    CSD_USE_NAME,
    MENU_CSD,
)
from handlers.csd.steps import FLOW, CsdDraft, Step, finish, local_date
from handlers.csd.upload import (
    ask_files,
    receive_document,
    receive_other,
    receive_photo,
    receive_sticker,
    receive_text,
    receive_text_at_buttons,
)
from handlers.passwords import secret_step
from handlers.privacy import may_store
from handlers.signin import SignInFirst
from services.signin import AccountInfo

logger = logging.getLogger(__name__)

DOCUMENT = filters.Document.ALL


@begin_flow(FLOW)
async def start_csd(update: Update, context: BotContext) -> Step | int:
    """Show the stored CSD, go on with the files sent so far, or ask for them; sign in
    first if needed."""
    if update.callback_query:
        await drop_buttons(update)
    account = await SIGN_IN_FIRST.account_or_ask(update, context)
    if isinstance(account, int):
        return account
    return await open_csd(update, context, account)


async def open_csd(update: Update, context: BotContext, account: AccountInfo) -> Step | int:
    """Files sent before for this account: go on; else the stored CSD; else ask."""
    if not context.services.csd.available():
        logger.error("/csd: DATA_ENCRYPTION_KEY is not set, so no CSD can be stored")
        await say(update, context, "csd.unavailable")
        return finish(context)
    current = context.chat.draft(CsdDraft)
    if (
        current is not None
        and current.account_id == account.id
        and (current.certificate or current.key)
    ):
        return await after_files(update, context)
    stored = await context.services.csd.current(account_id=account.id)
    if stored is not None:
        context.chat.drop(CsdDraft)
        await say(
            update,
            context,
            "csd.stored",
            keyboard="csd-stored",
            serial=stored.serial,
            holder=stored.holder,
            rfc=stored.rfc,
            validity=context.text(
                update,
                "csd.expired-on" if stored.valid_until <= datetime.now(UTC) else "csd.valid-until",
                valid_until=local_date(update, context, stored.valid_until),
            ),
            account=account.id,
        )
        return finish(context)
    return await begin_upload(update, context, account)


async def begin_upload(update: Update, context: BotContext, account: AccountInfo) -> Step | int:
    """A new draft, and the two files asked for (once the aviso de privacidad in force is
    accepted: until then nothing is asked)."""
    if not await may_store(update, context):
        return finish(context)
    context.chat.keep(CsdDraft(account_id=account.id, rfc=account.rfc))
    await say(update, context, "csd.intro")
    return await ask_files(update, context)


async def drop_buttons(update: Update) -> None:
    """Take the buttons off the message pressed (begin_flow has answered the press): by
    the next thing said, edited into it (chat.common.buttons_off)."""
    await buttons_off(update)


async def account_of_button(update: Update, context: BotContext) -> AccountInfo | None:
    """The chat's account, if the button pressed was shown for it (else it is said)."""
    await drop_buttons(update)
    account = await context.services.signin.current_account(chat_id(update))
    if account is None:
        await say(update, context, "csd.first-sign-in")
        return None
    if button_account(update) not in (None, account.id):
        await say(update, context, "csd.other-account-button")
        return None
    return account


# Not signed in: the sign-in first; files already sent wait in the draft for the next /csd.
SIGN_IN_FIRST = SignInFirst("csd.first-sign-in", open_csd)


@begin_flow(FLOW)
async def start_replace(update: Update, context: BotContext) -> Step | int:
    """«Reemplazar»: the new files (the replacement is agreed once the new serial is seen)."""
    account = await account_of_button(update, context)
    if account is None:
        return finish(context)
    return await begin_upload(update, context, account)


@begin_flow(FLOW)
async def start_delete(update: Update, context: BotContext) -> Step | int:
    """«Eliminar»: ask before deleting."""
    account = await account_of_button(update, context)
    if account is None:
        return finish(context)
    stored = await context.services.csd.current(account_id=account.id)
    if stored is None:
        await say(update, context, "csd.nothing-to-delete")
        return finish(context)
    context.chat.keep(CsdDraft(account_id=account.id, rfc=account.rfc, asked_about=stored.serial))
    await ask(update, context, "csd.confirm-delete", keyboard="csd-delete", serial=stored.serial)
    return Step.CONFIRM_DELETE


async def confirm_delete(update: Update, context: BotContext) -> int:
    """«Sí, eliminarlo»: the CSD, its key and its password go."""
    await close_buttons(update)
    current = context.chat.draft(CsdDraft)
    account = await context.services.signin.current_account(chat_id(update))
    if current is None or account is None or account.id != current.account_id:
        await say(update, context, "csd.first-sign-in")
        return finish(context)
    deleted = await context.services.csd.delete(account_id=account.id, serial=current.asked_about)
    if deleted:
        await say(update, context, "csd.deleted")
        return finish(context)
    stored = await context.services.csd.current(account_id=account.id)
    if stored is None:
        await say(update, context, "csd.nothing-to-delete")
    else:  # replaced from another chat since the question: not the one it named
        await say(update, context, "csd.changed-meanwhile", serial=stored.serial)
    return finish(context)


def file_step() -> list[Any]:
    """Where files are awaited: a document is read; anything else gets its reason."""
    return [
        MessageHandler(DOCUMENT, receive_document),
        MessageHandler(TYPED_TEXT, receive_text),
        MessageHandler(filters.PHOTO, receive_photo),
        MessageHandler(filters.Sticker.ALL, receive_sticker),
        MessageHandler(~filters.COMMAND, receive_other),
    ]


def build_csd_conversation() -> Flow:
    return Flow(
        FLOW,
        entry_points=[
            command("csd", start_csd),
            button(start_csd, MENU_CSD),
            account_button(start_replace, CSD_REPLACE),
            account_button(start_delete, CSD_DELETE),
        ],
        states={
            **SIGN_IN_FIRST.states(),
            Step.FILES: file_step(),
            Step.CONFIRM_REPLACE: [
                button(agree_to_replace, CSD_REPLACE_YES),
                button(keep_stored, CSD_KEEP),
                MessageHandler(DOCUMENT, receive_document),
                MessageHandler(TYPED_TEXT, receive_text_at_buttons),
            ],
            # A file sent again here replaces its kind; anything else may hold the password.
            Step.PASSWORD: [
                MessageHandler(DOCUMENT, receive_document),
                *secret_step(receive_password),
            ],
            Step.NAME: [
                button(use_certificate_name, CSD_USE_NAME),
                button(keep_name, CSD_KEEP_NAME),
                MessageHandler(TYPED_TEXT, receive_text_at_buttons),
            ],
            Step.CONFIRM_DELETE: [
                button(confirm_delete, CSD_DELETE_YES),
                button(keep_stored, CSD_KEEP),
                MessageHandler(TYPED_TEXT, receive_text_at_buttons),
            ],
        },
        fallbacks=flow_fallbacks(),
    )


CSD = FlowSpec(
    FLOW,
    ("csd", "certificate"),
    menu=60,
    starts_flow=True,
    build=lambda: [build_csd_conversation()],
    order=50,
    keyboards=csd_keyboards.KEYBOARDS,
    affirmative=csd_keyboards.AFFIRMATIVE,
    negative=csd_keyboards.NEGATIVE,
    secret_prompts=frozenset({"csd.ask-password"}),
)
