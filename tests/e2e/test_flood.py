"""Telegram's flood control end to end: many people at once against an emulator that
refuses sends past Telegram's limits; no reply is lost."""

from __future__ import annotations

import asyncio

from emulator import FloodLimits, Person
from emulator.flood import FloodControl
from tests import journeys
from tests.conftest import Mailbox
from tests.e2e.conftest import Harness
from tests.factories import code_from_email

PEOPLE = 40


async def sign_up_and_confirm(person: Person, mailbox: Mailbox, number: int) -> int:
    email = f"persona{number}@example.mx"
    await journeys.sign_up(person, email)
    await person.send(code_from_email(await mailbox.next_to(email, timeout=60)))
    await person.expect("Felicidades")
    return number


async def test_forty_people_at_once_under_telegrams_limits_all_finish(bot: Harness, smtp) -> None:
    # 25 sends a second overall, fewer than the bot keeps to (Telegram lowers a bot's limit
    # at times), and, in each chat, 3 in any second (Telegram's "about one a second" with
    # a short burst): the bot meets 429s and sends again after them.
    bot.emulator.flood = FloodControl(FloodLimits(overall=25, per_chat=3))
    # 40 people's replies queue behind 30 sends a second: on a busy machine a reply can
    # take longer than the usual ten seconds of patience.
    people = [bot.person(patience=60) for _ in range(PEOPLE)]
    finished = await asyncio.gather(
        *(sign_up_and_confirm(person, smtp.mailbox, n) for n, person in enumerate(people))
    )
    assert sorted(finished) == list(range(PEOPLE))
    assert bot.emulator.too_many_requests > 0  # the limits were met, and the bot held to them
