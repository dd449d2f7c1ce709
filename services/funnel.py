"""The onboarding funnel: events written with the changes they count, and a report."""

from __future__ import annotations

import asyncio
import contextlib
import logging
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


logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
BATCH = 200

PERIODS = {"day": timedelta(days=1), "week": timedelta(days=7), "all": None}


async def record(*, session: AsyncSession, milestone: Milestone, now: datetime) -> None:
    """Count a milestone inside the caller's transaction."""
    await repositories.add_funnel_event(session=session, kind=milestone.value, at=now)


class FunnelService:
    """Milestones reached inside a use case are written in its transaction (`record`);
    those noted on their own (a sign-up started) wait in a small buffer written in one
    statement every FLUSH_SECONDS, or at once when BATCH are waiting, or at `close()`: a
    campaign's burst costs one insert per batch, not a transaction (and a task) each."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._now = clock
        self._waiting: list[tuple[str, datetime]] = []
        self._flush: asyncio.Task[None] | None = None
        self._writing: asyncio.Lock = asyncio.Lock()

    async def signup_started(self) -> None:
        self._note(Milestone.SIGNUP_STARTED)

    def _note(self, milestone: Milestone) -> None:
        self._waiting.append((milestone.value, self._now()))
        if self._flush is None or self._flush.done():
            delay = 0.0 if len(self._waiting) >= BATCH else FLUSH_SECONDS
            self._flush = asyncio.get_running_loop().create_task(
                self._flush_after(delay), name="funnel-flush"
            )

    async def _flush_after(self, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await self.flush()
        except Exception:
            logger.exception("funnel: %d events not written", len(self._waiting))

    async def flush(self) -> None:
        """Write the events waiting (one statement)."""
        async with self._writing:
            events, self._waiting = self._waiting, []
            if not events:
                return
            try:
                async with self._sessions() as session, session.begin():
                    await repositories.add_funnel_events(session=session, events=events)
            except BaseException:  # cancelled at close too: written by close's own flush
                self._waiting[:0] = events  # tried again with the next ones
                raise

    async def close(self) -> None:
        """Write what waits, now (the bot is stopping)."""
        if self._flush is not None and not self._flush.done():
            self._flush.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flush
        await self.flush()

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
