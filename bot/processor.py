"""Updates of different chats run concurrently; updates of one chat run one at a time, in
order, each with the chat's record read from the database before it and written back
after it (services.chats), so that a flow never sees two of its messages at once and the
chat's state lives nowhere but in the database. The transaction that writes the record
marks the update done in the inbox (bot.intake).

When the bot stops (`close`), an update that has not started (not yet holding its chat)
is not started: it stays in the inbox for the next start. One that has started gets a
short grace to finish, then is cut short, its record not written, so that it too is
processed again after the restart."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from chat.common import answering_presses
from chat.context import holding
from chat.state import ChatData
from services.chats import ChatRecords, HeldRecord
from services.inbox import Inbox

logger = logging.getLogger(__name__)

# Updates in hand at once (each holds its chat, and on PostgreSQL a connection).
MAX_CONCURRENT_UPDATES = 32
WAITING_AT_MOST = 4096
# Pauses before an update that failed is tried again in its turn; after the last, it waits
# in the inbox, no longer holding its chat's later updates back, to be tried again later
# (bot.intake).
RETRY_PAUSES = (0.5, 2.0)


class _NotStarted(Exception):
    """The bot began to stop while the update waited for its chat."""


def _drop(coroutine: Awaitable[Any]) -> None:
    if inspect.iscoroutine(coroutine):
        coroutine.close()


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self,
        records: ChatRecords,
        inbox: Inbox,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
    ) -> None:
        # PTB's own bound counts the updates waiting for their chat's turn as well: it is only
        # a backstop here, the places that count are `_slots`.
        super().__init__(WAITING_AT_MOST)
        self._records = records
        self._slots = asyncio.Semaphore(max_concurrent_updates)
        self._inbox = inbox
        self._closing = False
        self._started: set[asyncio.Task[bool]] = set()
        # Told of each update once it is over: its update_id, and whether it was processed.
        self.settled: Callable[[int, bool], None] = lambda update_id, done: None
        # How to process an update again (the Application's process_update), for a retry.
        self.rerun: Callable[[object], Awaitable[Any]] | None = None
        # How to read an update kept in the inbox by its update_id (None once processed).
        self.revive: Callable[[int], Awaitable[object | None]] | None = None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else None
        done = False
        try:
            if self._closing:
                _drop(coroutine)
                return
            work = asyncio.get_running_loop().create_task(
                self._process(update, coroutine, update_id), name=f"update-{update_id}"
            )
            self._started.add(work)
            try:
                done = await work
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not work.cancelled() or (task is not None and task.cancelling()):
                    raise
                pass  # cut short by the stop (logged there)
            except _NotStarted:
                pass
            except Exception:
                # Left in the inbox: tried again later (bot.intake).
                logger.exception("update %s failed; it is tried again later", update_id)
            finally:
                self._started.discard(work)
        finally:
            if update_id is not None:
                self.settled(update_id, done)

    async def _process(
        self, update: object, coroutine: Awaitable[Any], update_id: int | None
    ) -> bool:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            if update_id is not None:
                await self._inbox.done(update_id)
            return True
        try:
            # The chat's turn first, then a place among the updates in hand: a chat's queued
            # updates take no place, so one chat that sends many messages at once never
            # holds up the others. An update that fails (the database, not a handler: the
            # error handler answers those) is tried again in its turn, the chat's next
            # updates waiting, so that none is read at a step it has left behind.
            async with self._records.turn(chat.id):
                pauses = iter(RETRY_PAUSES)
                rested: set[int | None] = set()  # older updates given up on in this turn
                while True:
                    current = update_id
                    try:
                        async with self._slots:
                            if self._closing:
                                raise _NotStarted
                            async with self._records.record(chat.id, update_id=update_id) as held:
                                work = await self._first_in_line(held, update_id, coroutine)
                                if work is None:
                                    return True  # processed already, by another process
                                current = held.update_id
                                data = ChatData.from_json(held.data) if held.data else ChatData()
                                with holding(data):
                                    async with answering_presses(chat):
                                        await work
                                held.data = None if data == ChatData() else data.to_json()
                        if current == update_id:
                            return True
                        pauses = iter(RETRY_PAUSES)  # an older one was processed: now this
                    except _NotStarted:
                        raise
                    except Exception:
                        pause = next(pauses, None)
                        if (
                            pause is None
                            and current != update_id
                            and current not in rested
                            and not self._closing
                        ):
                            # An older update of the chat failed at each try: it rests,
                            # and this one, which never ran, goes on in its turn.
                            await self._give_up(current)
                            rested.add(current)
                            pauses = iter(RETRY_PAUSES)
                            _drop(coroutine)
                            assert self.rerun is not None
                            coroutine = self.rerun(update)
                            continue
                        if pause is None or self.rerun is None or self._closing:
                            await self._give_up(current)
                            raise
                        logger.warning(
                            "update %s failed; tried again in %s s", current, pause, exc_info=True
                        )
                        await asyncio.sleep(pause)
                        _drop(coroutine)
                        coroutine = self.rerun(update)
        finally:
            _drop(coroutine)  # when it never ran

    async def _first_in_line(
        self, held: HeldRecord, update_id: int | None, coroutine: Awaitable[Any]
    ) -> Awaitable[Any] | None:
        """What to process now, holding the chat: the update itself when it is the chat's
        first in line (or the inbox does not hold it); the chat's older update first
        (stored by another process, or left by one that died) when there is one; None
        when the update was processed already (another process took it in line)."""
        first = held.first_in_line
        if update_id is None or first == update_id:
            return coroutine
        if held.done_already:
            held.update_id = None
            return None
        if first is None or first > update_id or self.revive is None or self.rerun is None:
            return coroutine  # failed before and tried again, or not kept: itself
        older = await self.revive(first)
        if older is None:  # processed or dropped meanwhile: this one, in its turn
            return coroutine
        logger.info("chat %s: update %s first, it came before %s", held.chat_id, first, update_id)
        held.update_id = first
        return self.rerun(older)

    async def _give_up(self, update_id: int | None) -> None:
        """An update that failed at each try is tried again later (bot.intake) rather
        than hold its chat's later updates back meanwhile."""
        if update_id is None:
            return
        try:
            await self._inbox.failed(update_id)
        except Exception:
            logger.warning("update %s: its failure could not be noted", update_id)

    async def close(self, grace: float) -> None:
        """Start no more updates; give those started `grace` seconds, then cut them short."""
        self._closing = True
        if not self._started:
            return
        _, late = await asyncio.wait(set(self._started), timeout=grace)
        for work in late:
            work.cancel()
        if late:
            logger.info("%d updates cut short by the stop: processed after restart", len(late))
            await asyncio.wait(late)

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
