"""Groups, supergroups and channels: the bot works in private chats only, where what a
person types stays between them and the bot. Added to such a chat, or written to in one,
it says so once, with a link to its private chat, and leaves; anything else from there is
ignored, and nothing of the chat is kept."""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import ApplicationHandlerStop, BaseHandler

from chat.common import say
from chat.context import BotContext

logger = logging.getLogger(__name__)

_PRESENT = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


class OutsidePrivateChats(BaseHandler[Update, BotContext, None]):
    """Takes every update of a chat that is not private, whatever its kind."""

    def check_update(self, update: object) -> bool:
        if not isinstance(update, Update):
            return False
        chat = update.effective_chat
        return chat is not None and chat.type != ChatType.PRIVATE


def _joined(update: Update) -> bool:
    change = update.my_chat_member
    return change is not None and change.new_chat_member.status in _PRESENT


async def leave(update: Update, context: BotContext) -> None:
    """Say once where to find the bot and leave; answer a button silently; ignore the rest."""
    chat = update.effective_chat
    assert chat is not None
    try:
        if update.callback_query:
            with contextlib.suppress(BadRequest):  # the query may be too old to answer
                await update.callback_query.answer()
        elif _joined(update) or update.message or update.channel_post:
            # A chat where the bot may not write (BadRequest) is left all the same.
            with contextlib.suppress(BadRequest):
                await say(update, context, "common.private-only", link=context.bot.link)
            await chat.leave()
            logger.info("left %s %s", chat.type, chat.id)
    except Forbidden:
        # Already gone: this update was on its way when the bot left, and it said its piece.
        pass
    finally:
        # PTB made chat data for this update; drop it, so that nothing of the chat is stored.
        context.application.drop_chat_data(chat.id)
    raise ApplicationHandlerStop


def outside_private_chats() -> OutsidePrivateChats:
    return OutsidePrivateChats(leave)
