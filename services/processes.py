"""The bot's processes, as PostgreSQL sees them: each has a row it beats every few seconds
while it lives, and deletes when it stops. A row not beaten for DEAD_AFTER is a process
that died (killed, its machine gone): the others adopt the updates it had stored and not
processed (services.inbox), and share Telegram's budget among the living (bot.ratelimit).

Nothing depends on this for correctness: a chat's updates are processed under its lock,
oldest first, whichever process holds them (services.chats), so a process wrongly taken
for dead only costs a wait. SQLite has one process (its file is locked while it runs):
whatever rows it finds at start are of processes gone."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import repositories
from storage.models import utcnow

logger = logging.getLogger(__name__)

BEAT_SECONDS = 2.0
DEAD_AFTER = timedelta(seconds=10)


class Processes:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        # The database's clock less this machine's, read at each beat on PostgreSQL: every
        # process beats and judges the others by the one clock, however far the machines'
        # clocks drift apart.
        self._skew = timedelta(0)
        self.id: int | None = None

    def _now(self) -> datetime:
        return self._clock() + self._skew

    async def _read_skew(self, session: AsyncSession) -> None:
        server = await repositories.database_now(session=session)
        if server is not None:
            self._skew = server - self._clock()

    def alive_since(self) -> datetime:
        """A process not seen since then is gone."""
        return self._now() - DEAD_AFTER

    async def join(self, *, alone: bool = False) -> int:
        """This process's row; `alone` (SQLite): every other row is of a process gone."""
        name = _name()
        async with self._sessions() as session, session.begin():
            await self._read_skew(session)
            if alone:
                await repositories.remove_processes_seen_before(
                    session=session, before=self._now() + DEAD_AFTER
                )
            self.id = await repositories.add_process(session=session, name=name, now=self._now())
        logger.info("process %s (%s) joins the bot's processes", self.id, name)
        return self.id

    async def beat(self) -> int:
        """Note this process alive; how many are alive, itself included. A row pruned
        while this process was stalled is made again, with its id."""
        assert self.id is not None
        async with self._sessions() as session, session.begin():
            await self._read_skew(session)
            now = self._now()
            if not await repositories.beat_process(session=session, process_id=self.id, now=now):
                await repositories.add_process(
                    session=session, name=_name(), now=now, process_id=self.id
                )
                logger.warning("process %s was taken for gone; it is back", self.id)
            return await repositories.count_live_processes(session=session, since=now - DEAD_AFTER)

    async def live(self) -> int:
        async with self._sessions() as session:
            return await repositories.count_live_processes(
                session=session, since=self.alive_since()
            )

    async def leave(self) -> None:
        """This process stops: its row goes, and with it the updates it holds and has not
        processed are the others' to adopt, at their next beat."""
        if self.id is None:
            return
        async with self._sessions() as session, session.begin():
            await repositories.remove_process(session=session, process_id=self.id)
        logger.info("process %s leaves the bot's processes", self.id)
        self.id = None


def _name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]
