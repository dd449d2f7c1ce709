"""Telegram's flood control on the bot's side: PTB's AIORateLimiter (aiolimiter), which
keeps the bot under about 30 sends a second and retries a 429 after its `retry_after`
(holding every other send back meanwhile, as Telegram asks).

PTB limits groups per chat but not private chats, and neither does this: a step of a flow
answers with one or two messages, under Telegram's "about one a second" in a chat, and
a limiter per private chat (tried: three at once, then one a second) held a quick typist's
replies back by seconds (local mode's piped session lost its step) with no 429 to avoid.
A 429 of one chat is retried like any other.

Each chat's updates run one at a time (bot.processor) and a handler awaits each send,
retries included, so a chat's replies keep their order. A send that still fails after its
retries is logged as an error naming the chat, then raised as before (the error handler
logs the update and tells the person).

Telegram's limit is the bot's, whatever the number of its processes: each process keeps to
an equal share of it (`share`, from the live processes' count, bot.membership), so that
together they stay under it; a process gone returns its share at the others' next beat.
The sends are counted as Telegram counts them, in any second (`SlidingWindow`): they go at
once until the process's share of the limit went in the last second, then each when the
oldest leaves it; not as aiolimiter's bucket of 30, which sends 30 at once and 30 more in
the same second, past Telegram's 30 in any second (and several processes' bursts add up).
Together the processes send at most the limit less one (for the clocks' drift).

A button press answered too late is no failure: Telegram refuses `answerCallbackQuery`
once the press is some seconds old ("query is too old"), as it is when an update is
processed again after a restart (bot.intake), and the answer only stops the button's
spinner. That refusal is logged and the step goes on, where it would have ended in «Algo
salió mal» and left the press undone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, RetryAfter
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30  # Telegram's limit for a bot, as PTB's default
MAX_RETRIES = 5

Answer = bool | dict[str, Any] | list[dict[str, Any]]


class SlidingWindow(AsyncLimiter):
    """At most `most` sends in any `window` seconds, counted as Telegram counts them: a send
    counts from when it starts until `window` after its answer came (it reached Telegram
    by then), so that sends held up on their way (the connection pool, the network) never
    crowd into Telegram's second. A send goes at once while fewer count, else in its turn
    (first come, first served) as one stops counting. `most` can change while sends wait."""

    def __init__(self, most: int, window: float = 1.0) -> None:
        super().__init__(max_rate=most, time_period=window)
        self.most = most
        self.window = window
        self._sending = 0
        self._answered: deque[float] = deque()  # when the sends in the window were answered
        self._turns = asyncio.Lock()  # the sends waiting, in order
        self._freed = asyncio.Event()

    def _counted(self, now: float) -> int:
        while self._answered and self._answered[0] <= now - self.window:
            self._answered.popleft()
        return self._sending + len(self._answered)

    def has_capacity(self, amount: float = 1) -> bool:
        return self._counted(asyncio.get_running_loop().time()) < self.most

    async def acquire(self, amount: float = 1) -> None:
        loop = asyncio.get_running_loop()
        async with self._turns:
            while self._counted(loop.time()) >= self.most:
                self._freed.clear()
                # Until the oldest answered leaves the window, or a send under way ends.
                until = self._answered[0] + self.window - loop.time() if self._answered else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), until)
            self._sending += 1

    async def __aexit__(self, *exc_info: object) -> None:
        self._sending -= 1
        self._answered.append(asyncio.get_running_loop().time())
        self._freed.set()


def process_share(limit: int, processes: int) -> int:
    """Sends in any second for each of `processes` processes, so that together they send
    at most `limit` less one (for the clocks' drift)."""
    return max(1, (limit - 1) // max(1, processes))


class FloodControl(AIORateLimiter):
    def __init__(
        self, *, overall_max_rate: float = OVERALL_PER_SECOND, max_retries: int = MAX_RETRIES
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, max_retries=max_retries)
        self._limit = int(overall_max_rate)
        self.per_second = 0  # 0: nothing held back
        if self._limit:
            self.per_second = process_share(self._limit, 1)
            self._base_limiter = SlidingWindow(self.per_second)

    def share(self, processes: int) -> int:
        """Keep to this process's share of the bot's limit, `processes` sharing it: the
        sends it may make in any second, which sends already waiting keep to."""
        limiter = self._base_limiter
        if isinstance(limiter, SlidingWindow):
            self.per_second = limiter.most = process_share(self._limit, processes)
        return self.per_second

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Answer]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Answer:
        try:
            return await super().process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        except BadRequest as error:
            if endpoint == "answerCallbackQuery" and "query is too old" in error.message.lower():
                logger.info("a button press answered too late (it is handled all the same)")
                return True
            raise
        except RetryAfter:
            logger.error(
                "%s to chat %s failed under flood control after its retries",
                endpoint,
                data.get("chat_id", "-"),
            )
            raise
