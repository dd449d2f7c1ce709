"""Groups, supergroups and channels: the bot works in private chats only, where what a
person types stays between them and the bot. Added to such a chat, or written to in one,
it says so once, with a link to its private chat, and leaves; anything else from there is
ignored, and nothing of the chat is kept. Whatever leaving answers (the chat moved to a
supergroup, flood control, a network failure, a refusal), nothing from such a chat goes
further than here.

Telegram Business updates are ignored too: when a business account connects the bot, a
customer's message to that business comes with the customer's id as its chat's, the id of
the customer's own chat with the bot, and must not be taken for it."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler

from chat.common import say
from chat.context import BotContext

logger = logging.getLogger(__name__)

_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


class OutsidePrivateChats(BaseHandler[Update, BotContext, None]):
    """Takes every update of a chat that is not private, whatever its kind, and every
    Telegram Business update."""

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update):
            return False
        if _business(update):
            return True
        chat = update.effective_chat
        return chat is not None and chat.type != ChatType.PRIVATE


def _business(update: Update) -> bool:
    return any(
        (
            update.business_connection,
            update.business_message,
            update.edited_business_message,
            update.deleted_business_messages,
        )
    )


def _joined(update: Update) -> bool:
    change = update.my_chat_member
    return change is not None and change.new_chat_member.status in _PRESENT


async def leave(update: Update, context: BotContext) -> None:
    """Say once where to find the bot and leave; answer a button silently; ignore the rest
    (a business update wholly: its chat data is the customer's own chat's)."""
    chat = update.effective_chat
    if _business(update) or chat is None:
        raise ApplicationHandlerStop
    try:
        if update.callback_query:
            with contextlib.suppress(BadRequest):  # the query may be too old to answer
                await update.callback_query.answer()
        elif _joined(update) or update.message or update.channel_post:
            await _farewell(update, context)
            await chat.leave()
            logger.info("left %s %s", chat.type, chat.id)
    except Forbidden:
        # Already gone: this update was on its way when the bot left, and it said its piece.
        pass
    except TelegramError as error:
        # Still in the chat: its next message brings another try. Until then it is ignored.
        logger.warning("could not leave %s %s: %s", chat.type, chat.id, error)
    raise ApplicationHandlerStop


async def _farewell(update: Update, context: BotContext) -> None:
    """Say where to find the bot. A chat where it may not write, or a failure to send, is
    left all the same; Forbidden (gone already) goes up."""
    try:
        await say(update, context, "common.private-only", link=context.bot.link)
    except Forbidden:
        raise
    except TelegramError as error:
        logger.info("no farewell before leaving: %s", error)


def outside_private_chats() -> OutsidePrivateChats:
    return OutsidePrivateChats(leave)
