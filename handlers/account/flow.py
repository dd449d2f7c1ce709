"""Tu cuenta (/cuenta): what the account holds and the chats signed in to it, with
buttons to change its email address or its password, sign the other chats out, or
delete it. Showing the
account ends the flow at once, so that any command works right after it; each button
starts a flow of its own. Diagram: account.mmd."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler

from chat.common import (
    TYPED_TEXT,
    account_button,
    begin_flow,
    button,
    button_account,
    buttons_off,
    command,
    end_flow,
    say,
)
from chat.context import BotContext, chat_id, user_id
from chat.flow import Flow
from chat.registry import FlowSpec
from handlers.account import keyboards as account_keyboards
from handlers.account.change import choose_new_email, receive_code, receive_new_email
from handlers.account.deletion import confirm_delete, keep, receive_delete_word
from handlers.account.keyboards import (
    ACCOUNT_CHANGE_EMAIL,
    ACCOUNT_CHANGE_PASSWORD,
    ACCOUNT_CONTACT_EMAIL,
    ACCOUNT_DELETE,
    ACCOUNT_DELETE_YES,
    ACCOUNT_KEEP,
    ACCOUNT_SIGN_OUT_OTHERS,
    MENU_ACCOUNT,
)
from handlers.account.password import receive_new_password, receive_new_password_again
from handlers.account.steps import FLOW, Step, begin_change, receive_password, session_over
from handlers.basics import (
    flow_fallbacks,
)
from handlers.csd.steps import local_date
from handlers.email_typo import EMAIL_AS_TYPED, EMAIL_SUGGESTED
from handlers.passwords import secret_step
from handlers.signin import SignInFirst
from services.signin import AccountInfo


@begin_flow(FLOW)
async def start_account(update: Update, context: BotContext) -> Step | int:
    """Show the account; sign in first if the chat is not signed in."""
    account = await SIGN_IN_FIRST.account_or_ask(update, context)
    if isinstance(account, int):
        return account
    return await show_account(update, context, account.id)


async def show_signed_in(update: Update, context: BotContext, account: AccountInfo) -> int:
    return await show_account(update, context, account.id)


SIGN_IN_FIRST = SignInFirst("account.first-sign-in", show_signed_in, offer_next=True)


async def show_account(update: Update, context: BotContext, account_id: int) -> int:
    """The correo, RFC and persona, confirmation, company data and signed-in chats."""
    overview = await context.services.own_account.overview(
        chat_id=chat_id(update), account_id=account_id
    )
    if overview is None:
        return await session_over(update, context)
    t = context.text
    stored_csd = await context.services.csd.current(account_id=account_id)
    csd = (
        t(
            update,
            "account.csd-expired"
            if stored_csd.valid_until <= datetime.now(UTC)
            else "account.csd-on-file",
            serial=stored_csd.serial,
            valid_until=local_date(update, context, stored_csd.valid_until),
        )
        if stored_csd is not None
        else t(update, "account.csd-none")
    )
    await say(
        update,
        context,
        "account.overview",
        keyboard="account",
        email=overview.email,
        rfc=overview.rfc,
        person=t(update, f"signup.person-{overview.person_type.value}"),
        status=t(update, "account.confirmed" if overview.confirmed else "account.unconfirmed"),
        company=t(
            update,
            "account.company-on-file" if overview.company_on_file else "account.company-none",
        ),
        csd=csd,
        chats=t(
            update,
            "account.chats-one" if overview.signed_in_chats <= 1 else "account.chats-many",
            count=overview.signed_in_chats,
        ),
        others=overview.signed_in_chats - 1,
        account=overview.id,
    )
    return end_flow(context)


@begin_flow(FLOW)
async def start_email_change(update: Update, context: BotContext) -> Step | int:
    """«Cambiar correo»: the password first."""
    return await begin_change(update, context, "email", shown_for=button_account(update))


@begin_flow(FLOW)
async def start_password_change(update: Update, context: BotContext) -> Step | int:
    """«Cambiar contraseña»: the current password first."""
    return await begin_change(update, context, "password", shown_for=button_account(update))


@begin_flow(FLOW)
async def start_delete(update: Update, context: BotContext) -> Step | int:
    """«Eliminar mi cuenta»: the password first."""
    return await begin_change(update, context, "delete", shown_for=button_account(update))


@begin_flow(FLOW)
async def sign_out_others(update: Update, context: BotContext) -> int:
    """Close the sessions of every other chat signed in to the account; say how many."""
    account = await context.services.signin.current_account(chat_id(update))
    shown_for = button_account(update)
    if account is not None and shown_for not in (None, account.id):
        await say(update, context, "account.other-account-button")
        return end_flow(context)
    closed = None
    if account is not None:
        closed = await context.services.own_account.sign_out_others(
            chat_id=chat_id(update), account_id=account.id, user_id=user_id(update)
        )
    if closed is None:
        return await session_over(update, context)
    await say(
        update,
        context,
        {0: "account.no-other-chats", 1: "account.signed-out-other"}.get(
            closed, "account.signed-out-others"
        ),
        count=closed,
    )
    return end_flow(context)


@begin_flow(FLOW)
async def use_email_for_contact(update: Update, context: BotContext) -> int:
    """Make the account's address the company's contact address too."""
    account = await context.services.signin.current_account(chat_id(update))
    shown_for = button_account(update)
    if account is not None and shown_for not in (None, account.id):
        await say(update, context, "account.other-account-button")
        return end_flow(context)
    email = None
    if account is not None:
        email = await context.services.companies.use_account_email_for_contact(
            chat_id=chat_id(update), account_id=account.id
        )
    if email is None:
        return await session_over(update, context)
    await buttons_off(update)
    await say(update, context, "account.contact-email-updated", email=email)
    return end_flow(context)


def build_account_conversation() -> Flow:
    return Flow(
        FLOW,
        entry_points=[
            command("account", start_account),
            button(start_account, MENU_ACCOUNT),
            account_button(start_email_change, ACCOUNT_CHANGE_EMAIL),
            account_button(start_password_change, ACCOUNT_CHANGE_PASSWORD),
            account_button(start_delete, ACCOUNT_DELETE),
            account_button(sign_out_others, ACCOUNT_SIGN_OUT_OTHERS),
            account_button(use_email_for_contact, ACCOUNT_CONTACT_EMAIL),
        ],
        states={
            **SIGN_IN_FIRST.states(),
            Step.PASSWORD: secret_step(receive_password),
            Step.NEW_EMAIL: [MessageHandler(TYPED_TEXT, receive_new_email)],
            Step.NEW_EMAIL_TYPO: [
                CallbackQueryHandler(
                    choose_new_email,
                    pattern=f"^({EMAIL_SUGGESTED}|{EMAIL_AS_TYPED})$",
                ),
                MessageHandler(TYPED_TEXT, receive_new_email),
            ],
            Step.CODE: [MessageHandler(TYPED_TEXT, receive_code)],
            Step.NEW_PASSWORD: secret_step(receive_new_password),
            Step.NEW_PASSWORD_AGAIN: secret_step(receive_new_password_again),
            Step.CONFIRM_DELETE: [
                button(confirm_delete, ACCOUNT_DELETE_YES),
                button(keep, ACCOUNT_KEEP),
            ],
            Step.DELETE_WORD: [MessageHandler(TYPED_TEXT, receive_delete_word)],
        },
        fallbacks=flow_fallbacks(),
    )


ACCOUNT = FlowSpec(
    FLOW,
    ("cuenta", "account"),
    menu=70,
    starts_flow=True,
    build=lambda: [build_account_conversation()],
    order=40,
    keyboards=account_keyboards.KEYBOARDS,
    affirmative=account_keyboards.AFFIRMATIVE,
    negative=account_keyboards.NEGATIVE,
    secret_prompts=frozenset({"account.ask-password", "account.ask-new-password"}),
)
