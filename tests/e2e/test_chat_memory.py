"""A process keeps nothing of a chat between its updates: where a chat is lives in its
record in the database, so memory does not grow with the people served or parked."""

from __future__ import annotations

from tests import journeys
from tests.e2e.conftest import Harness


async def test_nothing_of_a_chat_stays_in_the_process_between_its_updates(bot: Harness) -> None:
    people = [bot.person() for _ in range(3)]
    for person in people:
        await journeys.sign_up(person, f"p{person.user.id}@example.mx", until="rfc")
    await people[0].send("/ayuda")
    await people[0].expect("Esto es lo que puedo hacer")
    assert bot.runtime is not None
    runtime = bot.runtime
    await bot.stop()  # the update in hand finished
    application = runtime.application
    assert application.chat_data == {} and application.user_data == {}
    # PTB marks each update's chat and user for a persistence, in sets that only a
    # persistence empties; this bot has none (bot.dispatch, bot.intake).
    assert application._chat_ids_to_be_updated_in_persistence == set()
    assert application._user_ids_to_be_updated_in_persistence == set()
    assert runtime.services.chats._locks == {}  # no lock kept for idle chats
