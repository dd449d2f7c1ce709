"""The mail outbox: rows written with the change they report, claimed by delivery."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.repositories._rows import affected


async def add_outbox_message(*, session: AsyncSession, message: OutboxMessage) -> None:
    session.add(message)
    await session.flush()


def _due(now: datetime, limit: int) -> Select[int]:
    """The ids of the messages due now, fresh mail first: a new confirmation does not
    wait behind retries to addresses that keep failing."""
    return (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.given_up_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.attempts, OutboxMessage.id)
        .limit(limit)
    )


async def due_outbox_messages(
    *, session: AsyncSession, now: datetime, limit: int
) -> Sequence[OutboxMessage]:
    result = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(_due(now, limit).scalar_subquery()))
        .order_by(OutboxMessage.attempts, OutboxMessage.id)
    )
    return result.all()


async def claim_due_outbox_messages(
    *, session: AsyncSession, now: datetime, limit: int, until: datetime
) -> Sequence[OutboxMessage]:
    """The messages due now, as `due_outbox_messages` orders them, claimed until `until`:
    their next attempt moves there, so that another delivery loop (another process) does
    not take them meanwhile, and takes them after it if this one never reports back. Rows
    another transaction is claiming are skipped, not waited for (PostgreSQL's SKIP LOCKED;
    SQLite has one writer at a time)."""
    due = _due(now, limit).with_for_update(skip_locked=True)
    ids = list((await session.scalars(due)).all())
    if not ids:
        return []
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(next_attempt_at=until)
    )
    claimed = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .order_by(OutboxMessage.attempts, OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return claimed.all()


async def release_outbox_messages(
    *, session: AsyncSession, message_ids: Sequence[int], now: datetime
) -> None:
    """Claimed and not tried (the loop stopped, or fresh mail came first): due again now."""
    if message_ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(message_ids)), OutboxMessage.sent_at.is_(None))
            .values(next_attempt_at=now)
        )


async def next_outbox_attempt(*, session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None)
        )
    )


async def mark_outbox_sent(*, session: AsyncSession, message_id: int, now: datetime) -> None:
    """Sent: its bodies (which may hold a code) are not kept."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
            text_body="",
            html_body="",
        )
    )


async def give_up_outbox_message(
    *, session: AsyncSession, message_id: int, now: datetime, reason: str, attempted: bool
) -> None:
    """Dead: not worth sending any more (`reason` says why); its bodies are not kept
    either. `attempted`: the attempt that gave it up counts as one."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            given_up_at=now,
            last_error=reason[:2000],
            attempts=OutboxMessage.attempts + (1 if attempted else 0),
            text_body="",
            html_body="",
        )
    )


async def mark_outbox_failed(
    *, session: AsyncSession, message_id: int, error: str, retry_at: datetime
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            attempts=OutboxMessage.attempts + 1, last_error=error[:2000], next_attempt_at=retry_at
        )
    )


async def delete_outbox_sent_before(*, session: AsyncSession, before: datetime) -> int:
    """Forget mail sent before `before` (its bodies are gone already); how many were removed."""
    result = await session.execute(delete(OutboxMessage).where(OutboxMessage.sent_at < before))
    return affected(result)


@dataclass(frozen=True)
class OutboxFigures:
    pending: int
    dead: int
    oldest_pending_at: datetime | None


async def outbox_figures(*, session: AsyncSession) -> OutboxFigures:
    """How much mail waits, how much was given up, and since when the oldest has waited."""
    unsent = OutboxMessage.sent_at.is_(None)
    waiting = OutboxMessage.given_up_at.is_(None)
    pending, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(unsent, waiting)
        )
    ).one()
    dead = await session.scalar(select(func.count()).where(OutboxMessage.given_up_at.is_not(None)))
    return OutboxFigures(pending=pending, dead=dead or 0, oldest_pending_at=oldest)
