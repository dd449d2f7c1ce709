"""Running a CPU-bound call that input can make slow in a process of its own, under a time
limit, so that nothing a person sends can stall the event loop: a thread would not do,
since cryptography holds Python's global lock while OpenSSL works.

Each call gets a fresh process, forked from a server process started once (the
"forkserver" method, with the call's module loaded in advance), so a call costs a fork,
not a Python start; the process is killed when the time is up. The server process ends
with the bot's. Where "forkserver" does not exist (Windows), "spawn" is used."""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import os
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import Any, TypeVar, cast

T = TypeVar("T")

# What the children need, imported once by the server process. The main module too (as
# multiprocessing does by default): otherwise every child would run main.py again.
_PRELOAD = ["__main__", "services.csd_files"]
_NICENESS = 10  # below the event loop's priority, as argon2's threads are


class TookTooLong(Exception):
    """The call did not finish within its time limit; its process was killed."""


class ChildFailed(Exception):
    """The call raised, or its process died, in the child."""


@functools.cache
def _context() -> ForkServerContext | SpawnContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")  # pragma: no cover - Windows


def _child(sender: Connection, function: Callable[..., Any], args: tuple[Any, ...]) -> None:
    with contextlib.suppress(AttributeError, OSError):  # a system without nice()
        os.nice(_NICENESS)
    try:
        result = (True, function(*args))
    except Exception as error:  # the parent learns only that it failed, and the class
        result = (False, type(error).__name__)
    sender.send(result)
    sender.close()


def run_isolated(function: Callable[..., T], *args: Any, seconds: float) -> T:
    """`function(*args)` in a process of its own; TookTooLong past `seconds`. Blocks the
    calling thread: call it through `asyncio.to_thread`. `function` must be importable
    (a module's top-level function) and its arguments and result picklable."""
    context = _context()
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, function, args), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise TookTooLong(f"{function.__name__} took over {seconds} s")
        try:
            ok, value = receiver.recv()
        except EOFError:  # the process died without an answer
            raise ChildFailed(f"{function.__name__}: the process ended without a result") from None
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()
    if not ok:
        raise ChildFailed(f"{function.__name__} raised {value}")
    return cast(T, value)
