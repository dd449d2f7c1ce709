"""The mail outbox: rows written with the change they report, claimed by delivery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.repositories._rows import affected


async def add_outbox_message(*, session: AsyncSession, message: OutboxMessage) -> None:
    session.add(message)
    await session.flush()


async def due_outbox_messages(
    *, session: AsyncSession, now: datetime, limit: int
) -> Sequence[OutboxMessage]:
    result = await session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.given_up_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    return result.all()


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


async def give_up_outbox_message(*, session: AsyncSession, message_id: int, now: datetime) -> None:
    """Not worth sending any more: its bodies are not kept either."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(given_up_at=now, text_body="", html_body="")
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
