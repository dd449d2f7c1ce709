"""The requests a person's updates cost against Telegram's limit of about 30 a second for
the whole bot: every request that names the chat (a message sent, edited or deleted)
counts, so that budget bounds how many people the bot serves at once. Over the usual
journey (sign-up, confirmation, the company form) it stays at most 1.2 an update."""

from __future__ import annotations

from collections import Counter

from emulator import Person
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import RFC_MORAL

MOST_PER_UPDATE = 1.2


def by_step(person: Person, updates: int) -> str:
    """Each update of the first `updates` and the requests it cost, one line each."""
    lines = []
    for number, what in enumerate(person.chat.updates[:updates], start=1):
        methods = Counter(name for at, name in person.chat.requests if at == number)
        lines.append(f"{number:>3} {what[:30]!r:34} {dict(methods)}")
    return "\n".join(lines)


async def test_the_journey_costs_at_most_1_2_requests_an_update(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, save=True)
    updates = len(ana.chat.updates)
    # One more message, answered: whatever the journey's last update still sent is in.
    await ana.send("hola")
    await ana.reply()
    counted = [name for at, name in ana.chat.requests if 1 <= at <= updates]
    methods = Counter(counted)
    report = f"{len(counted)} requests for {updates} updates: {dict(methods)}\n" + by_step(
        ana, updates
    )
    assert len(counted) <= MOST_PER_UPDATE * updates, report
