"""/start with its menu, the answer when no flow is going on, and private-chats-only."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot import keyboards
from bot.context import BotContext
from handlers.common import cancel, command, say, show_help, stale_button


async def start(update: Update, context: BotContext) -> None:
    """Greet and offer the flows as buttons."""
    user = update.effective_user
    await say(
        update, context, "start.greeting", keyboard="menu", name=user.first_name if user else ""
    )


async def idle(update: Update, context: BotContext) -> None:
    """Outside any flow: a short hint and the menu."""
    await say(update, context, "common.idle", keyboard="menu")


async def private_only(update: Update, context: BotContext) -> None:
    if update.effective_message is not None and update.effective_message.text:
        await say(update, context, "common.private-only")
    raise ApplicationHandlerStop


def guard_handlers() -> list[BaseHandler]:
    """Run before everything else (group -1)."""
    return [MessageHandler(~filters.ChatType.PRIVATE, private_only)]


def idle_handlers() -> list[BaseHandler]:
    """After every flow: what is left when no flow took the update."""
    return [
        command("start", start),
        command("help", show_help),
        command("cancel", cancel),
        CallbackQueryHandler(show_help, pattern=f"^{keyboards.MENU_HELP}$"),
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.ALL, idle),
    ]
