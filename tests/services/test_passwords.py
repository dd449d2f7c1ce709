"""Password hashes: argon2id at OWASP's parameters, made off the event loop, at a lower CPU
priority than the loop's replies."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest
from argon2 import PasswordHasher as Argon2Hasher

from services.passwords import HASHING_NICENESS, MAX_NICENESS, PasswordHasher


async def test_hashes_are_argon2id_at_owasp_parameters_and_verify() -> None:
    hasher = PasswordHasher()
    stored = await hasher.hash("tres tristes tigres")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert "tres tristes tigres" not in stored
    assert await hasher.verify(stored, "tres tristes tigres")
    assert not await hasher.verify(stored, "tres tristes tigre")
    assert not await hasher.verify("not a hash", "tres tristes tigres")


@pytest.mark.skipif(sys.platform != "linux", reason="thread priorities are set on Linux only")
async def test_hashing_runs_in_its_own_threads_at_a_lower_priority(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each hash notes its thread as it runs: looked up afterwards, the pool's threads may
    # have exited already (nothing keeps a hasher alive), or not have lowered their
    # priority yet (a thread that took no hash).
    hashed_in: list[tuple[str, int]] = []
    real_hash = Argon2Hasher.hash

    def noting_hash(self: Argon2Hasher, password: str | bytes, *, salt: bytes | None = None) -> str:
        niceness = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        hashed_in.append((threading.current_thread().name, niceness))
        return real_hash(self, password, salt=salt)

    monkeypatch.setattr(Argon2Hasher, "hash", noting_hash)
    await asyncio.gather(*(PasswordHasher().hash(f"clave {n}") for n in range(2)))
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    lowered = min(MAX_NICENESS, own + HASHING_NICENESS)
    assert [niceness for _, niceness in hashed_in] == [lowered, lowered]
    assert all(name.startswith("argon2") for name, _ in hashed_in)
