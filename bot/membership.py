"""This process among the bot's processes (services.processes): it joins at start, beats
every few seconds, and at each beat adopts the updates that processes stopped or gone
left in the inbox (bot.intake hands them over) and takes its share of Telegram's limit
(bot.ratelimit); at stop it leaves, letting go of what it has not processed, so that a
rolling deploy's old process hands its updates to the new ones at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.intake import Intake
from bot.ratelimit import FloodControl
from services import processes
from services.inbox import Inbox

logger = logging.getLogger(__name__)


class Membership:
    def __init__(self, inbox: Inbox, intake: Intake, limiter: FloodControl | None) -> None:
        self._inbox = inbox
        self._processes = inbox.processes
        self._intake = intake
        self._limiter = limiter
        self._live = 0
        self._task: asyncio.Task[None] | None = None

    async def join(self, *, alone: bool) -> None:
        """Join, take a share of the limit, and adopt what gone processes left: before the
        intake starts, which then hands it over first."""
        await self._processes.join(alone=alone)
        live = await self._processes.live()
        self._share(live)
        if live > 1:
            # The others take their smaller share at their next beat: until then, sent
            # beside theirs, this one's would pass Telegram's limit.
            await asyncio.sleep(1.5 * processes.BEAT_SECONDS)
        adopted = await self._inbox.adopt()
        if adopted:
            logger.info("%d updates left by processes gone are processed here", adopted)

    def start(self) -> None:
        self._task = asyncio.create_task(self._beat(), name="membership")

    async def leave(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self._processes.leave()
        except Exception:  # the others adopt what it held once its row is stale
            logger.exception("could not leave the bot's processes cleanly")

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(processes.BEAT_SECONDS)
            try:
                self._share(await self._processes.beat())
                adopted = await self._inbox.adopt()
            except Exception:
                logger.warning("heartbeat failed; trying again", exc_info=True)
                continue
            if adopted:
                logger.info("%d updates left by processes gone are processed here", adopted)
                self._intake.adopted(adopted)

    def _share(self, live: int) -> None:
        live = max(1, live)
        if live == self._live:
            return
        self._live = live
        if self._limiter is None:
            logger.info("%d processes serve the bot", live)
            return
        rate = self._limiter.share(live)
        logger.info("%d processes serve the bot: %d sends in any second here", live, rate)
