"""The bot's running processes: one row each, beaten while it lives."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotProcess
from storage.repositories._rows import affected


async def database_now(*, session: AsyncSession) -> datetime | None:
    """PostgreSQL's clock (None on SQLite, whose one process has one clock)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    now: datetime | None = await session.scalar(text("SELECT now()"))
    return now


async def add_process(
    *, session: AsyncSession, name: str, now: datetime, process_id: int | None = None
) -> int:
    """A new process's row (with `process_id`: the row of a process taken for gone and
    pruned, back). Its id."""
    row = BotProcess(id=process_id, name=name, started_at=now, seen_at=now)
    session.add(row)
    await session.flush()
    return row.id


async def beat_process(*, session: AsyncSession, process_id: int, now: datetime) -> bool:
    """Note the process alive now; False when its row is gone (taken for dead and pruned)."""
    result = await session.execute(
        update(BotProcess).where(BotProcess.id == process_id).values(seen_at=now)
    )
    return affected(result) > 0


async def count_live_processes(*, session: AsyncSession, since: datetime) -> int:
    query = select(func.count()).select_from(BotProcess).where(BotProcess.seen_at >= since)
    return int(await session.scalar(query) or 0)


async def remove_process(*, session: AsyncSession, process_id: int) -> None:
    await session.execute(delete(BotProcess).where(BotProcess.id == process_id))


async def remove_processes_seen_before(*, session: AsyncSession, before: datetime) -> int:
    return affected(await session.execute(delete(BotProcess).where(BotProcess.seen_at < before)))
