"""Password hashes: argon2id at OWASP's parameters, made off the event loop, at a lower CPU
priority than the loop's replies; a new password's first entry kept until its repeat as a
digest only this process can check."""

from __future__ import annotations

import asyncio
import os
import sys
import threading

import pytest
from argon2 import PasswordHasher as Argon2Hasher

from services.passwords import HASHING_NICENESS, MAX_NICENESS, PasswordHasher, Repeat
from storage.crypto import SecretBox, new_key


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


def test_a_first_entry_is_checked_against_its_repeat_without_argon2(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_argon2(*args: object, **kwargs: object) -> None:
        raise AssertionError("argon2 used for the repeat")

    monkeypatch.setattr(Argon2Hasher, "hash", no_argon2)
    monkeypatch.setattr(Argon2Hasher, "verify", no_argon2)
    hasher = PasswordHasher()
    kept = hasher.remember("mañana sera otro día")
    assert "mañana" not in kept and "$argon2" not in kept
    assert hasher.repeats(kept, "mañana sera otro día") is Repeat.SAME
    assert hasher.repeats(kept, "man\u0303ana sera otro di\u0301a") is Repeat.SAME  # NFKC
    assert hasher.repeats(kept, "mañana sera otro dia") is Repeat.DIFFERENT
    assert hasher.remember("mañana sera otro día") == kept


def test_the_processes_of_one_bot_share_the_repeat_key_and_a_new_key_forgets() -> None:
    """A load balancer hands a chat's repeat to any process: those with the same
    DATA_ENCRYPTION_KEY derive the same key (held in memory, written nowhere); once the
    key is rotated, a first entry kept under the old one is asked for again."""
    key, rotated = new_key(), new_key()
    one = PasswordHasher(repeat_key=SecretBox([key]).derived_key("password repeat"))
    other = PasswordHasher(repeat_key=SecretBox([key]).derived_key("password repeat"))
    kept = one.remember("tres tristes tigres")
    assert other.repeats(kept, "tres tristes tigres") is Repeat.SAME
    after = PasswordHasher(repeat_key=SecretBox([rotated, key]).derived_key("password repeat"))
    assert after.repeats(kept, "tres tristes tigres") is Repeat.FORGOTTEN
    assert SecretBox([key]).derived_key("password repeat") != SecretBox([key]).derived_key(
        "another purpose"
    )


async def test_a_first_entry_is_useless_without_the_key() -> None:
    """Without the key, the digest cannot be checked: another key tells the person to
    start over rather than compare, and a digest's key id, copied, does not make another
    key check it."""
    hasher, other = PasswordHasher(), PasswordHasher()
    kept = hasher.remember("tres tristes tigres")
    assert other.repeats(kept, "tres tristes tigres") is Repeat.FORGOTTEN
    key_id, _, _ = kept.partition(":")
    forged = PasswordHasher()
    forged._repeat_key_id = key_id
    assert forged.repeats(kept, "tres tristes tigres") is Repeat.DIFFERENT
    # Nothing kept, or what drafts kept before (an argon2 hash): started over.
    assert hasher.repeats(None, "tres tristes tigres") is Repeat.FORGOTTEN
    old = await hasher.hash("tres tristes tigres")
    assert hasher.repeats(old, "tres tristes tigres") is Repeat.FORGOTTEN
