"""A new aviso de privacidad (`PRIVACY_NOTICE_VERSION` changed): each signed-in person is
asked once, at their next message, to accept it, with a short summary, the full notice's
link and a button; accepting records the version and the time, as a sign-up does.
Accounts made before acceptance was recorded are asked alike.

Until it is accepted, everything that reads, corrects or deletes what the person gave
still works (/cuenta, /empresa to see and correct it, /csd to see or delete it, /privacidad,
/salir, /ayuda, /soporte, /cancelar); only what stores new data waits for it: saving
/empresa's data for the first time and sending a CSD. The company form is kept as it was,
to be saved after accepting."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, BaseHandler, CallbackQueryHandler, TypeHandler

from chat.common import ask_again, buttons_off, say
from chat.context import BotContext, chat_id
from chat.keyboards import Text, Values, rows
from chat.registry import FlowSpec

PRIVACY_ACCEPT = "privacy:accept"


def privacy_accept(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(t, [[("privacy.button-accept", PRIVACY_ACCEPT)]])


async def remind(update: Update, context: BotContext) -> None:
    """Before the flows see a private message: the new notice, once per chat and version."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    if not (update.message or update.callback_query):
        return
    version = context.services.operator.privacy_notice_version
    account_id = await context.services.signin.privacy_due(chat_id=chat.id, version=version)
    if account_id is None:
        return
    asked = f"{account_id}:{version}"
    if context.chat.privacy_asked == asked:
        return
    context.chat.privacy_asked = asked
    await _notice(update, context, "privacy.updated", "privacy.updated-link")


async def may_store(update: Update, context: BotContext) -> bool:
    """Whether the chat's account has accepted the notice in force; if not, it is said
    that storing new data waits for it, with the notice's button."""
    version = context.services.operator.privacy_notice_version
    due = await context.services.signin.privacy_due(chat_id=chat_id(update), version=version)
    if due is None:
        return True
    await _notice(update, context, "privacy.accept-first", "privacy.accept-first-link")
    return False


async def _notice(update: Update, context: BotContext, key: str, linked: str) -> None:
    """`key`, or `linked` when the full notice has an address; with the button."""
    operator = context.services.operator
    url = operator.privacy_notice_url
    await say(
        update,
        context,
        linked if url else key,
        keyboard="privacy-accept",
        version=operator.privacy_notice_version,
        url=url or "",
    )


async def accept(update: Update, context: BotContext) -> None:
    """The button: record the acceptance; inside a flow, then the question in hand."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await buttons_off(update)
    version = context.services.operator.privacy_notice_version
    signin = context.services.signin
    account = await signin.current_account(chat_id(update))
    if account is None:
        await say(update, context, "privacy.accept-signed-out")
        raise ApplicationHandlerStop
    due = await signin.privacy_due(chat_id=chat_id(update), version=version)
    if due is not None:
        await signin.accept_privacy(chat_id=chat_id(update), account_id=due, version=version)
    await say(update, context, "privacy.accepted", version=version)
    if context.chat.flow is not None:
        await ask_again(update, context, "help.still-waiting")
    raise ApplicationHandlerStop


def privacy_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    """After the guard against groups, before the flows (their own group)."""
    return [
        CallbackQueryHandler(accept, pattern=f"^{PRIVACY_ACCEPT}$"),
        TypeHandler(Update, remind),
    ]


# After the guard against groups, before the flows: the notice's acceptance.
PRIVACY_GATE = FlowSpec("privacy-gate", build=privacy_handlers, group=-2)
# /privacidad answers everywhere (handlers.basics.show_privacy); the notice's acceptance
# is asked before a flow stores data (privacy_handlers).
PRIVACY = FlowSpec(
    "privacy",
    ("privacidad", "privacy"),
    menu=110,
    keyboards={"privacy-accept": privacy_accept},
)
