"""The bot as `python main.py` runs it, with its own flood control off: PTB's rate limiter
(which bot.ratelimit builds on) passes every request straight on, neither pacing it nor
trying a 429 again. For the benchmark's runs without Telegram's limit (bench.processes),
where the emulator refuses nothing either."""

from __future__ import annotations

import runpy
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from telegram.ext import AIORateLimiter

ROOT = Path(__file__).resolve().parents[1]


async def straight(
    self: AIORateLimiter,
    callback: Callable[..., Coroutine[Any, Any, Any]],
    args: Any,
    kwargs: dict[str, Any],
    endpoint: str,
    data: dict[str, Any],
    rate_limit_args: int | None,
) -> Any:
    return await callback(*args, **kwargs)


AIORateLimiter.process_request = straight  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.argv = [str(ROOT / "main.py"), *sys.argv[1:]]
    runpy.run_path(str(ROOT / "main.py"), run_name="__main__")
