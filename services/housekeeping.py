"""Forgetting what is no longer needed: old rate-limit events, spent challenges and codes,
and delivered mail, so that no table grows without end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import ratelimit
from storage import repositories
from storage.models import EmailChange, ResetCode, utcnow

logger = logging.getLogger(__name__)

KEEP_RATE_EVENTS = timedelta(days=1)  # longer than any limit's window
KEEP_SPENT = timedelta(days=7)
KEEP_SENT_MAIL = timedelta(days=30)
GIVE_UP_UPDATES = timedelta(days=1)
KEEP_DONE_UPDATES = timedelta(days=2)  # Telegram keeps an update 24 hours


class Housekeeping:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._now = clock

    async def claim(self, job: str, every: timedelta) -> bool:
        """Whether this process runs `job` now: once in each period `every` across every
        process on the database (a little less, so that a process's own next pass, an
        `every` later, is never refused for a moment's difference)."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            return await repositories.claim_job(
                session=session, name=job, now=now, after=now - every * 0.9
            )

    async def prune(self) -> int:
        now = self._now()
        spent = now - KEEP_SPENT
        async with self._sessions() as session, session.begin():
            removed = await ratelimit.prune(session=session, before=now - KEEP_RATE_EVENTS)
            removed += await repositories.delete_human_checks_before(session=session, before=spent)
            removed += await repositories.delete_codes_expired_before(
                session=session, model=ResetCode, before=spent
            )
            # Kept as long as the mail they sent, for a deletion of the account to find.
            removed += await repositories.delete_codes_expired_before(
                session=session, model=EmailChange, before=now - KEEP_SENT_MAIL
            )
            removed += await repositories.delete_spent_confirmation_codes(
                session=session, before=spent
            )
            removed += await repositories.delete_outbox_sent_before(
                session=session, before=now - KEEP_SENT_MAIL
            )
            # Kept beyond any redelivery of the update by Telegram.
            removed += await repositories.delete_done_updates_before(
                session=session, before=now - KEEP_DONE_UPDATES
            )
            # Processes gone for a day (their updates were adopted long since).
            removed += await repositories.remove_processes_seen_before(
                session=session, before=now - GIVE_UP_UPDATES
            )
            # An update that failed at every try for a day (Telegram itself keeps one no
            # longer) is given up: not replayed at each start, its sealed text not kept.
            given_up = await repositories.give_up_updates_before(
                session=session, before=now - GIVE_UP_UPDATES, now=now
            )
            if given_up:
                logger.warning("housekeeping gave up %d updates that failed for a day", given_up)
        if removed:
            logger.info("housekeeping removed %d old rows", removed)
        return removed
