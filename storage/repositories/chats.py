"""Each chat's record (sealed JSON: flow, step, drafts), one row per chat, read and written
one chat at a time under the chat's lock."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatDataRow
from storage.repositories._rows import insert_into, upsert

LOCK_WAIT_SECONDS = 30  # then the update fails, and is tried again (bot.processor)


async def lock_chat(*, session: AsyncSession, chat_id: int, wait: bool = True) -> bool:
    """Hold the chat until the session's transaction ends (PostgreSQL; SQLite has one
    process, whose own lock is enough); with `wait=False`, only if nobody holds it now.
    Whether it is held. The key is the chat's id in the advisory locks' 64-bit space, which
    is apart from their two-32-bit-numbers space (where other locks may go)."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    if wait:
        # Not for ever: a process frozen while it holds the chat (its connection not yet
        # seen closed) would hold this update's place among those in hand for as long.
        await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT_SECONDS}s'"))
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": chat_id})
        return True
    taken = await session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": chat_id})
    return bool(taken)


async def read_chat(*, session: AsyncSession, chat_id: int) -> ChatDataRow | None:
    row: ChatDataRow | None = await session.get(ChatDataRow, chat_id, populate_existing=True)
    return row


async def write_chat(
    *, session: AsyncSession, chat_id: int, data: dict[str, Any] | None, now: datetime
) -> None:
    """Store the chat's record; None drops it (a chat with nothing to keep has no row)."""
    if data is None:
        await session.execute(delete(ChatDataRow).where(ChatDataRow.chat_id == chat_id))
        return
    values = {"chat_id": chat_id, "data": data, "steps": None, "updated_at": now}
    await upsert(session, ChatDataRow, values, ["chat_id"])


async def write_chats(
    *, session: AsyncSession, records: dict[int, dict[str, Any]], now: datetime
) -> None:
    """Store many chats' records at once: one statement with many parameter sets."""
    if not records:
        return
    statement = insert_into(session, cast(Table, ChatDataRow.__table__))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["chat_id"],
            set_={
                "data": statement.excluded.data,
                "steps": None,
                "updated_at": statement.excluded.updated_at,
            },
        ),
        [{"chat_id": c, "data": d, "steps": None, "updated_at": now} for c, d in records.items()],
    )


async def chats_after(
    *, session: AsyncSession, chat_id: int | None, limit: int
) -> Sequence[ChatDataRow]:
    """The chats' records in order of chat, after `chat_id` (a page of a walk through all)."""
    query = select(ChatDataRow).order_by(ChatDataRow.chat_id).limit(limit)
    if chat_id is not None:
        query = query.where(ChatDataRow.chat_id > chat_id)
    return (await session.scalars(query)).all()


async def count_chats(*, session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(ChatDataRow)) or 0)
