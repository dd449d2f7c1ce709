"""Taking updates from Telegram without losing one, and no more than can be held.

Every update taken is first stored in the inbox (services.inbox, in the database) and only
then acknowledged: polling stores each batch before its next getUpdates (whose offset
tells Telegram the batch was received); the webhook stores the update before answering
200. The updates are handed to the Application's processing from the inbox, oldest first, at
most WINDOW at once and one of a chat at a time (a chat that sends hundreds of messages
holds one place, not all); polling fetches no more while AHEAD updates wait in the inbox, and the
webhook then answers 503, so that Telegram keeps them and delivers them later.

At stop, fetching ends at once (a batch fetched and not stored is not acknowledged either:
Telegram delivers it again), the updates not started stay in the inbox, those started get
GRACE_SECONDS (bot.processor). Whatever was left is processed first at the next start; an
update delivered twice is stored once and processed once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from bot.processor import PerChatUpdateProcessor
from services.inbox import Inbox, Received

logger = logging.getLogger(__name__)
T = TypeVar("T")

WINDOW = 64  # updates handed to the Application and not yet over
AHEAD = 1000  # updates stored and not yet processed, beyond which no more are taken
PER_CHAT = 16  # by webhook, a chat's updates waiting beyond which its next is refused
BATCH = 100  # Telegram's largest getUpdates
GRACE_SECONDS = 3.0
RETRY_SECONDS = (0.5, 1.0, 2.0, 5.0)
FAILED_PAUSE_SECONDS = 30.0  # before an update that failed at each try is tried again


def chat_of(update: Update) -> int | None:
    chat = update.effective_chat
    return chat.id if chat else None


def received(update: Update) -> Received:
    return Received(update.update_id, chat_of(update), update.to_dict())


class Intake:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        inbox: Inbox,
        *,
        poll_timeout: int = 10,
    ) -> None:
        processor = application.update_processor
        assert isinstance(processor, PerChatUpdateProcessor)
        self._application = application
        self._processor = processor
        self._inbox = inbox
        self._window = WINDOW
        self._poll_timeout = poll_timeout
        # The updates handed over and not yet over, with their chats: at most one of a chat
        # at a time, so that one chat's many updates never fill the window.
        self._in_hand: dict[int, int | None] = {}
        # Updates whose processing failed at each try, and when: tried again after a pause.
        self._failed: dict[int, float] = {}
        self._waiting = 0  # stored and not over, as far as this process knows
        self._counted_at = 0.0
        # Updates in the inbox wait for the hand-over to read them (what the last run left,
        # or what came while the window was full); `_deferred` counts those sent there.
        self._backlog = True
        self._deferred = 0
        self._storing = 0  # stores under way (they may end on either side of a read)
        self._wake = asyncio.Event()  # something to hand over, or room for it
        self._room = asyncio.Event()  # fewer than `ahead` wait
        self._tasks: list[asyncio.Task[None]] = []
        self._dispatched: set[asyncio.Task[None]] = set()
        self._stores: set[asyncio.Future[Any]] = set()
        processor.settled = self._settled
        processor.rerun = application.process_update
        processor.revive = self._revive

    @property
    def full(self) -> bool:
        return self._waiting >= AHEAD

    async def start(self, *, poll: bool) -> None:
        """Hand over what the last run left, then (when `poll`) fetch from Telegram."""
        self._waiting = await self._inbox.count_pending()
        if self._waiting:
            logger.info("%d updates left by the last run are processed first", self._waiting)
        self._note_room()
        self._wake.set()
        self._tasks.append(asyncio.create_task(self._hand_over(), name="intake-hand-over"))
        if poll:
            self._tasks.append(asyncio.create_task(self._poll(), name="intake-poll"))

    async def stop(self) -> None:
        """Take no more updates and hand over no more; then the processor's `close`."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self._stores:  # what was stored is neither acknowledged nor handed over: kept
            await asyncio.wait(set(self._stores))
        await self._processor.close(GRACE_SECONDS)
        if self._dispatched:  # over or cut short by now
            await asyncio.wait(set(self._dispatched))

    def adopted(self, count: int) -> None:
        """`count` updates of processes that stopped or died are now this one's: handed
        over from the inbox in their turn."""
        self._waiting += count
        self._backlog = True
        self._deferred += 1
        self._note_room()
        self._wake.set()

    async def _revive(self, update_id: int) -> Update | None:
        item = await self._inbox.read(update_id)
        return None if item is None else Update.de_json(item.payload, self._application.bot)

    async def receive(self, updates: Sequence[Update]) -> bool:
        """Store updates (the webhook's one, a poll's batch); False, storing nothing, while
        the inbox is full, or (the webhook's one) while its chat has PER_CHAT waiting.
        Raises when the database cannot store them."""
        if self.full:
            await self._recount()
            if self.full:
                return False
        chat = chat_of(updates[0]) if len(updates) == 1 else None
        if chat is not None:
            # One chat sending faster than its updates are processed (a script, a
            # stranger) waits at Telegram, which holds that chat's updates back and goes
            # on delivering the others': it never fills the inbox for everyone.
            waiting = await self._db(self._inbox.waiting_in_chat(chat, most=PER_CHAT))
            if waiting >= PER_CHAT:
                logger.info(
                    "chat %s has %d updates waiting; the next waits at Telegram", chat, waiting
                )
                return False
        await self._take(updates)
        return True

    async def _take(self, updates: Sequence[Update]) -> None:
        """Store updates; those stored now (not delivered before) go on to the Application
        at once when nothing older waits in the inbox and there is room, else the hand-over
        reads them back from the inbox in their turn."""
        self._storing += 1
        try:
            new = await self._db(self._inbox.store([received(u) for u in updates]))
        finally:
            self._storing -= 1
        fresh = [update for update in updates if update.update_id in new]
        self._waiting += len(fresh)
        self._note_room()
        if not fresh:
            return
        chats = [chat_of(update) for update in fresh]
        busy = self._busy_chats()
        crowded = any(c is not None and (c in busy or chats.count(c) > 1) for c in chats)
        if self._backlog or crowded or len(self._in_hand) + len(fresh) > self._window:
            self._backlog = True
            self._deferred += 1
            self._wake.set()
            return
        for update, chat in zip(fresh, chats, strict=True):
            self._in_hand[update.update_id] = chat
            self._dispatch(update)

    async def _db(self, work: Coroutine[Any, Any, T]) -> T:
        """Run a use of the inbox shielded: a stop that cancels the poll, the hand-over or
        the webhook's request in the middle of it lets it end (and waits for it), rather
        than leave a transaction open on a connection nobody returns: SQLite's file would
        stay locked, every transaction beginning IMMEDIATE."""
        task = asyncio.ensure_future(work)
        self._stores.add(task)
        task.add_done_callback(self._stores.discard)
        return await asyncio.shield(task)

    def _resting(self) -> set[int]:
        """The failed updates whose pause is not over (forgetting those whose is)."""
        now = asyncio.get_running_loop().time()
        for update_id in [u for u, at in self._failed.items() if now - at >= FAILED_PAUSE_SECONDS]:
            del self._failed[update_id]
        return set(self._failed)

    def _busy_chats(self) -> set[int]:
        return {chat for chat in self._in_hand.values() if chat is not None}

    def _dispatch(self, update: Update) -> None:
        """Process the update in a task of its own, through the per-chat processor. Not
        through PTB's update queue: the Application's tasks mark each update's chat and
        user for a persistence this bot does not have, in sets nothing empties then."""
        task = asyncio.create_task(
            self._processor.process_update(update, self._application.process_update(update)),
            name=f"update-{update.update_id}",
        )
        self._dispatched.add(task)
        task.add_done_callback(self._dispatched.discard)

    async def _recount(self) -> None:
        """Count the updates waiting again, at most once a second: one delivered twice is
        stored once but was counted twice."""
        now = asyncio.get_running_loop().time()
        if now - self._counted_at < 1:
            return
        self._counted_at = now
        self._waiting = await self._db(self._inbox.count_pending()) - len(self._resting())
        self._note_room()

    def _settled(self, update_id: int, done: bool) -> None:
        self._in_hand.pop(update_id, None)
        if done:
            self._failed.pop(update_id, None)
        else:
            self._failed[update_id] = asyncio.get_running_loop().time()
            self._backlog = True  # read again once its pause is over
        self._waiting = max(0, self._waiting - 1)
        self._note_room()
        self._wake.set()

    def _note_room(self) -> None:
        if self.full:
            self._room.clear()
        else:
            self._room.set()

    async def _poll(self) -> None:
        bot = self._application.bot
        offset: int | None = None
        failures = 0
        while True:
            while self.full:
                # Counted again now and then: an update Telegram delivered twice is
                # stored once but was counted twice.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._room.wait(), timeout=1)
                await self._recount()
            try:
                # The offset acknowledges the batch before, stored already.
                updates = await bot.get_updates(
                    offset=offset,
                    limit=min(BATCH, AHEAD - self._waiting),
                    timeout=self._poll_timeout,
                    allowed_updates=Update.ALL_TYPES,
                )
                if updates:
                    await self._take(updates)
                    offset = updates[-1].update_id + 1
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                pause = RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)]
                failures += 1
                if isinstance(error, TelegramError):
                    logger.warning("getUpdates failed (%s); again in %s s", error, pause)
                else:
                    logger.exception("updates not stored; fetched again in %s s", pause)
                await asyncio.sleep(pause)

    async def _hand_over(self) -> None:
        """Read the inbox's backlog, oldest first, into the window as it has room."""
        bot = self._application.bot
        while True:
            self._wake.clear()
            room = self._window - len(self._in_hand)
            if not self._backlog or room <= 0:
                await self._wake.wait()
                continue
            deferred = self._deferred
            resting = self._resting()
            skip = sorted(set(self._in_hand) | resting)
            try:
                found = await self._db(
                    self._inbox.pending(room, skip=skip, busy_chats=sorted(self._busy_chats()))
                )
                # Whether the read took all that waits: only worth asking when it did not
                # fill the room (with a full room there is more, or soon will be).
                left = (
                    await self._db(self._inbox.count_pending(skip=skip))
                    if len(found) < room
                    else room + 1
                )
            except Exception:
                logger.exception("the inbox cannot be read; trying again")
                await asyncio.sleep(1)
                continue
            for item in found:
                if item.update_id not in self._in_hand:  # handed over meanwhile
                    self._in_hand[item.update_id] = item.chat_id
                    self._dispatch(Update.de_json(item.payload, bot))
            if (
                len(found) == left
                and deferred == self._deferred
                and not self._storing
                and not resting
            ):
                self._backlog = False  # read to its end: new updates go straight on
            elif not found:
                # A store under way, a busy chat's update or a failed one's pause wakes it.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=FAILED_PAUSE_SECONDS)
