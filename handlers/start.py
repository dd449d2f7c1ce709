"""/start with its menu, the answer when no flow is going on, and the guards that run before
the flows (other chats than private ones, edited messages)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from chat.common import (
    ask_again,
    close_buttons,
    command,
    delete_late_secret,
    say,
)
from chat.context import BotContext, Handler, chat_id
from chat.registry import FlowSpec, registered
from chat.secrets import secret_recent
from handlers.basics import (
    LEAVE_YES,
    MENU_HELP,
    answered_everywhere,
    awaits_confirmation,
    leave_for_command,
    menu_for,
    show_help,
    stale_button,
)
from handlers.groups import outside_private_chats
from handlers.menus import NEXT_LATER
from handlers.missing_mail import says_mail_missing
from handlers.passwords import awaits_secret, not_a_secret
from handlers.support import typed_after_offer

logger = logging.getLogger(__name__)


async def start(update: Update, context: BotContext) -> None:
    """Greet and offer as buttons what fits: the flows, or to a signed-in person what a
    signed-in person can do, naming the account."""
    user = update.effective_user
    name = user.first_name if user else ""
    account = await context.services.signin.current_account(chat_id(update))
    if account is None:
        keyboard = "menu-pending" if awaits_confirmation(context) else "menu"
        await say(update, context, "start.greeting", keyboard=keyboard, name=name)
        return
    await say(
        update,
        context,
        "next.greeting-signed-in",
        keyboard="signed-in",
        name=name,
        email=account.email,
    )


async def idle(update: Update, context: BotContext) -> None:
    """Outside any flow: a short hint and the menu that fits the chat; before it, soon
    after a secret was asked for, the message is deleted (it may be the secret). «No me
    llegó» while this chat's sign-up waits for its code: the help about that email."""
    note = await delete_late_secret(update, context)
    if note is None and await typed_after_offer(update, context):
        return
    message = update.effective_message
    if (
        note is None
        and message
        and says_mail_missing(message.text)
        and awaits_confirmation(context)
    ):
        await say(update, context, "confirm.missing-mail", keyboard="after-signup")
        return
    keyboard = await menu_for(update, context)
    if note is None:
        await say(update, context, "common.idle", keyboard=keyboard)
    else:
        await say(
            update, context, note, keyboard=keyboard, prompt=context.text(update, "common.idle")
        )


async def later(update: Update, context: BotContext) -> None:
    """«Más tarde» after confirming: the company data can wait; /empresa works any time."""
    await close_buttons(update)
    await say(update, context, "next.later")


def describe(update: Update) -> str:
    """What kind of update this is, without its content (which may hold a secret)."""
    if update.callback_query:
        return f"button {update.callback_query.data}"
    if update.my_chat_member:
        return f"membership {update.my_chat_member.new_chat_member.status}"
    message = update.effective_message
    if message is None:
        return "other"
    if message.text and message.text.startswith("/"):
        # Only known commands are named: a password may begin with "/" too.
        name = message.text.split()[0][1:].split("@")[0].lower()
        return f"command /{name}" if registered().known_command.match(f"/{name}") else "text"
    kinds = ("text", "sticker", "photo", "document", "voice", "video", "contact", "location")
    kind = next((name for name in kinds if getattr(message, name, None)), "message")
    return f"edited {kind}" if update.edited_message else kind


async def log_update(update: Update, context: BotContext) -> None:
    if not logger.isEnabledFor(logging.INFO):
        return
    chat = update.effective_chat
    logger.info(
        "update %s chat %s: %s", update.update_id, chat.id if chat else "-", describe(update)
    )


async def edited(update: Update, context: BotContext) -> None:
    """An edited message is not read again as an answer: ask to send it anew. Where a
    secret is awaited, or was asked for a moment ago, what was typed into it may be one:
    it is deleted."""
    if awaits_secret(context) or (context.chat.flow is None and secret_recent(context)):
        await not_a_secret(update, context)
    elif context.chat.flow is not None:
        await ask_again(update, context, "common.edited")
    else:
        await say(update, context, "common.edited-idle")
    raise ApplicationHandlerStop


def log_handlers() -> list[Handler]:
    """One log line per update (group -5)."""
    return [TypeHandler(Update, log_update)]


def guard_handlers() -> list[Handler]:
    """Run before the flows (group -4)."""
    return [
        outside_private_chats(),
        MessageHandler(filters.UpdateType.EDITED, edited),
    ]


def idle_handlers() -> list[Handler]:
    """After every flow: what is left when no flow took the update."""
    return [
        command("start", start),
        *answered_everywhere(),
        CallbackQueryHandler(show_help, pattern=f"^{MENU_HELP}$"),
        CallbackQueryHandler(later, pattern=f"^{NEXT_LATER}$"),
        # «Sí, dejarlo» once the flow has ended all the same: the command chosen still runs.
        CallbackQueryHandler(leave_for_command, pattern=f"^{LEAVE_YES}$"),
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.ALL, idle),
    ]


START = FlowSpec("start", ("start",), menu=0, in_help=False)
# One log line per update, then the guards, before anything else (their own groups).
LOG = FlowSpec("log", build=log_handlers, group=-5)
GUARDS = FlowSpec("guards", build=guard_handlers, group=-4)
# After every flow (and the admin's commands): what is left when no flow took the update.
IDLE = FlowSpec("idle", build=idle_handlers, order=1010)
