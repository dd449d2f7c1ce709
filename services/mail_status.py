"""How the outbox stands, for an operator: what waits, what was given up, and for how long
the oldest waiting email has waited."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import repositories
from storage.models import utcnow


@dataclass(frozen=True)
class MailStatus:
    pending: int
    dead: int
    oldest_pending_age: timedelta | None  # None: nothing waits


class MailStatusService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._now = clock

    async def report(self) -> MailStatus:
        async with self._sessions() as session:
            figures = await repositories.outbox_figures(session=session)
        oldest = figures.oldest_pending_at
        return MailStatus(
            pending=figures.pending,
            dead=figures.dead,
            oldest_pending_age=None if oldest is None else max(timedelta(0), self._now() - oldest),
        )


def describe_age(age: timedelta) -> str:
    """A short, language-neutral age: `45 s`, `12 min`, `5 h`, `3 d`."""
    seconds = int(age.total_seconds())
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= length:
            return f"{seconds // length} {unit}"
    return f"{seconds} s"
