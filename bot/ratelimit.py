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
The sends are paced (`Pacer`): a few at once (a step's reply of two or three messages
goes without a wait), then at even intervals, rather than let through in bursts as
aiolimiter's bucket of 30 does, which sends 30 at once and 30 more in the same second, past
Telegram's 30 in any second (and several processes' bursts add up). Paced, the processes
together send at most the limit less one (for the clocks' drift) in any second.

A button press answered too late is no failure: Telegram refuses `answerCallbackQuery`
once the press is some seconds old ("query is too old"), as it is when an update is
processed again after a restart (bot.intake), and the answer only stops the button's
spinner. That refusal is logged and the step goes on, where it would have ended in «Algo
salió mal» and left the press undone."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import BadRequest, RetryAfter
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30  # Telegram's limit for a bot, as PTB's default
MAX_RETRIES = 5

Answer = bool | dict[str, Any] | list[dict[str, Any]]


class Pacer(AsyncLimiter):
    """Up to `burst` sends at once, then one every 1/rate seconds (the generic cell rate
    algorithm): in any second at most burst + rate. The rate can change while sends wait."""

    def __init__(self, rate: float, burst: int) -> None:
        super().__init__(max_rate=burst, time_period=burst / rate)
        self.rate = rate
        self.burst = burst
        self._due = 0.0  # when the sends taken so far would have gone at the rate

    def has_capacity(self, amount: float = 1) -> bool:
        return self._at(asyncio.get_running_loop().time()) <= 0

    def _at(self, now: float) -> float:
        """How long until one more send may go."""
        return max(self._due, now) - (self.burst - 1) / self.rate - now

    async def acquire(self, amount: float = 1) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        wait = self._at(now)
        self._due = max(self._due, now) + 1 / self.rate  # the turn is taken
        if wait > 0:
            await asyncio.sleep(wait)


BURST = 4  # sends at once by all processes together: a step's reply goes without a wait


def process_share(limit: float, processes: int) -> tuple[float, int]:
    """Each of `processes` processes' rate (sends a second) and burst, so that together
    they send at most `limit` less one (for the clocks' drift) in any second."""
    processes = max(1, processes)
    burst = max(1, BURST // processes)
    return max(1.0, (limit - 1 - processes * burst) / processes), burst


class FloodControl(AIORateLimiter):
    def __init__(
        self, *, overall_max_rate: float = OVERALL_PER_SECOND, max_retries: int = MAX_RETRIES
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, max_retries=max_retries)
        self._limit = overall_max_rate
        self.per_second = 0.0  # 0: nothing held back
        if overall_max_rate:
            self.per_second, burst = process_share(overall_max_rate, 1)
            self._base_limiter = Pacer(self.per_second, burst)

    def share(self, processes: int) -> float:
        """Keep to this process's share of the bot's limit, `processes` sharing it; the
        new rate (sends a second), which sends already waiting keep to from the next."""
        limiter = self._base_limiter
        if isinstance(limiter, Pacer):
            limiter.rate, limiter.burst = process_share(self._limit, processes)
            self.per_second = limiter.rate
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
