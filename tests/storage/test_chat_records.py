"""A chat's record (flow, step, drafts, last question): read for each update, written back
after it, sealed at rest, one update of a chat at a time, also across processes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from chat.state import ChatData
from handlers.signup import SignupDraft
from services.chats import SEALED, ChatRecords
from storage.crypto import SecretBox, new_key
from storage.db import create_engine, create_session_factory, migrate
from storage.models import ChatDataRow
from tests.factories import migrate_to

pytestmark = pytest.mark.postgres

BOX = SecretBox([new_key()])


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


def records_of(engine: AsyncEngine, box: SecretBox = BOX) -> ChatRecords:
    """The records as one bot process has them: on PostgreSQL with its pool for locks."""
    sessions = create_session_factory(engine)
    shared = engine.dialect.name == "postgresql"
    return ChatRecords(sessions, box, lock_sessions=sessions if shared else None)


async def stored_rows(engine: AsyncEngine) -> dict[int, dict[str, Any]]:
    async with create_session_factory(engine)() as session:
        return {row.chat_id: row.data for row in await session.scalars(select(ChatDataRow))}


async def test_a_record_is_read_back_by_another_process_sealed_and_gone_when_empty(
    engine: AsyncEngine,
) -> None:
    draft = ChatData(
        flow="signup",
        step=4,
        drafts={"signup": SignupDraft(email="ana@example.mx", rfc="GODE561231GR8")},
    )
    async with records_of(engine).held(42) as held:
        assert held.data is None  # a chat never seen
        held.data = draft.to_json()

    async with records_of(engine).held(42) as held:
        assert held.data is not None and ChatData.from_json(held.data) == draft
        held.data = None  # nothing left to keep
    assert await stored_rows(engine) == {}


async def test_a_record_is_sealed_at_rest(engine: AsyncEngine) -> None:
    async with records_of(engine).held(42) as held:
        held.data = ChatData(drafts={"signup": SignupDraft(email="ana@example.mx")}).to_json()
    [stored] = (await stored_rows(engine)).values()
    assert list(stored) == [SEALED] and "ana@example.mx" not in json.dumps(stored)


async def test_records_sealed_with_a_key_no_longer_given_start_afresh(
    engine: AsyncEngine,
) -> None:
    old_key, new = new_key(), new_key()
    async with records_of(engine, SecretBox([old_key])).held(7) as held:
        held.data = ChatData(flow="signup", step=2).to_json()
    async with records_of(engine, SecretBox([new])).held(7) as held:
        assert held.data is None  # not an error on each of the chat's updates
    async with records_of(engine, SecretBox([new])).held(7) as held:
        assert held.data is None  # and dropped, not read again and again
    assert await stored_rows(engine) == {}


async def test_one_update_of_a_chat_at_a_time_reading_what_the_one_before_wrote(
    engine: AsyncEngine,
) -> None:
    """Two processes (two sets of records on one database) serving one chat: the second
    waits for the first's update to end, then reads what it wrote; another chat does not
    wait. On SQLite, one process: the same within it."""
    first = records_of(engine)
    second = records_of(engine) if engine.dialect.name == "postgresql" else first
    entered = asyncio.Event()
    seen: list[object] = []

    async def next_update() -> None:
        async with second.held(1) as held:
            entered.set()
            seen.append((held.data or {}).get("step"))

    async with first.held(1) as held:
        waiting = asyncio.create_task(next_update())
        async with second.held(2):  # another chat: not held up
            pass
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.shield(entered.wait()), timeout=0.3)
        held.data = ChatData(flow="signup", step=3).to_json()
    await waiting
    assert seen == [3]


async def test_an_update_cancelled_midway_writes_nothing(engine: AsyncEngine) -> None:
    records = records_of(engine)
    inside = asyncio.Event()

    async def update() -> None:
        async with records.held(5) as held:
            held.data = ChatData(flow="signup", step=9).to_json()
            inside.set()
            await asyncio.Event().wait()  # stopped here

    task = asyncio.create_task(update())
    await inside.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await stored_rows(engine) == {}


async def test_every_other_chat_is_rewritten_also_one_with_an_update_in_hand(
    engine: AsyncEngine,
) -> None:
    records = records_of(engine)
    await records.store({chat: {"signup_email": "ana@example.mx"} for chat in (1, 2, 3)})
    await records.store({4: {"signup_email": "otra@example.mx"}})

    def forget(record: dict[str, Any]) -> dict[str, Any] | None:
        return None if record.get("signup_email") == "ana@example.mx" else record

    inside, release = asyncio.Event(), asyncio.Event()

    async def busy_update() -> None:  # chat 3, in the middle of an update
        async with records.held(3) as held:
            inside.set()
            await release.wait()
            held.data = {**(held.data or {}), "language": "en"}

    busy = asyncio.create_task(busy_update())
    await inside.wait()
    await records.rewrite_each(forget, skip=1)  # chat 1 is the one asking
    assert set(await stored_rows(engine)) == {1, 3, 4}  # chat 2 at once; 3 is busy
    release.set()
    await busy
    await records.settle()
    assert set(await stored_rows(engine)) == {1, 4}  # 3 once its update was over


async def test_steps_kept_by_ptb_before_0013_are_taken_up(engine: AsyncEngine) -> None:
    """Before 0013 a chat's step lived in PTB's conversations table, beside its sealed
    data: after the migration the chat's next update finds it at the same step."""

    await migrate_to(engine, "0012")
    sealed = {SEALED: BOX.seal(json.dumps({"flow": "company", "company": None}))}
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO chat_data (chat_id, data, updated_at) VALUES (77, :d, :now)"),
            {"d": json.dumps(sealed), "now": datetime(2026, 12, 1, tzinfo=UTC)},
        )
        for name, state in (("company", 14), ("signup", 3)):
            await connection.execute(
                text("INSERT INTO conversation_states (name, key, state) VALUES (:n, :k, :s)"),
                {"n": name, "k": "[77, 77]", "s": json.dumps(state)},
            )
    await migrate_to(engine, "head")

    async with records_of(engine).held(77) as held:
        assert held.data is not None
        assert (held.data["flow"], held.data["step"]) == ("company", 14)
    async with records_of(engine).held(77) as held:  # written back with its step
        assert held.data is not None and held.data["step"] == 14


async def test_two_chats_rewriting_each_other_at_once_both_finish(engine: AsyncEngine) -> None:
    """Two chats each delete an account the other's record mentions, at the same moment,
    each from its own update (on PostgreSQL from two processes): neither waits for the
    other's chat while holding its own, so both finish, and each record is rewritten once
    its update is over."""
    first = records_of(engine)
    second = records_of(engine) if engine.dialect.name == "postgresql" else first
    await first.store({1: {"signup_email": "b@example.mx"}, 2: {"signup_email": "a@example.mx"}})
    both_inside = asyncio.Barrier(2)

    async def delete(records: ChatRecords, chat: int, email: str) -> None:
        def forget(record: dict[str, Any]) -> dict[str, Any] | None:
            return None if record.get("signup_email") == email else record

        async with records.held(chat):
            await both_inside.wait()
            await records.rewrite_each(forget, skip=chat)

    await asyncio.wait_for(
        asyncio.gather(delete(first, 1, "a@example.mx"), delete(second, 2, "b@example.mx")),
        timeout=10,
    )
    await first.settle()
    await second.settle()
    assert await stored_rows(engine) == {}


async def test_a_record_stored_before_sealing_is_sealed_when_next_read(
    engine: AsyncEngine,
) -> None:
    async with create_session_factory(engine)() as session, session.begin():
        session.add(ChatDataRow(chat_id=9, data={"signup_email": "ana@example.mx"}))
    async with records_of(engine).held(9) as held:
        assert held.data == {"signup_email": "ana@example.mx"}
    [stored] = (await stored_rows(engine)).values()
    assert list(stored) == [SEALED] and "ana@example.mx" not in json.dumps(stored)
