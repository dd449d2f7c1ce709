"""argon2id password hashing, always off the event loop; and a new password's first entry
kept until it is typed again, at a cost of microseconds, not a second argon2 hash."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import os
import secrets
import sys
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from enum import Enum

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


class Repeat(Enum):
    """How a new password's second entry compares with the first one kept (`remember`)."""

    SAME = "same"
    DIFFERENT = "different"
    FORGOTTEN = "forgotten"  # kept under another key, or not kept: can't tell


class PasswordHasher:
    """Hashes in worker threads of its own, at most one fewer than the cores: argon2 takes
    tens of milliseconds of CPU, and a burst of sign-ups must leave a core to the event
    loop, so that every other step still answers at once. Memory stays bounded too
    (19 MiB per hash in progress)."""

    def __init__(self, *, repeat_key: bytes | None = None) -> None:
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
        # The key of the first entries kept until they are typed again: in memory only,
        # never written anywhere, so that the digests a chat's draft holds cannot be tested
        # against guesses by whoever reads the database. The bot's processes share one,
        # derived from DATA_ENCRYPTION_KEY (storage.crypto), since a load balancer hands a
        # chat's next message to any of them; without it, a key of this object's own.
        self._repeat_key = repeat_key or secrets.token_bytes(32)
        self._repeat_key_id = hmac.new(self._repeat_key, b"key id", hashlib.sha256).hexdigest()[:16]

    async def hash(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self._hasher.hash, normalized(password))

    async def verify(self, password_hash: str, password: str) -> bool:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._threads, self._verify, password_hash, normalized(password)
        )

    def remember(self, password: str) -> str:
        """What a draft keeps of a new password's first entry until the second: its
        HMAC-SHA256 under the repeat key, with the key's id. A second argon2 hash would
        cost as much as the one stored; this costs microseconds, on the loop."""
        return f"{self._repeat_key_id}:{self._repeat_digest(password)}"

    def repeats(self, remembered: str | None, password: str) -> Repeat:
        """Whether `password` is the first entry `remember` gave; FORGOTTEN when that was
        under another key (DATA_ENCRYPTION_KEY changed since) or is missing."""
        key_id, _, digest = (remembered or "").partition(":")
        if key_id != self._repeat_key_id:
            return Repeat.FORGOTTEN
        if hmac.compare_digest(digest, self._repeat_digest(password)):
            return Repeat.SAME
        return Repeat.DIFFERENT

    def _repeat_digest(self, password: str) -> str:
        digest = hmac.new(self._repeat_key, normalized(password).encode(), hashlib.sha256)
        return digest.hexdigest()

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
