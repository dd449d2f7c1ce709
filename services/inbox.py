"""The inbox: every update taken from Telegram is stored (sealed: an update may hold a typed
password) before Telegram is told it was received, and marked done in the transaction
that writes its chat's record (services.chats). An update taken and not processed, because
the process stopped or died, is processed after the restart; an update Telegram delivers
again is recognised by its update_id and not processed twice."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import repositories
from storage.crypto import SecretBox, UnreadableSecret
from storage.models import utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    update_id: int
    chat_id: int | None
    payload: dict[str, Any]


class Inbox:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._now = clock

    async def store(self, updates: Sequence[Received]) -> set[int]:
        """Keep updates in one transaction; returns the update_ids kept now (not those
        kept before: Telegram delivering an update again)."""
        rows = [
            {
                "update_id": update.update_id,
                "chat_id": update.chat_id,
                "payload": self._box.seal(json.dumps(update.payload)),
            }
            for update in updates
        ]
        async with self._sessions() as session, session.begin():
            return await repositories.add_updates(session=session, updates=rows, now=self._now())

    async def pending(
        self, limit: int, *, skip: Sequence[int] = (), busy_chats: Sequence[int] = ()
    ) -> list[Received]:
        """The oldest update not yet processed of each chat, in update_id order, but the
        updates in `skip` and the chats in `busy_chats`."""
        async with self._sessions() as session:
            rows = await repositories.pending_updates(
                session=session, limit=limit, skip=skip, busy_chats=busy_chats
            )
        found = []
        for row in rows:
            try:
                payload = json.loads(self._box.open(row.payload or "null"))
            except UnreadableSecret:
                logger.warning("update %s: sealed with another key; dropped", row.update_id)
                await self.done(row.update_id)
                continue
            found.append(Received(row.update_id, row.chat_id, payload))
        return found

    async def count_pending(self, *, skip: Sequence[int] = ()) -> int:
        """The updates not yet processed, but those in `skip`."""
        async with self._sessions() as session:
            return await repositories.count_pending_updates(session=session, skip=skip)

    async def done(self, update_id: int) -> None:
        """For an update with no chat record to write it with."""
        async with self._sessions() as session, session.begin():
            await repositories.finish_update(session=session, update_id=update_id, now=self._now())
