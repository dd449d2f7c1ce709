"""Funnel events: one row per milestone reached, counted for the report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import FunnelEvent


async def add_funnel_event(*, session: AsyncSession, kind: str, at: datetime) -> None:
    """Nothing reads it back in the same transaction: it is flushed with the commit."""
    session.add(FunnelEvent(kind=kind, at=at))


async def add_funnel_events(*, session: AsyncSession, events: list[tuple[str, datetime]]) -> None:
    """Many events in one statement (the funnel's buffered ones)."""
    if events:
        await session.execute(
            insert(FunnelEvent), [{"kind": kind, "at": at} for kind, at in events]
        )


async def count_funnel_events(
    *, session: AsyncSession, since: datetime | None = None
) -> dict[str, int]:
    """How many events of each kind there are since `since` (ever, when None)."""
    query = select(FunnelEvent.kind, func.count()).group_by(FunnelEvent.kind)
    if since is not None:
        query = query.where(FunnelEvent.at >= since)
    return {kind: count for kind, count in (await session.execute(query)).all()}
