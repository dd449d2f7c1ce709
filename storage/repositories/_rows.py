"""What repositories share."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Base


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (SQLAlchemy types execute()'s result as
    a plain Result; for these statements it is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount or 0


def insert_into(session: AsyncSession, table: Table) -> Any:
    """An INSERT into `table` in the session's dialect, which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def upsert(
    session: AsyncSession, model: type[Base], values: dict[str, Any], keys: list[str]
) -> None:
    """Insert a row, or update the one with the same `keys`, in one statement: no
    read-then-write that a concurrent change could make stale."""
    statement = insert_into(session, cast(Table, model.__table__)).values(values)
    changed = {name: value for name, value in values.items() if name not in keys}
    await session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changed))
