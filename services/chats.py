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
Change = Callable[[Record], Record | None]


@dataclass
class HeldRecord:
    """A chat's record while its update is in hand: `data` is what was stored (None for a
    chat with none); set it to what to store (None: nothing to keep)."""

    chat_id: int
    data: Record | None = field(repr=False)  # drafts: never in a log line or a traceback
    stored: Record | None = field(default=None, repr=False)
    # The update marked done in the transaction that writes the record (None: none).
    update_id: int | None = None
    # Read under the chat's lock when the record is held for an update: the chat's oldest
    # update not yet processed, whichever process owns it (the one to process now), and,
    # when that is not the update itself, whether the update was processed already (None:
    # the inbox does not hold it).
    first_in_line: int | None = None
    done_already: bool | None = None

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
        async with self.turn(chat_id), self.record(chat_id, update_id=update_id) as held:
            yield held

    @asynccontextmanager
    async def turn(self, chat_id: int) -> AsyncIterator[None]:
        """The chat's turn in this process: its updates one at a time, in order. Taken
        before anything else an update needs, so that a chat's queued updates hold nothing
        (no database connection, no place among the updates in hand)."""
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

    @asynccontextmanager
    async def record(
        self, chat_id: int, *, update_id: int | None = None
    ) -> AsyncIterator[HeldRecord]:
        """The chat's record, read and then written back, within the chat's turn: on
        PostgreSQL in one transaction holding the chat's lock, for other processes. The
        transaction that writes it marks the inbox's `held.update_id` done (`update_id`
        unless changed meanwhile); with an `update_id`, `held.first_in_line` tells which
        of the chat's updates comes first."""
        if self._lock_sessions is not None:
            async with self._lock_sessions() as session, session.begin():
                await repositories.lock_chat(session=session, chat_id=chat_id)
                held = await self._read(session, chat_id, update_id)
                yield held
                if held.changed:
                    await self._write(session, held)
                await self._finish(session, held.update_id)
            logger.debug("chat %s: update over", chat_id)
            return
        async with self._sessions() as session:
            held = await self._read(session, chat_id, update_id)
        yield held
        if held.changed or held.update_id is not None:
            async with self._sessions() as session, session.begin():
                if held.changed:
                    await self._write(session, held)
                await self._finish(session, held.update_id)
        logger.debug("chat %s: update over", chat_id)

    async def _read(self, session: AsyncSession, chat_id: int, update_id: int | None) -> HeldRecord:
        held = self._open(chat_id, await repositories.read_chat(session=session, chat_id=chat_id))
        if update_id is not None:
            held.update_id = update_id
            first = await repositories.first_in_line(session=session, chat_id=chat_id)
            held.first_in_line = first
            if first != update_id:
                held.done_already = await repositories.update_done(
                    session=session, update_id=update_id
                )
        return held

    @staticmethod
    async def _finish(session: AsyncSession, update_id: int | None) -> None:
        if update_id is not None:
            await repositories.finish_update(session=session, update_id=update_id, now=utcnow())

    async def rewrite_each(self, change: Change, *, skip: int) -> None:
        """Apply `change` to every stored record but chat `skip`'s (the one whose update is
        in hand): for what concerns every chat at once (an account deleted), not for the
        path of an update. The records are read a page at a time; one that `change`
        changes is written again under its chat's lock, re-read there. Never waiting for a
        chat while this update holds its own (two chats doing this at once would wait for
        each other): a chat held elsewhere just now gets it from a task of its own, once
        that chat's update is over."""
        later: list[int] = []
        after: int | None = None
        while True:
            async with self._sessions() as session:
                page = await repositories.chats_after(session=session, chat_id=after, limit=PAGE)
            for row in page:
                if row.chat_id == skip:
                    continue
                if self._busy(row.chat_id):
                    later.append(row.chat_id)
                    continue
                try:
                    held = self._open(row.chat_id, row)
                    if held.data is None or change(held.data) == held.stored:
                        continue
                    if not await self._rewrite(row.chat_id, change, wait=False):
                        later.append(row.chat_id)
                except Exception:
                    logger.exception("chat %s: its record could not be rewritten", row.chat_id)
                    later.append(row.chat_id)
            if len(page) < PAGE:
                break
            after = page[-1].chat_id
            await asyncio.sleep(0)  # a long walk lets other updates through between pages
        if later:
            task = asyncio.create_task(self._rewrite_later(later, change), name="chat-rewrite")
            self._later.add(task)
            task.add_done_callback(self._later.discard)

    async def settle(self) -> None:
        """Wait for the rewrites left for chats that had an update in hand."""
        if self._later:
            await asyncio.gather(*self._later, return_exceptions=True)

    def _busy(self, chat_id: int) -> bool:
        lock = self._locks.get(chat_id)
        return lock is not None and lock.locked()

    async def _rewrite_later(self, chat_ids: list[int], change: Change) -> None:
        for chat_id in chat_ids:
            try:
                await self._rewrite(chat_id, change, wait=True)
            except Exception:
                logger.exception("chat %s: its record could not be rewritten", chat_id)

    async def _rewrite(self, chat_id: int, change: Change, *, wait: bool) -> bool:
        """Rewrite one chat's record under its lock; without `wait`, only if the chat is
        free now. Whether it was done."""
        if not wait and self._busy(chat_id):
            return False
        async with self.turn(chat_id):
            if self._lock_sessions is None:
                async with self.record(chat_id) as held:
                    if held.data is not None:
                        held.data = change(held.data)
                return True
            async with self._lock_sessions() as session, session.begin():
                if not await repositories.lock_chat(session=session, chat_id=chat_id, wait=wait):
                    return False  # another process has an update of the chat in hand
                held = self._open(
                    chat_id, await repositories.read_chat(session=session, chat_id=chat_id)
                )
                if held.data is not None:
                    held.data = change(held.data)
                if held.changed:
                    await self._write(session, held)
            return True

    async def count(self) -> int:
        async with self._sessions() as session:
            return await repositories.count_chats(session=session)

    async def store(self, records: dict[int, Record]) -> None:
        """Write many chats' records at once, outside any update (the benchmark's parked
        chats, made in seconds where Telegram would take hours)."""
        sealed = {
            chat: {SEALED: self._box.seal(json.dumps(data))} for chat, data in records.items()
        }
        async with self._sessions() as session, session.begin():
            await repositories.write_chats(session=session, records=sealed, now=utcnow())

    async def page(self, *, after: int | None, limit: int = PAGE) -> list[tuple[int, Record]]:
        """Stored records in chat_id order, after chat `after`, outside any update (the
        benchmark counts the steps kept)."""
        async with self._sessions() as session:
            rows = await repositories.chats_after(session=session, chat_id=after, limit=limit)
        return [(row.chat_id, self._open(row.chat_id, row).data or {}) for row in rows]

    def _open(self, chat_id: int, row: ChatDataRow | None) -> HeldRecord:
        if row is None:
            return HeldRecord(chat_id, None)
        try:
            # Read twice: one copy to change, one to tell whether it changed.
            sealed = SEALED in row.data
            text = self._box.open(row.data[SEALED]) if sealed else json.dumps(row.data)
        except UnreadableSecret:
            # Sealed with a key no longer given: the chat starts afresh rather than the bot
            # failing on each of its updates.
            logger.warning("chat %s: its record was sealed with another key; dropped", chat_id)
            return HeldRecord(chat_id, None, stored={})
        data: Record = json.loads(text)
        # A record stored before sealing existed counts as changed: sealed at its next write.
        stored: Record = json.loads(text) if sealed else {}
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
