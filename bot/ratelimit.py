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

A button press answered too late is no failure: Telegram refuses `answerCallbackQuery`
once the press is some seconds old ("query is too old"), as it is when an update is
processed again after a restart (bot.intake), and the answer only stops the button's
spinner. That refusal is logged and the step goes on, where it would have ended in «Algo
salió mal» and left the press undone."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, RetryAfter
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30  # Telegram's limit for a bot, as PTB's default
MAX_RETRIES = 5

Answer = bool | dict[str, Any] | list[dict[str, Any]]


class FloodControl(AIORateLimiter):
    def __init__(
        self, *, overall_max_rate: float = OVERALL_PER_SECOND, max_retries: int = MAX_RETRIES
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, max_retries=max_retries)

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
