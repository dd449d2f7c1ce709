"""The requests a person's updates cost against Telegram's limit of about 30 a second for
the whole bot: every request that names the chat (a message sent, edited or deleted)
counts, so that budget bounds how many people the bot serves at once. Over the usual
journey (sign-up, confirmation, the company form) it stays at most 1.2 an update: a
button pressed has its message edited into the answer (one request, not two), and a note
goes in one message with the question after it. Nothing the person reads is lost."""

from __future__ import annotations

from collections import Counter

import pytest

from emulator import Person
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import RFC_MORAL, answer_part

MOST_PER_UPDATE = 1.2


def cost(person: Person, number: int) -> Counter[str]:
    """The requests that the person's update `number` (from 1) cost, by method."""
    return Counter(name for at, name in person.chat.requests if at == number)


def by_step(person: Person, updates: int) -> str:
    """Each update of the first `updates` and the requests it cost, one line each."""
    return "\n".join(
        f"{number:>3} {what[:30]!r:34} {dict(cost(person, number))}"
        for number, what in enumerate(person.chat.updates[:updates], start=1)
    )


async def test_the_journey_costs_at_most_1_2_requests_an_update(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, save=True)
    updates = len(ana.chat.updates)
    # One more message, answered: whatever the journey's last update still sent is in.
    await ana.send("hola")
    await ana.reply()
    counted = [name for at, name in ana.chat.requests if 1 <= at <= updates]
    report = f"{len(counted)} requests for {updates} updates: {dict(Counter(counted))}\n"
    report += by_step(ana, updates)
    assert len(counted) <= MOST_PER_UPDATE * updates, report
    # Each update: one message sent or edited (a password's deletion besides)
    for number in range(1, updates + 1):
        assert sum(cost(ana, number).values()) - cost(ana, number)["deleteMessage"] == 1, report
    # A question pressed reads on: the question, the button chosen, the next question
    # (pressed in turn: the choice, the next), the last one typed at.
    capital = next(m for m in ana.bot_messages() if "sin el régimen capital" in m.text)
    chosen = [line for line in capital.text.split("\n") if line.startswith("👉")]
    assert chosen == ["👉 Sí, sin el régimen capital", "👉 601 · General de Ley Personas Morales"]
    assert "régimen fiscal" in capital.text and "código postal" in answer_part(capital)
    assert not capital.buttons


async def test_a_press_whose_message_is_gone_is_answered_in_a_new_one(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    question = await journeys.company(ana, until="capital")
    question.deleted = True  # the person cleared the chat: Telegram cannot edit it
    await journeys.answer(ana, question, journeys.Press("Sí, sin el régimen capital"))
    asked = await ana.expect("régimen fiscal")
    assert asked.message_id != question.message_id and asked.button_texts()


async def test_an_answer_too_long_to_join_the_pressed_message_comes_apart(
    bot: Harness, smtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    question = await journeys.company(ana, until="capital")
    monkeypatch.setattr("chat.common.MAX_MESSAGE", len(question.text) + 10)
    await journeys.answer(ana, question, journeys.Press("Sí, sin el régimen capital"))
    asked = await ana.expect("régimen fiscal")
    assert asked.message_id != question.message_id and asked.button_texts()
    assert "régimen fiscal" not in question.text and not question.buttons
