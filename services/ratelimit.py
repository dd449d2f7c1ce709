"""Sliding-window limits kept in the database, so they hold across restarts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    count: int
    window: timedelta

    def key(self, subject: object) -> str:
        return f"{self.name}:{subject}"


WRONG_CONFIRMATION_CODE = Limit("confirm-wrong-chat", 5, timedelta(hours=1))
RESEND_PER_CHAT = Limit("resend-chat", 1, timedelta(minutes=1))
RESEND_PER_ACCOUNT = Limit("resend-account", 1, timedelta(minutes=1))


async def retry_after(
    *, session: AsyncSession, limit: Limit, subject: object, now: datetime
) -> timedelta | None:
    """None while under the limit; else how long until one more attempt is allowed."""
    times = await repositories.rate_events_since(
        session=session, key=limit.key(subject), since=now - limit.window
    )
    if len(times) < limit.count:
        return None
    return times[-limit.count] + limit.window - now


async def record(*, session: AsyncSession, limit: Limit, subject: object, now: datetime) -> None:
    await repositories.add_rate_event(session=session, key=limit.key(subject), at=now)


async def longest_wait(
    *, session: AsyncSession, limits: Iterable[tuple[Limit, object]], now: datetime
) -> timedelta | None:
    """The longest wait among several (limit, subject) pairs; None when none is reached."""
    waits = [
        await retry_after(session=session, limit=limit, subject=subject, now=now)
        for limit, subject in limits
    ]
    reached = [wait for wait in waits if wait is not None]
    return max(reached) if reached else None


async def record_all(
    *, session: AsyncSession, limits: Iterable[tuple[Limit, object]], now: datetime
) -> None:
    for limit, subject in limits:
        await record(session=session, limit=limit, subject=subject, now=now)


SIGN_IN_PER_ACCOUNT = Limit("sign-in-account", 5, timedelta(minutes=15))
SIGN_IN_PER_USER = Limit("sign-in-user", 20, timedelta(hours=1))
HUMAN_CHECK_WRONG = Limit("human-check-wrong", 3, timedelta(minutes=10))
RESET_PER_ADDRESS = Limit("reset-address", 5, timedelta(hours=1))
RESET_PER_USER = Limit("reset-user", 10, timedelta(hours=1))
