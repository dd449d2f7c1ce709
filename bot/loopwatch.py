"""For the benchmark: how long the event loop was blocked. The longest single callback
(code that blocks the loop, like hashing a password on it would), both in wall time and in
CPU time of the loop's thread (wall time also counts the thread waiting for a busy CPU);
the longest garbage-collector pass; and the longest lateness of a 5 ms timer (which also
grows when the CPU is simply saturated)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import time
from pathlib import Path
from typing import Any

TICK = 0.005


class LoopWatch:
    def __init__(self, report: Path) -> None:
        self.report = report
        self.longest_lateness = 0.0
        self.longest_callback = 0.0
        self.culprit = ""
        self.longest_callback_cpu = 0.0  # CPU time of the loop's thread in one callback
        self.longest_gc = 0.0
        self._gc_began = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        original = asyncio.events.Handle._run
        watch = self

        def timed(handle: asyncio.events.Handle) -> None:
            began, began_cpu = time.perf_counter(), time.thread_time()
            original(handle)
            spent = time.perf_counter() - began
            watch.longest_callback_cpu = max(
                watch.longest_callback_cpu, time.thread_time() - began_cpu
            )
            if spent > watch.longest_callback:
                watch.longest_callback = spent
                # asyncio keeps a handle's callback in a private attribute, unlisted in its
                # type; the benchmark only reads it to name the slowest callback.
                callback = getattr(handle, "_callback", None)
                task = getattr(callback, "__self__", None)
                coro = task.get_coro() if isinstance(task, asyncio.Task) else None
                watch.culprit = getattr(coro, "__qualname__", None) or repr(handle)[:300]

        def gc_pause(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                watch._gc_began = time.perf_counter()
            else:
                watch.longest_gc = max(watch.longest_gc, time.perf_counter() - watch._gc_began)

        # The one way to time every callback of the loop: wrap the method that runs them.
        setattr(asyncio.events.Handle, "_run", timed)  # noqa: B010
        gc.callbacks.append(gc_pause)
        self._task = asyncio.create_task(self._watch(), name="loop-watch")

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        written = loop.time()
        while True:
            before = loop.time()
            await asyncio.sleep(TICK)
            self.longest_lateness = max(self.longest_lateness, loop.time() - before - TICK)
            if loop.time() - written > 1:
                self.write()
                written = loop.time()

    def write(self) -> None:
        self.report.write_text(
            json.dumps(
                {
                    "longest_callback_seconds": self.longest_callback,
                    "longest_callback": self.culprit,
                    "longest_callback_cpu_seconds": self.longest_callback_cpu,
                    "longest_timer_lateness_seconds": self.longest_lateness,
                    "longest_gc_seconds": self.longest_gc,
                }
            )
        )

    async def stop(self) -> None:
        self.write()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
