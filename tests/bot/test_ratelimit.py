"""The bot's flood control (bot.ratelimit) against the emulator's 429s, over the bot's own
transport: a send refused overall or in its chat is retried after retry_after, and a send
that fails after its retries is logged with the chat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from telegram.error import BadRequest, RetryAfter
from telegram.ext import ExtBot

from bot.ratelimit import FloodControl
from bot.transport import AiohttpRequest
from emulator import BotApiEmulator, FloodLimits, Person
from emulator.flood import FloodControl as EmulatedLimits

TOKEN = "42:ratelimit-test"


@pytest.fixture
async def make_bot(emulator: BotApiEmulator) -> AsyncIterator[object]:
    """Builds a started bot with the given limiter; shuts each down at the end."""
    bots: list[ExtBot[None]] = []

    async def make(limiter: FloodControl) -> ExtBot[None]:
        bot: ExtBot[None] = ExtBot(
            TOKEN,
            base_url=emulator.base_url,
            request=AiohttpRequest(4),
            rate_limiter=limiter,
        )
        await bot.initialize()
        bots.append(bot)
        return bot

    yield make
    for bot in bots:
        await bot.shutdown()


async def test_a_refused_send_is_sent_again_after_retry_after(
    emulator: BotApiEmulator, make_bot
) -> None:
    ana = Person(emulator, TOKEN)
    emulator.flood = EmulatedLimits(FloodLimits(overall=1))
    bot = await make_bot(FloodControl())
    await bot.send_message(ana.chat.id, "uno")
    await bot.send_message(ana.chat.id, "dos")
    assert emulator.too_many_requests == 1
    assert [m.text for m in ana.chat.messages] == ["uno", "dos"]


async def test_sends_at_once_keep_under_telegrams_limit_and_meet_no_429(
    emulator: BotApiEmulator, make_bot
) -> None:
    """Sixty replies due at once go at the bot's pace: Telegram's 30 in any second is
    never passed (a bucket of 30 would send 30 at once and more in the same second)."""
    people = [Person(emulator, TOKEN) for _ in range(60)]
    emulator.flood = EmulatedLimits(FloodLimits(overall=30))
    bot = await make_bot(FloodControl())
    await asyncio.gather(*(bot.send_message(p.chat.id, "hola") for p in people))
    assert emulator.too_many_requests == 0
    assert all(p.chat.messages for p in people)


async def test_processes_sharing_the_limit_together_keep_under_it(
    emulator: BotApiEmulator, make_bot
) -> None:
    """Two processes of one bot, each told that two share it, send at once: together they
    stay under Telegram's limit (each alone at the whole of it would pass it)."""
    people = [Person(emulator, TOKEN) for _ in range(60)]
    emulator.flood = EmulatedLimits(FloodLimits(overall=30))
    limiters = [FloodControl(), FloodControl()]
    for limiter in limiters:
        limiter.share(2)
    bots = [await make_bot(limiter) for limiter in limiters]
    await asyncio.gather(
        *(bots[n % 2].send_message(p.chat.id, "hola") for n, p in enumerate(people))
    )
    assert emulator.too_many_requests == 0
    assert limiters[0].share(1) >= 2 * limiters[1].per_second  # one alone takes it all


async def test_a_send_refused_by_the_chats_limit_is_sent_again(
    emulator: BotApiEmulator, make_bot
) -> None:
    ana = Person(emulator, TOKEN)
    emulator.flood = EmulatedLimits(FloodLimits(per_chat=1))
    bot = await make_bot(FloodControl())
    sent = await bot.send_message(ana.chat.id, "uno")
    await bot.edit_message_text("uno, corregido", ana.chat.id, sent.message_id)
    assert emulator.too_many_requests == 1
    assert [m.text for m in ana.chat.messages] == ["uno, corregido"]


async def test_a_send_refused_after_its_retries_is_logged_with_the_chat(
    emulator: BotApiEmulator, make_bot, caplog: pytest.LogCaptureFixture
) -> None:
    ana = Person(emulator, TOKEN)
    emulator.flood = EmulatedLimits(FloodLimits(overall=1, window=60))
    bot = await make_bot(FloodControl(max_retries=0))
    await bot.send_message(ana.chat.id, "uno")
    with caplog.at_level(logging.ERROR, logger="bot.ratelimit"), pytest.raises(RetryAfter):
        await bot.send_message(ana.chat.id, "dos")
    [record] = [r for r in caplog.records if r.name == "bot.ratelimit"]
    assert record.levelno == logging.ERROR
    assert f"chat {ana.chat.id}" in record.getMessage()
    assert "sendMessage" in record.getMessage()


async def test_a_press_answered_too_late_is_no_failure_other_refusals_are(make_bot) -> None:  # type: ignore[no-untyped-def]
    bot = await make_bot(FloodControl())
    # A query the emulator no longer holds: Telegram's "query is too old".
    assert await bot.answer_callback_query("1-expired") is True
    with pytest.raises(BadRequest):
        await bot.send_message(chat_id=999_999_999, text="¿hola?")  # a chat that does not exist
