"""Codes: the sign-up's confirmation code (its shape and how it is found in pasted text),
and the one-time codes typed in the chat, the rules every kind of them keeps, tried here on
a kind of their own (each kind's own parameters are tested with its service)."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

from sqlalchemy import select

from services import one_time_codes
from services.codes import (
    code_candidates,
    code_from_payload,
    deep_link_payload,
    hash_code,
    new_confirmation_code,
)
from services.one_time_codes import ALPHABET, CodeCheck, CodeKind, CodeStatus, OneTimeCodes
from services.passwords import PasswordHasher
from storage import repositories
from storage.models import ResetCode
from tests.factories import CountingHasher
from tests.services.conftest import AccountsWorld


def test_codes_are_40_hex_characters_and_differ() -> None:
    codes = {new_confirmation_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(re.fullmatch(r"[0-9a-f]{40}", code) for code in codes)


def test_hash_ignores_case_and_hides_the_code() -> None:
    code = new_confirmation_code()
    assert hash_code(code) == hash_code(code.upper())
    assert code not in hash_code(code)


def test_code_is_found_with_words_around_it() -> None:
    code = new_confirmation_code()
    assert code_candidates(f"mi código: {code.upper()}. ¡Gracias!") == [code]


def test_code_broken_over_lines_is_found_among_few_candidates() -> None:
    code = new_confirmation_code()
    candidates = code_candidates(f"Código de confirmación:\n{code[:25]}\n{code[25:]}\nsaludos")
    assert code in candidates
    assert len(candidates) <= 9


def test_text_without_a_code_has_no_candidates() -> None:
    assert code_candidates("hola, ¿cómo confirmo?") == []
    assert code_candidates("abc" * 5) == []


def test_deep_link_payload_round_trips_and_fits_telegram() -> None:
    code = new_confirmation_code()
    payload = deep_link_payload(code)
    assert len(payload) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", payload)
    assert code_from_payload(payload) == code
    assert code_from_payload("otra-cosa") is None


def test_one_time_codes_are_random_and_avoid_look_alikes() -> None:
    codes = {one_time_codes.new_code() for _ in range(300)}
    assert len(codes) == 300
    assert all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code) for code in codes)
    assert not set("".join(codes)) & set("01OIL")
    assert set(ALPHABET) >= set("".join(codes).replace("-", ""))


def test_a_one_time_code_is_found_with_or_without_dash_in_any_case_among_words() -> None:
    found = one_time_codes.candidates
    assert found("K7PX-3MQA") == ["K7PX3MQA"]
    assert found("mi código: k7px 3mqa, gracias") == ["K7PX3MQA"]
    assert found("k7px3mqa") == ["K7PX3MQA"]
    assert found("hola") == []
    assert found("K7PX-3MQA K7PX3MQA A2AA-AAAA B2BB-BBBB C2CC-CCCC") == [
        "K7PX3MQA",
        "A2AAAAAA",
        "B2BBBBBB",
    ]


def test_a_word_is_never_taken_for_a_one_time_code() -> None:
    """Every code has a digit, so "pregunta", "whatsapp" or "para esta" are words."""
    assert all(any(c.isdigit() for c in one_time_codes.new_code()) for _ in range(300))
    assert one_time_codes.candidates("tengo una pregunta") == []
    assert one_time_codes.candidates("para esta") == []
    assert one_time_codes.candidates("me lo mandaste, es K7PX-3MQA") == ["K7PX3MQA"]


# A kind of its own, on the reset codes' table: what holds for it holds for every kind.
KIND = CodeKind(model=ResetCode, ttl=timedelta(minutes=3), wrong_event="test-code-wrong")


async def issue(accounts: AccountsWorld, codes: OneTimeCodes[ResetCode], chat: int = 1) -> str:
    """A code of KIND asked in `chat`, as a kind's service stores it; the code to type."""
    code, code_hash = await codes.new()
    now = accounts.clock.now
    async with accounts.sessions() as session, session.begin():
        row = ResetCode(
            chat_id=chat,
            email="ana@example.mx",
            code_hash=code_hash,
            created_at=now,
            expires_at=now + KIND.ttl,
        )
        await repositories.add_reset_code(session=session, code=row)
    return code


def kind_codes(
    accounts: AccountsWorld, hasher: PasswordHasher | None = None
) -> OneTimeCodes[ResetCode]:
    return OneTimeCodes(KIND, sessions=accounts.sessions, passwords=hasher or PasswordHasher())


async def check(
    accounts: AccountsWorld, codes: OneTimeCodes[ResetCode], text: str, chat: int = 1
) -> CodeCheck:
    return await codes.check(text=text, now=accounts.clock.now, user_id=chat, chat_id=chat)


async def test_only_a_hash_of_a_one_time_code_is_stored(accounts: AccountsWorld) -> None:
    codes = kind_codes(accounts)
    code = await issue(accounts, codes)
    async with accounts.sessions() as session:
        [row] = (await session.scalars(select(ResetCode))).all()
    assert row.code_hash.startswith("$argon2id$")
    assert code.replace("-", "") not in row.code_hash and code not in row.code_hash
    assert await check(accounts, codes, f"es {code.lower()}") == CodeCheck(
        CodeStatus.VERIFIED, code_id=row.id
    )


async def test_a_one_time_code_expires(accounts: AccountsWorld) -> None:
    codes = kind_codes(accounts)
    code = await issue(accounts, codes)
    accounts.clock.advance(minutes=2, seconds=59)
    assert (await check(accounts, codes, code)).status is CodeStatus.VERIFIED
    accounts.clock.advance(seconds=1)
    assert await check(accounts, codes, code) == CodeCheck(CodeStatus.EXPIRED)


async def test_five_wrong_tries_lock_a_one_time_code(accounts: AccountsWorld) -> None:
    codes = kind_codes(accounts)
    code = await issue(accounts, codes)
    tries = [await check(accounts, codes, "ZZZZ-ZZZ2") for _ in range(5)]
    assert tries == [CodeCheck(CodeStatus.WRONG, tries_left=left) for left in (4, 3, 2, 1)] + [
        CodeCheck(CodeStatus.NO_TRIES, tries_left=0)
    ]
    assert await check(accounts, codes, code) == CodeCheck(CodeStatus.NO_TRIES, tries_left=0)


async def test_a_word_is_never_a_right_try(accounts: AccountsWorld) -> None:
    """Text without a code is a wrong try (it is counted like any other)."""
    codes = kind_codes(accounts)
    await issue(accounts, codes)
    assert await check(accounts, codes, "pregunta") == CodeCheck(CodeStatus.WRONG, tries_left=4)


async def test_a_used_one_time_code_is_refused(accounts: AccountsWorld) -> None:
    codes = kind_codes(accounts)
    code = await issue(accounts, codes)
    verified = await check(accounts, codes, code)
    assert verified.code_id is not None
    async with accounts.sessions() as session, session.begin():
        used = await repositories.claim_code(
            session=session, model=ResetCode, code_id=verified.code_id, now=accounts.clock.now
        )
        assert used is not None
        again = await repositories.claim_code(
            session=session, model=ResetCode, code_id=verified.code_id, now=accounts.clock.now
        )
        assert again is None
    assert await check(accounts, codes, code) == CodeCheck(CodeStatus.EXPIRED)


async def test_a_code_of_another_chat_or_a_row_it_cannot_use_is_never_right(
    accounts: AccountsWorld,
) -> None:
    codes = kind_codes(accounts)
    code = await issue(accounts, codes, chat=1)
    assert await check(accounts, codes, code, chat=2) == CodeCheck(CodeStatus.EXPIRED)
    unusable = await codes.check(
        text=code, now=accounts.clock.now, user_id=1, usable=lambda row: False, chat_id=1
    )
    assert unusable == CodeCheck(CodeStatus.WRONG, tries_left=4)


async def test_simultaneous_tries_cannot_pass_the_cap(accounts: AccountsWorld) -> None:
    hasher = CountingHasher()
    codes = kind_codes(accounts, hasher)
    await issue(accounts, codes)
    checks = await asyncio.gather(*(check(accounts, codes, "ABCD-EFG2") for _ in range(12)))
    assert hasher.verifies == 5  # the code hash was checked five times, no more
    assert sum(check.status is CodeStatus.NO_TRIES for check in checks) == 8
