"""Forgetting what is no longer needed: old rate-limit events, spent challenges and codes,
and delivered mail, so that no table grows without end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import ConfirmationCode, HumanCheck, OutboxMessage, RateEvent, ResetCode, utcnow

logger = logging.getLogger(__name__)

KEEP_RATE_EVENTS = timedelta(days=1)  # longer than any limit's window
KEEP_SPENT = timedelta(days=7)
KEEP_SENT_MAIL = timedelta(days=30)


class Housekeeping:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._now = clock

    async def prune(self) -> int:
        now = self._now()
        statements = [
            delete(RateEvent).where(RateEvent.at < now - KEEP_RATE_EVENTS),
            delete(HumanCheck).where(HumanCheck.created_at < now - KEEP_SPENT),
            delete(ResetCode).where(ResetCode.expires_at < now - KEEP_SPENT),
            delete(ConfirmationCode).where(
                or_(
                    ConfirmationCode.used_at < now - KEEP_SPENT,
                    ConfirmationCode.expires_at < now - KEEP_SPENT,
                )
            ),
            delete(OutboxMessage).where(OutboxMessage.sent_at < now - KEEP_SENT_MAIL),
        ]
        removed = 0
        async with self._sessions() as session, session.begin():
            for statement in statements:
                removed += (await session.execute(statement)).rowcount or 0
        if removed:
            logger.info("housekeeping removed %d old rows", removed)
        return removed
