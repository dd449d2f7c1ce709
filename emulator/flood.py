"""Telegram's flood control: past a number of sends a second, overall or in one chat, the
Bot API answers 429 with `retry_after` instead of sending.

Off unless limits are set (`BotApiEmulator(flood_limits=...)` or `emulator.flood = ...`).
Only the methods that put a message in a chat or change one count (`counts`):
send*, edit*, copy* and forward*; reading updates, answering a callback query, deleting a
message and the bot's profile never do. A refused send is not counted as sent.

Counted per bot, as Telegram does: by its token, so that several processes of one bot
share its limits and another bot's sends are its own. `refused` counts every bot's 429s."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.world import ApiError

COUNTED_PREFIXES = ("send", "edit", "copy", "forward")


def counts(method: str) -> bool:
    """Whether a call of `method` is a send that flood control limits."""
    return method.lower().startswith(COUNTED_PREFIXES)


class TooManyRequests(ApiError):
    """Telegram's 429, with the whole seconds to wait (at least 1) in `parameters`."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )
        self.retry_after = retry_after


@dataclass
class FloodLimits:
    """At most `overall` sends in any `window` seconds by one bot, and at most `per_chat`
    in one chat; None for no limit."""

    overall: int | None = None
    per_chat: int | None = None
    window: float = 1.0

    def __post_init__(self) -> None:
        if any(limit is not None and limit < 1 for limit in (self.overall, self.per_chat)):
            raise ValueError("a flood limit is at least one send a window")


@dataclass
class FloodControl:
    limits: FloodLimits
    clock: Callable[[], float] = time.monotonic
    refused: int = 0  # the 429s answered so far
    # The times of each bot's sends, overall and in each chat.
    _sent: dict[str, deque[float]] = field(default_factory=dict)
    _sent_in: dict[tuple[str, int], deque[float]] = field(default_factory=dict)

    def admit(self, token: str, chat_id: int | None) -> None:
        """Count one send of the bot behind `token`, or raise TooManyRequests when it
        would pass a limit."""
        now = self.clock()
        overall = self._sent.setdefault(token, deque())
        chat = self._sent_in.setdefault((token, chat_id), deque()) if chat_id is not None else None
        waits = [
            self._wait(sent, limit, now)
            for sent, limit in ((overall, self.limits.overall), (chat, self.limits.per_chat))
            if sent is not None and limit is not None
        ]
        wait = max(waits, default=0.0)
        if wait > 0:
            self.refused += 1
            raise TooManyRequests(max(1, math.ceil(wait)))
        overall.append(now)
        if chat is not None:
            chat.append(now)
        self._forget_idle(now)

    def _wait(self, sent: deque[float], limit: int, now: float) -> float:
        """Seconds until one more send fits in the window (0 when it fits now)."""
        while sent and sent[0] <= now - self.limits.window:
            sent.popleft()
        if len(sent) < limit:
            return 0.0
        return sent[-limit] + self.limits.window - now

    def _forget_idle(self, now: float) -> None:
        if len(self._sent_in) > 1024:  # memory stays flat with many chats
            old = now - self.limits.window
            for chat in [c for c, sent in self._sent_in.items() if not sent or sent[-1] <= old]:
                del self._sent_in[chat]
