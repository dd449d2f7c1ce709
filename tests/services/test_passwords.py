"""Password hashes: argon2id at OWASP's parameters, made off the event loop, at a lower CPU
priority than the loop's replies."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest

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
async def test_hashing_runs_in_its_own_threads_at_a_lower_priority() -> None:
    before = set(threading.enumerate())
    await asyncio.gather(*(PasswordHasher().hash(f"clave {n}") for n in range(2)))
    hashing = [t for t in threading.enumerate() if t not in before and t.name.startswith("argon2")]
    assert hashing
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    for thread in hashing:
        assert thread.native_id is not None
        lowered = min(MAX_NICENESS, own + HASHING_NICENESS)
        assert os.getpriority(os.PRIO_PROCESS, thread.native_id) == lowered
