"""The onboarding funnel: events written with the changes they count, and a report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import repositories
from storage.models import utcnow


class Milestone(StrEnum):
    """What the funnel counts (not a conversation's `Step`: those live in handlers/)."""

    SIGNUP_STARTED = "signup-started"
    ACCOUNT_CREATED = "account-created"
    ACCOUNT_CONFIRMED = "account-confirmed"
    COMPANY_SAVED = "company-saved"
    RESET_REQUESTED = "reset-requested"
    RESET_COMPLETED = "reset-completed"


PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "all": None}


async def record(*, session: AsyncSession, milestone: Milestone, now: datetime) -> None:
    """Count a milestone inside the caller's transaction."""
    await repositories.add_funnel_event(session=session, kind=milestone.value, at=now)


class FunnelService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._now = clock

    async def signup_started(self) -> None:
        async with self._sessions() as session, session.begin():
            await record(session=session, milestone=Milestone.SIGNUP_STARTED, now=self._now())

    async def report(self) -> dict[Milestone, dict[str, int]]:
        """For each milestone: how many in the last day, the last week, and ever."""
        now = self._now()
        figures: dict[Milestone, dict[str, int]] = {milestone: {} for milestone in Milestone}
        async with self._sessions() as session:
            for period, length in PERIODS.items():
                since = now - length if length is not None else None
                counts = await repositories.count_funnel_events(session=session, since=since)
                for milestone in Milestone:
                    figures[milestone][period] = counts.get(milestone.value, 0)
        return figures
