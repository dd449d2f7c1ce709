"""The bot works in private chats only. Added to a group, supergroup or channel, or
written to in one, it says so once, with a link to its private chat, and leaves; anything
else from such a chat is ignored and nothing of it is stored."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from emulator.flood import TooManyRequests
from emulator.markup import command_entities
from emulator.world import ApiError, bad_gateway, bad_request, migrated, now
from handlers.signup import MENU_SIGNUP
from storage.models import ChatDataRow
from tests.e2e.conftest import TOKEN, Harness, all_updates_taken
from tests.factories import database


async def stored_for(database_url: str, chat_id: int) -> list[object]:
    """What is kept of `chat_id` (a record)."""
    async with database(database_url) as session:
        chats = (await session.scalars(select(ChatDataRow.chat_id))).all()
    return [c for c in chats if c == chat_id]


@pytest.mark.parametrize("kind", ["group", "supergroup", "channel"])
async def test_added_to_a_group_it_says_once_where_to_find_it_and_leaves(
    bot: Harness, kind: str
) -> None:
    ana = bot.person()
    group = bot.group(kind=kind)
    await group.add_bot(by=ana)
    await group.wait_left()
    await ana.send("/start")  # the private chat works as before
    await ana.expect("Hola, Ana")
    # The service message of the joining was on its way too: stopping finishes it.
    await all_updates_taken(bot)
    await bot.stop()
    [said] = group.bot_messages()
    assert "solo atiendo en un chat privado" in said.text
    assert f"https://t.me/{bot.bot_username}" in said.text
    assert await stored_for(bot.settings.database_url, group.id) == []


async def test_messages_in_a_group_get_one_answer_in_the_senders_language(bot: Harness) -> None:
    bruce = bot.person(first_name="Bruce", language_code="en")
    group = bot.group(kind="supergroup", bot_in=True)  # it joined before it learned to leave
    await group.send(bruce, "/start")
    await group.send(bruce, "/registro")
    await group.wait_left()
    await all_updates_taken(bot)
    await bot.stop()  # the second message answered, if at all
    [said] = group.bot_messages()
    assert "I only work in a private chat" in said.text
    assert f"https://t.me/{bot.bot_username}" in said.text
    assert "email" not in said.text  # no flow ran
    assert await stored_for(bot.settings.database_url, group.id) == []


async def test_buttons_and_edits_from_a_group_are_ignored(bot: Harness) -> None:
    ana = bot.person()
    group = bot.group()
    earlier = await group.send(ana, "hola")  # before the bot was in the group
    group.chat.bot_status = "member"  # it joined since, before it learned to leave
    async with httpx.AsyncClient() as client:  # a menu it sent there back then
        await client.post(
            f"{bot.emulator.base_url}{TOKEN}/sendMessage",
            json={
                "chat_id": group.id,
                "text": "Menú",
                "reply_markup": {
                    "inline_keyboard": [[{"text": "Crear cuenta", "callback_data": MENU_SIGNUP}]]
                },
            },
        )
    [menu] = group.bot_messages()
    query = await group.press(ana, "Crear cuenta", menu)
    await group.edit(earlier, "/registro")
    for _ in range(100):
        if group.callback_answer(query):
            break
        await asyncio.sleep(0.05)
    answer = group.callback_answer(query)
    assert answer is not None and answer["text"] is None  # the button stops spinning
    await all_updates_taken(bot)
    await bot.stop()  # the edit handled too
    assert group.bot_messages() == [menu] and menu.buttons and menu.edit_date is None
    assert group.bot_is_member  # ignored: nothing was said to it
    assert await stored_for(bot.settings.database_url, group.id) == []


LEAVE_REFUSALS = {
    "migrated": lambda: migrated(-1_000_000_000_999),
    "flood": lambda: TooManyRequests(1),
    "bad-gateway": bad_gateway,
    "bad-request": lambda: bad_request("chat not found"),
}


@pytest.mark.parametrize("refusal", list(LEAVE_REFUSALS))
async def test_a_group_it_cannot_leave_still_starts_no_flow(bot: Harness, refusal: str) -> None:
    ana = bot.person()
    group = bot.group(kind="group", bot_in=True)
    error: ApiError = LEAVE_REFUSALS[refusal]()
    group.chat.refuses_leaving = error
    await group.send(ana, "/registro")
    await group.send(ana, "ana@example.mx")
    # Flood control retries a 429 five times before it gives up: a generous wait.
    said = await group.wait_said(2, timeout=40)
    assert [m.text for m in said[:2]] == [said[0].text] * 2, [m.text for m in said]
    assert "solo atiendo en un chat privado" in said[0].text
    assert group.bot_is_member  # it could not leave, and said nothing more
    await bot.stop()
    assert await stored_for(bot.settings.database_url, group.id) == []


async def test_telegram_business_messages_are_not_taken_for_the_private_chat(
    bot: Harness,
) -> None:
    ana = bot.person()
    # Ana writes to a shop whose Telegram Business account is connected to this bot; in
    # that chat, Ana's id is the chat's, like her own chat with the bot.
    await bot.emulator.bot(TOKEN).push_update(
        {
            "business_message": {
                "message_id": 1,
                "business_connection_id": "shop-connection",
                "from": ana.user.to_api(),
                "chat": ana.chat.to_api(),
                "date": now(),
                "text": "/registro",
                "entities": command_entities("/registro"),
            }
        }
    )
    await ana.send("/ayuda")
    answer = await ana.reply()
    assert answer.text.startswith("Esto es lo que puedo hacer"), answer.text
    assert [m.text for m in ana.bot_messages()] == [answer.text]
