"""A campaign's burst: the bot takes from Telegram no more than it can soon process, and a
SIGTERM in the middle of it ends the process within 5 seconds and loses no update that
Telegram was told the bot received: it is answered after the restart, once."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest

from emulator import FloodLimits, Person
from emulator.flood import FloodControl
from tests.conftest import SmtpServer
from tests.e2e.conftest import (
    TOKEN,
    WEBHOOK_SECRET,
    Harness,
    all_updates_taken,
    in_webhook_mode,
    until,
)

pytestmark = pytest.mark.postgres


def answered(people: list[Person], count: int = 1) -> list[Person]:
    return [person for person in people if len(person.bot_messages()) >= count]


async def test_sigterm_mid_burst_exits_in_5_s_and_every_chat_is_answered_once_after_restart(
    harness: Harness, smtp: SmtpServer
) -> None:
    await harness.spawn()
    first = harness.person()
    await first.send("/registro")
    await first.expect("usuario para entrar")  # /registro's answer: one message
    expected = [m.text for m in first.bot_messages()]
    people = [harness.person() for _ in range(200)]
    await asyncio.gather(*(person.send("/registro") for person in people))
    # The bot works through them at Telegram's 30 messages a second.
    await until(lambda: len(answered(people)) >= 20, "twenty answers", 30)

    began = asyncio.get_running_loop().time()
    assert await harness.terminate(signal.SIGTERM) == 0
    assert asyncio.get_running_loop().time() - began < 5

    unanswered = [p for p in people if not p.bot_messages()]
    account = harness.emulator.bot(TOKEN)
    # Telegram was told that (at least some of) these were received: it will not give them
    # again; only what the bot kept can answer them.
    assert len(account.updates) < len(unanswered)

    await harness.spawn()
    await until(lambda: len(answered(people)) == len(people), "every answer", 60)
    assert await harness.terminate(signal.SIGTERM) == 0
    for person in people:
        assert [m.text for m in person.bot_messages()] == expected  # once, not twice


async def test_sigterm_while_telegram_holds_the_bot_back_exits_in_5_s_and_keeps_every_step(
    harness: Harness, smtp: SmtpServer
) -> None:
    await harness.spawn()
    people = [harness.person() for _ in range(100)]
    # Telegram allows 10 sends a second: the updates in hand wait for their replies.
    harness.emulator.flood = FloodControl(FloodLimits(overall=10))
    await asyncio.gather(*(person.send("/registro") for person in people))
    await until(lambda: len(answered(people)) >= 10, "ten answers", 30)

    began = asyncio.get_running_loop().time()
    assert await harness.terminate(signal.SIGTERM) == 0
    assert asyncio.get_running_loop().time() - began < 5  # cut short, not waited for

    harness.emulator.flood = None
    await harness.spawn()
    # /registro ends with the email question; a reply Telegram refused past the bot's
    # retries ends with the error message instead (the update was processed).
    last_words = ("usuario para entrar", "Algo salió mal")

    def over(person: Person) -> bool:
        messages = person.bot_messages()
        return bool(messages) and any(words in messages[-1].text for words in last_words)

    await until(lambda: all(map(over, people)), "every update processed", 60)
    assert await harness.terminate(signal.SIGTERM) == 0


async def test_a_burst_is_taken_no_faster_than_it_is_processed(
    harness: Harness, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ahead = 8
    monkeypatch.setattr("bot.intake.AHEAD", ahead)
    monkeypatch.setattr("bot.intake.WINDOW", 4)
    account = harness.emulator.bot(TOKEN)
    people: dict[int, Person] = {}
    taken: set[int] = set()  # chats whose update the bot has been handed
    asked: list[tuple[int, int]] = []  # at each getUpdates: taken and unanswered, limit
    take_updates = account.take_updates

    async def watched(offset: int | None, limit: int, timeout: float) -> list[dict[str, object]]:
        waiting = sum(1 for chat_id in taken if not people[chat_id].bot_messages())
        asked.append((waiting, limit))
        updates = await take_updates(offset, limit, timeout)
        taken.update(u["message"]["chat"]["id"] for u in updates)  # type: ignore[index]
        return updates

    monkeypatch.setattr(account, "take_updates", watched)
    await harness.start()
    burst = [harness.person() for _ in range(40)]
    people.update((person.chat.id, person) for person in burst)
    await asyncio.gather(*(person.send("/registro") for person in burst))
    await until(lambda: len(answered(burst)) == len(burst), "every answer", 30)
    assert all(waiting + limit <= ahead for waiting, limit in asked), asked
    assert max(waiting for waiting, _ in asked) > 0  # the bot did get busy


async def test_webhook_answers_503_while_full_and_an_update_delivered_again_is_done_once(
    harness: Harness, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = in_webhook_mode(harness, "https://bot.example.mx/hook")
    await harness.start()
    ana = harness.person()
    update = {
        "update_id": 7,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": ana.chat.id, "type": "private", "first_name": "Ana"},
            "from": {"id": ana.user.id, "is_bot": False, "first_name": "Ana"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    url = f"http://127.0.0.1:{port}/hook"
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    async with httpx.AsyncClient() as client:
        with monkeypatch.context() as full:
            full.setattr("bot.intake.AHEAD", 0)
            refused = await client.post(url, json=update, headers=headers)
        assert refused.status_code == 503  # Telegram delivers it again later
        assert (await client.post(url, json=update, headers=headers)).status_code == 200
        hello = await ana.reply()
        # Delivered once more (Telegram did not hear the 200): stored once, done once.
        assert (await client.post(url, json=update, headers=headers)).status_code == 200
        # Ana's next message is answered after anything still to do for her chat.
        help_update = {
            "update_id": 8,
            "message": {
                **update["message"],  # type: ignore[dict-item]
                "message_id": 2,
                "text": "/ayuda",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        assert (await client.post(url, json=help_update, headers=headers)).status_code == 200
        helped = await ana.expect("Esto es lo que puedo hacer")
    await harness.stop()
    assert "Hola, Ana" in hello.text
    assert ana.bot_messages() == [hello, helped]


async def test_one_chat_sending_hundreds_of_messages_does_not_hold_up_another(
    bot: Harness,
) -> None:
    """One person floods the bot with 300 messages; another's /ayuda, sent after all of
    them, is answered while most of the flood still waits: a chat's many updates hold one
    place among those in hand, not all of them."""
    flooder, other = bot.person(patience=120), bot.person(patience=120)
    await asyncio.gather(*(flooder.send(f"hola {i}") for i in range(300)))
    await all_updates_taken(bot)
    await other.send("/ayuda")
    await other.expect("Esto es lo que puedo hacer")
    assert len(flooder.bot_messages()) < 150
