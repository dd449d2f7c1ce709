"""The inbox: every update taken from Telegram is stored (sealed: an update may hold a typed
password) before Telegram is told it was received, and marked done in the transaction
that writes its chat's record (services.chats). An update taken and not processed, because
the process stopped or died, is processed after the restart; an update Telegram delivers
again is recognised by its update_id and not processed twice.

Each update is owned by the process that stored it (services.processes), which hands it
to its processing; one left by a process that stopped or died is
adopted by another. Whoever owns it, a chat's oldest update is processed first: under the
chat's lock, the process takes the chat's first in line (services.chats)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.processes import Processes
from storage import repositories
from storage.crypto import SecretBox, UnreadableSecret
from storage.models import InboxUpdate, utcnow

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
        processes: Processes | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._now = clock
        self.processes = processes or Processes(sessions, clock=clock)

    @property
    def _owner(self) -> int | None:
        return self.processes.id

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
            return await repositories.add_updates(
                session=session, updates=rows, now=self._now(), owner=self._owner
            )

    async def pending(
        self, limit: int, *, skip: Sequence[int] = (), busy_chats: Sequence[int] = ()
    ) -> list[Received]:
        """Of this process's updates not yet processed, the oldest of each chat, in
        update_id order, but the updates in `skip` and the chats in `busy_chats`."""
        async with self._sessions() as session:
            rows = await repositories.pending_updates(
                session=session, limit=limit, owner=self._owner, skip=skip, busy_chats=busy_chats
            )
        found = []
        for row in rows:
            item = await self._open(row)
            if item is not None:
                found.append(item)
        return found

    async def read(self, update_id: int) -> Received | None:
        """An update not yet processed, whichever process owns it (None once it is)."""
        async with self._sessions() as session:
            row = await repositories.read_update(session=session, update_id=update_id)
        return None if row is None else await self._open(row)

    async def _open(self, row: InboxUpdate) -> Received | None:
        try:
            payload = json.loads(self._box.open(row.payload or "null"))
        except UnreadableSecret:
            logger.warning("update %s: sealed with another key; dropped", row.update_id)
            await self.done(row.update_id)
            return None
        return Received(row.update_id, row.chat_id, payload)

    async def count_pending(self, *, skip: Sequence[int] = ()) -> int:
        """This process's updates not yet processed, but those in `skip`."""
        async with self._sessions() as session:
            return await repositories.count_pending_updates(
                session=session, owner=self._owner, skip=skip
            )

    async def waiting_in_chat(self, chat_id: int, *, most: int) -> int:
        """The chat's updates not yet processed (by any process), counted up to `most`."""
        async with self._sessions() as session:
            return await repositories.count_waiting_in_chat(
                session=session, chat_id=chat_id, most=most
            )

    async def adopt(self) -> int:
        """Take the updates not yet processed of processes that stopped or died: how many."""
        if self._owner is None:
            return 0
        async with self._sessions() as session, session.begin():
            return await repositories.adopt_updates(
                session=session, owner=self._owner, alive_since=self.processes.alive_since()
            )

    async def failed(self, update_id: int) -> None:
        """Its processing failed after its retries: it no longer holds its chat's later
        updates back (bot.intake tries it again after a pause)."""
        async with self._sessions() as session, session.begin():
            await repositories.fail_update(session=session, update_id=update_id)

    async def done(self, update_id: int) -> None:
        """For an update with no chat record to write it with."""
        async with self._sessions() as session, session.begin():
            await repositories.finish_update(session=session, update_id=update_id, now=self._now())
