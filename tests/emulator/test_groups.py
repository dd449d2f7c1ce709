"""Groups, supergroups and channels in the emulator, as Telegram shows them to a bot:
membership updates, leaveChat, the errors of a chat the bot left, and allowed_updates."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot, ChatMemberAdministrator, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter

from emulator import BotApiEmulator, Group, Person
from emulator.flood import TooManyRequests
from emulator.world import bad_gateway, bad_request, migrated

TOKEN = "42:emulator-groups"


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emulator.base_url, base_file_url=emulator.file_url) as bot:
        yield bot


async def test_added_to_a_group_the_bot_gets_my_chat_member_and_the_service_message(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    group = Group(emulator, TOKEN, title="Contabilidad")
    await group.add_bot(by=ana)
    joined, service = await bot.get_updates(timeout=0)
    change = joined.my_chat_member
    assert change.chat.id == group.id < 0 and change.chat.type == "group"
    assert change.chat.title == "Contabilidad" and change.from_user.id == ana.user.id
    assert (change.old_chat_member.status, change.new_chat_member.status) == ("left", "member")
    assert change.new_chat_member.user.id == bot.id
    assert [u.id for u in service.message.new_chat_members] == [bot.id]
    await group.send(ana, "hola")
    [said] = await bot.get_updates(offset=service.update_id + 1, timeout=0)
    assert said.message.text == "hola" and said.message.from_user.id == ana.user.id


async def test_leave_chat_then_telegram_refuses_the_chat(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    group = Group(emulator, TOKEN, bot_in=True)
    assert await bot.send_message(group.id, "hola")
    assert await bot.leave_chat(group.id) is True
    assert not group.bot_is_member
    [left] = await bot.get_updates(timeout=0)
    assert left.my_chat_member.new_chat_member.status == "left"
    with pytest.raises(Forbidden, match="bot is not a member of the group chat"):
        await bot.send_message(group.id, "otra vez")
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{emulator.base_url}{TOKEN}/sendMessage", json={"chat_id": group.id, "text": "x"}
        )
    assert answer.status_code == 403
    assert answer.json() == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot is not a member of the group chat",
    }
    await group.send(ana, "¿sigues ahí?")  # a bot hears nothing of a chat it left
    assert await bot.get_updates(offset=left.update_id + 1, timeout=0) == ()
    with pytest.raises(BadRequest, match="can't be changed in private chats"):
        await bot.leave_chat(ana.chat.id)


@pytest.mark.parametrize("kind", ["supergroup", "channel"])
async def test_supergroups_and_channels_name_themselves_in_the_refusal(
    emulator: BotApiEmulator, bot: Bot, kind: str
) -> None:
    group = Group(emulator, TOKEN, kind=kind, bot_in=True)
    assert str(group.id).startswith("-100")
    await bot.leave_chat(group.id)
    with pytest.raises(Forbidden, match=f"bot is not a member of the {kind} chat"):
        await bot.send_message(group.id, "hola")


async def test_a_channel_adds_the_bot_as_administrator_and_posts_are_signed_by_it(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    channel = Group(emulator, TOKEN, kind="channel", title="Avisos")
    await channel.add_bot(by=ana)
    await channel.send(ana, "Aviso")
    joined, post = await bot.get_updates(timeout=0)
    assert isinstance(joined.my_chat_member.new_chat_member, ChatMemberAdministrator)
    assert post.channel_post.text == "Aviso" and post.channel_post.sender_chat.id == channel.id
    assert post.channel_post.from_user is None and post.effective_chat.type == "channel"


async def test_allowed_updates_are_honoured_like_telegram(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    group = Group(emulator, TOKEN)
    account = emulator.bot(TOKEN)
    assert await bot.get_updates(timeout=0) == ()  # no allowed_updates: Telegram's default
    await account.push_update({"chat_member": {}})  # opt-in only: never created
    await group.add_bot(by=ana)
    seen = await bot.get_updates(timeout=0)
    assert [u.my_chat_member is not None for u in seen] == [True, False]  # then the service
    after = seen[-1].update_id + 1
    await bot.get_updates(offset=after, timeout=0, allowed_updates=["message"])
    await bot.leave_chat(group.id)  # its my_chat_member is not wanted now
    await ana.send("/start")
    updates = await bot.get_updates(offset=after, timeout=0)
    assert [u.message.text for u in updates] == ["/start"]
    await bot.get_updates(offset=after, timeout=0, allowed_updates=Update.ALL_TYPES)
    assert account.wants("chat_member") and account.wants("my_chat_member")
    await bot.get_updates(offset=after, timeout=0, allowed_updates=[])
    assert not account.wants("chat_member") and account.wants("my_chat_member")


async def test_leave_chat_can_be_refused_with_telegrams_errors(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    group = Group(emulator, TOKEN, bot_in=True)
    group.chat.refuses_leaving = migrated(-1_000_000_000_777)
    with pytest.raises(ChatMigrated) as moved:
        await bot.leave_chat(group.id)
    assert moved.value.new_chat_id == -1_000_000_000_777
    group.chat.refuses_leaving = TooManyRequests(3)
    with pytest.raises(RetryAfter) as wait:
        await bot.leave_chat(group.id)
    assert wait.value.retry_after == 3
    group.chat.refuses_leaving = bad_gateway()
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.leave_chat(group.id)
    group.chat.refuses_leaving = bad_request("chat not found")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.leave_chat(group.id)
    assert group.bot_is_member  # still in it after every refusal
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{emulator.base_url}{TOKEN}/leaveChat", json={"chat_id": group.id}
        )
    assert answer.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: chat not found",
    }
    group.chat.refuses_leaving = migrated(-1_000_000_000_777)
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{emulator.base_url}{TOKEN}/leaveChat", json={"chat_id": group.id}
        )
    assert answer.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: group chat was upgraded to a supergroup chat",
        "parameters": {"migrate_to_chat_id": -1_000_000_000_777},
    }
    group.chat.refuses_leaving = None
    assert await bot.leave_chat(group.id) is True
