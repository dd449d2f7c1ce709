"""argon2id password hashing, always off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher as Argon2Hasher
from argon2 import Type
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
OWASP_MEMORY_KIB = 19 * 1024
OWASP_TIME_COST = 2
OWASP_PARALLELISM = 1

# Hashing threads run at a lower CPU priority than the event loop (Linux sets nice values
# per thread), so that when the machine is busy, replies go first and hashes wait.
HASHING_NICENESS = 10  # added to the process's own
MAX_NICENESS = 19


def _lower_priority() -> None:
    if sys.platform == "linux":  # elsewhere the id below would name a process, not a thread
        thread = threading.get_native_id()
        niceness = min(MAX_NICENESS, os.getpriority(os.PRIO_PROCESS, thread) + HASHING_NICENESS)
        with contextlib.suppress(OSError):  # not allowed here: hash at normal priority
            os.setpriority(os.PRIO_PROCESS, thread, niceness)


class PasswordHasher:
    """Hashes in worker threads of its own, at most one fewer than the cores: argon2 takes
    tens of milliseconds of CPU, and a burst of sign-ups must leave a core to the event
    loop, so that every other step still answers at once. Memory stays bounded too
    (19 MiB per hash in progress)."""

    def __init__(self) -> None:
        self._threads = ThreadPoolExecutor(
            max_workers=max(1, (os.cpu_count() or 2) - 1),
            thread_name_prefix="argon2",
            initializer=_lower_priority,
        )
        self._hasher = Argon2Hasher(
            time_cost=OWASP_TIME_COST,
            memory_cost=OWASP_MEMORY_KIB,
            parallelism=OWASP_PARALLELISM,
            type=Type.ID,
        )

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self._hasher.hash, normalized(password))

    async def verify(self, password_hash: str, password: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._threads, self._verify, password_hash, normalized(password)
        )

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False


def normalized(password: str) -> str:
    """NIST SP 800-63B: passwords are compared in Unicode NFKC form, so that "ñ" typed as
    one character or as "n" and a combining tilde (as some keyboards send it) is the same
    password."""
    return unicodedata.normalize("NFKC", password)
