"""Each chat's record: the flow and step it is in, its drafts, its last question, read
from the database at the start of each of its updates and written back before the next
one is taken, the way aiogram's FSM storage keeps a chat's state and data.

A chat's updates run one at a time: an asyncio lock per chat in this process, and on
PostgreSQL an advisory lock of the chat held by the record's own transaction for the
whole update, so that another process serving the same chat waits for its turn and then
reads what this one wrote. The record is sealed at rest (drafts hold a password's hash,
an email, fiscal data). Nothing is kept in memory between updates but the locks of chats
with an update in hand."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import repositories
from storage.crypto import SecretBox, UnreadableSecret
from storage.models import ChatDataRow, utcnow

logger = logging.getLogger(__name__)

SEALED = "sealed"
PAGE = 500

Record = dict[str, Any]


@dataclass
class HeldRecord:
    """A chat's record while its update is in hand: `data` is what was stored (None for a
    chat with none); set it to what to store (None: nothing to keep)."""

    chat_id: int
    data: Record | None
    stored: Record | None = field(default=None, repr=False)

    @property
    def changed(self) -> bool:
        return self.data != self.stored


class ChatRecords:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        *,
        lock_sessions: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._sessions = sessions
        # Given on PostgreSQL: a connection held for each update in hand, from a pool of its
        # own, so that updates holding their chats never leave the use cases without one.
        # SQLite serves one process, whose own lock is enough.
        self._lock_sessions = lock_sessions
        self._box = box
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}
        self._later: set[asyncio.Task[None]] = set()

    @asynccontextmanager
    async def held(
        self, chat_id: int, *, update_id: int | None = None
    ) -> AsyncIterator[HeldRecord]:
        """The chat's record, for one update: nobody else holds the chat meanwhile, and what
        `data` holds at the end is written back (not if the update was cancelled or
        failed), in the transaction that marks the inbox's `update_id` done."""
        async with self._in_process(chat_id):
            if self._lock_sessions is not None:
                async with self._lock_sessions() as session, session.begin():
                    await repositories.lock_chat(session=session, chat_id=chat_id)
                    held = self._open(
                        chat_id, await repositories.read_chat(session=session, chat_id=chat_id)
                    )
                    yield held
                    if held.changed:
                        await self._write(session, held)
                    await self._finish(session, update_id)
                logger.debug("chat %s: update over", chat_id)
                return
            async with self._sessions() as session:
                held = self._open(
                    chat_id, await repositories.read_chat(session=session, chat_id=chat_id)
                )
            yield held
            if held.changed or update_id is not None:
                async with self._sessions() as session, session.begin():
                    if held.changed:
                        await self._write(session, held)
                    await self._finish(session, update_id)
            logger.debug("chat %s: update over", chat_id)

    @staticmethod
    async def _finish(session: AsyncSession, update_id: int | None) -> None:
        if update_id is not None:
            await repositories.finish_update(session=session, update_id=update_id, now=utcnow())

    async def rewrite_each(self, change: Callable[[Record], Record | None], *, skip: int) -> None:
        """Apply `change` to every stored record but chat `skip`'s (the one in hand): the
        records are read a page at a time, and those that `change` changes are written
        again under their chat's lock, re-read there. A chat with an update in hand gets
        it once that update is over, in a task of its own (so that two chats doing this
        at once never wait for each other). For what concerns every chat at once (an
        account deleted), not for the path of an update."""
        later: list[int] = []
        after: int | None = None
        while True:
            async with self._sessions() as session:
                page = await repositories.chats_after(session=session, chat_id=after, limit=PAGE)
            for row in page:
                held = self._open(row.chat_id, row)
                if row.chat_id == skip or held.data is None or change(held.data) == held.stored:
                    continue
                lock = self._locks.get(row.chat_id)
                if lock is not None and lock.locked():
                    later.append(row.chat_id)
                else:
                    await self._rewrite(row.chat_id, change)
            if len(page) < PAGE:
                break
            after = page[-1].chat_id
        if later:
            task = asyncio.create_task(self._rewrite_all(later, change), name="chat-rewrite")
            self._later.add(task)
            task.add_done_callback(self._later.discard)

    async def settle(self) -> None:
        """Wait for the rewrites left for chats that had an update in hand."""
        if self._later:
            await asyncio.gather(*self._later, return_exceptions=True)

    async def _rewrite_all(
        self, chat_ids: list[int], change: Callable[[Record], Record | None]
    ) -> None:
        for chat_id in chat_ids:
            await self._rewrite(chat_id, change)

    async def _rewrite(self, chat_id: int, change: Callable[[Record], Record | None]) -> None:
        async with self.held(chat_id) as held:
            if held.data is not None:
                held.data = change(held.data)

    async def count(self) -> int:
        async with self._sessions() as session:
            return await repositories.count_chats(session=session)

    async def store(self, records: dict[int, Record]) -> None:
        """Write many chats' records at once, outside any update (the benchmark's parked
        chats, made in seconds where Telegram would take hours): one statement."""
        sealed = {
            chat_id: {SEALED: self._box.seal(json.dumps(data))} for chat_id, data in records.items()
        }
        async with self._sessions() as session, session.begin():
            await repositories.write_chats(session=session, records=sealed, now=utcnow())

    async def page(self, *, after: int | None, limit: int = PAGE) -> list[tuple[int, Record]]:
        """Stored records in chat_id order, after chat `after`, outside any update (the
        benchmark counts the steps kept)."""
        async with self._sessions() as session:
            rows = await repositories.chats_after(session=session, chat_id=after, limit=limit)
        return [(row.chat_id, self._open(row.chat_id, row).data or {}) for row in rows]

    @asynccontextmanager
    async def _in_process(self, chat_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(chat_id, asyncio.Lock())
        self._users[chat_id] = self._users.get(chat_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[chat_id] -= 1
            if not self._users[chat_id]:  # forget idle chats: memory stays flat
                del self._users[chat_id]
                del self._locks[chat_id]

    def _open(self, chat_id: int, row: ChatDataRow | None) -> HeldRecord:
        if row is None:
            return HeldRecord(chat_id, None)
        try:
            # Read twice: one copy to change, one to tell whether it changed.
            text = self._box.open(row.data[SEALED]) if SEALED in row.data else json.dumps(row.data)
        except UnreadableSecret:
            # Sealed with a key no longer given: the chat starts afresh rather than the bot
            # failing on each of its updates.
            logger.warning("chat %s: its record was sealed with another key; dropped", chat_id)
            return HeldRecord(chat_id, None, stored={})
        data: Record = json.loads(text)
        stored: Record = json.loads(text)
        flow = data.get("flow")
        if row.steps and flow in row.steps and data.get("step") is None:
            data["step"] = row.steps[flow]  # kept by PTB's conversations before 0013
            stored = {}  # written back with its step
        return HeldRecord(chat_id, data, stored=stored)

    async def _write(self, session: AsyncSession, held: HeldRecord) -> None:
        sealed = None if held.data is None else {SEALED: self._box.seal(json.dumps(held.data))}
        await repositories.write_chat(
            session=session, chat_id=held.chat_id, data=sealed, now=utcnow()
        )
