"""Membership of groups, supergroups and channels: the ChatMemberUpdated shape Telegram
sends as my_chat_member, and leaveChat."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from emulator.registry import Params, int_param, method
from emulator.world import BotAccount, Chat, User, bad_request, now

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator

# What an administrator may do, as getChatMember reports it (all fields are required).
_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": True,
    "can_edit_stories": True,
    "can_delete_stories": True,
}


def chat_member(user: User, status: str, chat: Chat) -> dict[str, Any]:
    """A ChatMember of `status`: member, administrator, left or kicked."""
    member: dict[str, Any] = {"status": status, "user": user.to_api()}
    if status == "administrator":
        member.update(_ADMIN_RIGHTS)
        if chat.type == "channel":
            member.update(can_post_messages=True, can_edit_messages=True)
    elif status == "kicked":
        member["until_date"] = 0
    return member


def my_chat_member(chat: Chat, by: User, old: str, new: str) -> dict[str, Any]:
    """The update a bot gets when `by` changes its status in `chat` from `old` to `new`."""
    bot = chat.bot.user
    return {
        "my_chat_member": {
            "chat": chat.to_api(),
            "from": by.to_api(),
            "date": now(),
            "old_chat_member": chat_member(bot, old, chat),
            "new_chat_member": chat_member(bot, new, chat),
        }
    }


@method("leaveChat")
async def leave_chat(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    chat = bot.chat(int_param(params, "chat_id"))  # 403 when the bot is not in it
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    if chat.refuses_leaving is not None:
        raise chat.refuses_leaving
    was, chat.bot_status = chat.bot_status, "left"
    async with chat.changed:
        chat.changed.notify_all()
    # Telegram tells the bot about its own departure, like any change of its status.
    await bot.push_update(my_chat_member(chat, bot.user, was, "left"))
    return True
