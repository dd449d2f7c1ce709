"""Rate-limit events, and the locks that make checking and counting one step."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RateEvent
from storage.repositories._rows import affected


async def add_rate_event(*, session: AsyncSession, key: str, at: datetime) -> int:
    event = RateEvent(key=key, at=at)
    session.add(event)
    await session.flush()
    return event.id


async def lock_keys(*, session: AsyncSession, keys: Iterable[str]) -> None:
    """Hold a lock on each key until the transaction ends, taken in a fixed order so that
    two transactions cannot wait for each other. Only PostgreSQL needs it: SQLite runs one
    write transaction at a time (they begin IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


async def delete_rate_events(*, session: AsyncSession, ids: Iterable[int]) -> None:
    wanted = list(ids)
    if wanted:
        await session.execute(delete(RateEvent).where(RateEvent.id.in_(wanted)))


async def delete_rate_events_by_key(*, session: AsyncSession, key: str) -> None:
    await session.execute(delete(RateEvent).where(RateEvent.key == key))


async def rate_events_since(
    *, session: AsyncSession, key: str, since: datetime
) -> Sequence[datetime]:
    """Times of the events under `key` since `since`, oldest first."""
    result = await session.scalars(
        select(RateEvent.at)
        .where(RateEvent.key == key, RateEvent.at >= since)
        .order_by(RateEvent.at)
    )
    return result.all()


async def delete_rate_events_before(*, session: AsyncSession, before: datetime) -> int:
    """Forget events older than `before`; how many were removed."""
    result = await session.execute(delete(RateEvent).where(RateEvent.at < before))
    return affected(result)
