"""Telegram's flood control on the bot's side: PTB's AIORateLimiter (aiolimiter), which
keeps the bot under about 30 sends a second and retries a 429 after its `retry_after`,
plus a limit per private chat, which PTB's limiter applies to groups only.

Each chat's updates run one at a time (bot.processor) and a handler awaits each send,
retries included, so a chat's replies keep their order. A send that still fails after its
retries is logged as an error naming the chat, then raised as before (the error handler
tells the person)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30  # Telegram's limit for a bot, as PTB's default
# "About one message a second" in a private chat, with short bursts allowed: a step that
# answers with two or three messages goes out at once.
PRIVATE_CHAT_BURST = 3
PRIVATE_CHAT_SECONDS = 3.0
MAX_RETRIES = 5

Answer = bool | dict[str, Any] | list[dict[str, Any]]


class FloodControl(AIORateLimiter):
    def __init__(
        self,
        *,
        overall_max_rate: float = OVERALL_PER_SECOND,
        private_chat_burst: float = PRIVATE_CHAT_BURST,
        private_chat_seconds: float = PRIVATE_CHAT_SECONDS,
        max_retries: int = MAX_RETRIES,
    ) -> None:
        super().__init__(overall_max_rate=overall_max_rate, max_retries=max_retries)
        self._private_burst = private_chat_burst
        self._private_seconds = private_chat_seconds
        self._private: dict[int, AsyncLimiter] = {}

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Answer]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Answer:
        chat_id = _chat_id(data)
        limiter = self._private_limiter(chat_id) if chat_id and chat_id > 0 else None
        try:
            async with limiter or contextlib.nullcontext():
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        except RetryAfter:
            logger.error(
                "%s to chat %s failed under flood control after its retries",
                endpoint,
                chat_id if chat_id is not None else "-",
            )
            raise

    def _private_limiter(self, chat_id: int) -> AsyncLimiter:
        if len(self._private) > 512:  # forget chats whose bucket has drained: memory stays flat
            for key, old in list(self._private.items()):
                if old.has_capacity(old.max_rate):
                    del self._private[key]
        limiter = self._private.get(chat_id)
        if limiter is None:
            limiter = AsyncLimiter(self._private_burst, self._private_seconds)
            self._private[chat_id] = limiter
        return limiter


def _chat_id(data: dict[str, Any]) -> int | None:
    with contextlib.suppress(KeyError, TypeError, ValueError):
        return int(data["chat_id"])
    return None
