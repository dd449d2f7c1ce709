"""Telegram's flood control in the emulator: 429 with retry_after past a limit, overall
and per chat, only for sends, and off unless a test sets it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import Bot
from telegram.error import RetryAfter

from emulator import BotApiEmulator, FloodLimits, Person
from emulator.flood import FloodControl

TOKEN = "42:flood-test"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emulator.base_url, base_file_url=emulator.file_url) as bot:
        yield bot


def limit(emulator: BotApiEmulator, **limits: int) -> Clock:
    clock = Clock()
    emulator.flood = FloodControl(FloodLimits(**limits), clock=clock)
    return clock


async def test_past_the_overall_limit_a_send_gets_telegrams_429(
    emulator: BotApiEmulator,
) -> None:
    ana = Person(emulator, TOKEN)
    limit(emulator, overall=2)
    url = f"{emulator.base_url}{TOKEN}/sendMessage"
    async with httpx.AsyncClient() as client:
        for _ in range(2):
            answer = await client.post(url, json={"chat_id": ana.chat.id, "text": "hola"})
            assert answer.status_code == 200
        refused = await client.post(url, json={"chat_id": ana.chat.id, "text": "hola"})
    assert refused.status_code == 429
    assert refused.json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert emulator.too_many_requests == 1
    assert len(ana.chat.messages) == 2


async def test_ptb_reads_the_429_as_retry_after_and_the_window_frees_up(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    clock = limit(emulator, overall=1, window=3)
    await bot.send_message(ana.chat.id, "uno")
    clock.now += 0.5
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(ana.chat.id, "dos")
    assert refused.value._retry_after.total_seconds() == 3  # 2.5 s, in whole seconds
    clock.now += 2.5
    await bot.send_message(ana.chat.id, "dos")
    assert [m.text for m in ana.chat.messages] == ["uno", "dos"]


async def test_the_per_chat_limit_leaves_other_chats_alone(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana, bruno = Person(emulator, TOKEN), Person(emulator, TOKEN)
    limit(emulator, per_chat=1)
    await bot.send_message(ana.chat.id, "hola")
    await bot.send_message(bruno.chat.id, "hola")
    with pytest.raises(RetryAfter):
        await bot.edit_message_text("adiós", ana.chat.id, ana.chat.messages[0].message_id)
    assert emulator.too_many_requests == 1


async def test_reading_updates_answering_buttons_and_deleting_are_not_limited(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    limit(emulator, overall=1)
    sent = await bot.send_message(ana.chat.id, "hola")
    await bot.get_updates(timeout=0)
    await bot.get_me()
    assert await bot.delete_message(ana.chat.id, sent.message_id)
    assert emulator.too_many_requests == 0


async def test_without_limits_the_emulator_never_refuses(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    for number in range(50):
        await bot.send_message(ana.chat.id, f"mensaje {number}")
    assert emulator.too_many_requests == 0


async def test_sends_are_counted_per_bot_and_a_bots_processes_together(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    """Telegram limits each bot: two processes of one bot (one token) share its limit,
    and another bot's sends are its own."""
    other_token = "43:flood-test-other"
    ana, bruno = Person(emulator, TOKEN), Person(emulator, other_token)
    limit(emulator, overall=1, per_chat=1)
    base = {"base_url": emulator.base_url, "base_file_url": emulator.file_url}
    async with Bot(TOKEN, **base) as second_process, Bot(other_token, **base) as other_bot:
        await bot.send_message(ana.chat.id, "hola")
        with pytest.raises(RetryAfter):
            await second_process.send_message(ana.chat.id, "hola otra vez")
        await other_bot.send_message(bruno.chat.id, "hola")
    assert emulator.too_many_requests == 1
    assert [m.text for m in bruno.chat.messages] == ["hola"]
