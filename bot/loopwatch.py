"""For the benchmark: how long the event loop was blocked. The longest single callback
(code that blocks the loop, like hashing a password on it would), both in wall time and in
CPU time of the loop's thread (wall time also counts the thread waiting for a busy CPU;
only with `cpu`, BOT_LOOP_WATCH_CPU=1); the longest garbage-collector pass; and the longest
lateness of a 50 ms timer (which also grows when the CPU is simply saturated).

Cheap enough not to change the CPU it is there to watch: the CPU time of every callback
(two system calls, 1 µs each here) and a 5 ms timer cost the bot 1.5 to 2 ms per update in
the benchmark's 200-person run, a tenth of all its CPU, and a 5 ms timer alone 12 to 16 ms
of CPU a second with nothing to do (docs/performance.md)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import time
from pathlib import Path
from typing import Any

TICK = 0.05


class LoopWatch:
    def __init__(self, report: Path, cpu: bool = False) -> None:
        self.report = report
        self.cpu = cpu
        self.longest_lateness = 0.0
        self.longest_callback = 0.0
        self.culprit = ""
        # CPU time of the loop's thread in one callback (measured only with `cpu`)
        self.longest_callback_cpu: float | None = 0.0 if cpu else None
        self.longest_gc = 0.0
        self._gc_began = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        original = asyncio.events.Handle._run
        watch = self

        def timed(handle: asyncio.events.Handle) -> None:
            began = time.perf_counter()
            original(handle)
            noted(handle, time.perf_counter() - began)

        def timed_with_cpu(handle: asyncio.events.Handle) -> None:
            began, began_cpu = time.perf_counter(), time.thread_time()
            original(handle)
            spent, cpu = time.perf_counter() - began, time.thread_time() - began_cpu
            watch.longest_callback_cpu = max(watch.longest_callback_cpu or 0.0, cpu)
            noted(handle, spent)

        def noted(handle: asyncio.events.Handle, spent: float) -> None:
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
        setattr(asyncio.events.Handle, "_run", timed_with_cpu if self.cpu else timed)  # noqa: B010
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
