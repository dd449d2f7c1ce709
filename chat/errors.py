"""The error handler: log with the update's ids, tell the person, keep the step."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from chat.context import BotContext

logger = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    if not isinstance(update, Update):
        logger.error("error outside an update", exc_info=context.error)
        return
    chat = update.effective_chat
    logger.error(
        "error in update %s (chat %s)",
        update.update_id,
        chat.id if chat else "-",
        exc_info=context.error,
    )
    if chat is None:
        return
    if update.callback_query:
        with contextlib.suppress(TelegramError):  # it may have been answered already
            await update.callback_query.answer()
    try:
        await chat.send_message(context.text(update, "common.error"), parse_mode=ParseMode.HTML)
    except TelegramError:
        logger.warning("could not tell chat %s about the error", chat.id)
