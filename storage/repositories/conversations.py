"""Conversation state and chat data, for the bot's persistence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base, ChatDataRow, ConversationState


async def _upsert(
    session: AsyncSession, model: type[Base], rows: list[dict[str, Any]], keys: list[str]
) -> None:
    """Insert or update many rows. Executed as one statement with many parameter sets: its
    compiled form is cached, where a VALUES list of hundreds of rows was compiled anew on the
    event loop each time (tens of milliseconds)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(cast(Table, model.__table__))
    updated = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    await session.execute(statement.on_conflict_do_update(index_elements=keys, set_=updated), rows)


async def load_conversation_states(
    *, session: AsyncSession, name: str
) -> Sequence[ConversationState]:
    result = await session.scalars(select(ConversationState).where(ConversationState.name == name))
    return result.all()


async def save_conversation_states(
    *, session: AsyncSession, changes: dict[tuple[str, str], object]
) -> None:
    """Store each (name, key) -> state; a state of None ends that conversation."""
    ended = [key for key, state in changes.items() if state is None]
    kept = [
        {"name": name, "key": key, "state": state}
        for (name, key), state in changes.items()
        if state is not None
    ]
    if ended:
        # At the table's level: one statement with many parameter sets (the ORM's bulk
        # DELETE takes no such list).
        table = cast(Table, ConversationState.__table__)
        await session.execute(
            delete(table).where(table.c.name == bindparam("n"), table.c.key == bindparam("k")),
            [{"n": name, "k": key} for name, key in ended],
        )
    if kept:
        await _upsert(session, ConversationState, kept, ["name", "key"])


async def load_chat_data(*, session: AsyncSession) -> Sequence[ChatDataRow]:
    result = await session.scalars(select(ChatDataRow))
    return result.all()


async def save_chat_data(
    *, session: AsyncSession, changes: dict[int, dict[str, Any] | None], now: datetime
) -> None:
    """Store each chat's data; None drops it."""
    dropped = [chat_id for chat_id, data in changes.items() if data is None]
    kept = [
        {"chat_id": chat_id, "data": data, "updated_at": now}
        for chat_id, data in changes.items()
        if data is not None
    ]
    if dropped:
        await session.execute(delete(ChatDataRow).where(ChatDataRow.chat_id.in_(dropped)))
    if kept:
        await _upsert(session, ChatDataRow, kept, ["chat_id"])
