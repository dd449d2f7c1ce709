"""One-time codes typed in the chat (XXXX-XXXX): the password reset's and the email
change's, one mechanism for every kind (as django-allauth's flows/code_verification.py).

A kind declares only what is its own (CodeKind: its table, how long a code lasts, how many
tries it has, what a wrong try is logged as); the rest is the same for every kind:
- a code is eight characters of ALPHABET chosen with `secrets`, at least one a digit, so
  that no word is ever taken for one; it is found in what a person typed with or without
  the dash, in any case, among words;
- only its argon2 hash is stored (services/passwords.py), in one row per request;
- each try is counted in one statement before the hash is checked, so that simultaneous
  tries cannot pass the cap, and the last wrong one spends the code;
- an expired or used code is refused.
The sign-up's confirmation code is another kind of thing (services/codes.py)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import security
from services.passwords import PasswordHasher
from storage import repositories
from storage.models import OneTimeCodeRow

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes
_CANDIDATE = re.compile(rf"(?<![A-Z0-9])([{ALPHABET}]{{4}})[\s-]?([{ALPHABET}]{{4}})(?![A-Z0-9])")
MOST_CANDIDATES = 3


def new_code() -> str:
    """Eight characters of ALPHABET, at least one a digit, so that no word of eight letters
    ("pregunta", "whatsapp") is ever taken for a code (a loss of under 4 bits of 40)."""
    while True:
        raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
        if any(character.isdigit() for character in raw):
            return f"{raw[:4]}-{raw[4:]}"


def candidates(text: str) -> list[str]:
    """Codes in what a person typed: with or without the dash, any case, among words;
    only those with a digit, as every code has one, so that words are never a try."""
    found = [a + b for a, b in _CANDIDATE.findall(text.upper())]
    shaped = [code for code in found if any(character.isdigit() for character in code)]
    return list(dict.fromkeys(shaped))[:MOST_CANDIDATES]


@dataclass(frozen=True, slots=True)
class CodeKind(Generic[OneTimeCodeRow]):
    """What sets a kind of code apart: the table of its rows, how long a code lasts, how
    many tries it has, and the security event of a wrong try."""

    model: type[OneTimeCodeRow]
    ttl: timedelta
    wrong_event: str
    tries: int = 5


class CodeStatus(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"  # expired, used, or never asked for in this chat
    NO_TRIES = "no-tries"


@dataclass(frozen=True, slots=True)
class CodeCheck:
    status: CodeStatus
    code_id: int | None = None  # the row, once verified
    tries_left: int | None = None


class OneTimeCodes(Generic[OneTimeCodeRow]):
    """A kind's codes, hashed with the service's hasher, in the service's database."""

    def __init__(
        self,
        kind: CodeKind[OneTimeCodeRow],
        *,
        sessions: async_sessionmaker[AsyncSession],
        passwords: PasswordHasher,
    ) -> None:
        self.kind: CodeKind[OneTimeCodeRow] = kind
        self._sessions = sessions
        self._passwords = passwords

    async def new(self) -> tuple[str, str]:
        """A new code to mail, and the hash to store (it takes a while: outside any
        transaction)."""
        code = new_code()
        return code, await self._passwords.hash(code.replace("-", ""))

    async def check(
        self,
        *,
        text: str,
        now: datetime,
        user_id: int,
        usable: Callable[[OneTimeCodeRow], bool] = lambda row: True,
        **row: Any,
    ) -> CodeCheck:
        """Try the first code in `text` against the latest unused code whose columns equal
        `row`: every try is counted, the last wrong one spends the code. Only a `usable`
        row is verified by its code (a row that was never mailed takes tries alike)."""
        typed = candidates(text)
        model = self.kind.model
        async with self._sessions() as session, session.begin():
            found = await repositories.latest_unused_code(session=session, model=model, **row)
            if found is None or found.expires_at <= now:
                return CodeCheck(CodeStatus.EXPIRED)
            tries = await repositories.count_code_try(
                session=session, model=model, code_id=found.id, most=self.kind.tries
            )
        if tries is None:
            return CodeCheck(CodeStatus.NO_TRIES, tries_left=0)
        matches = await self._passwords.verify(found.code_hash, typed[0] if typed else "")
        if matches and usable(found):
            return CodeCheck(CodeStatus.VERIFIED, code_id=found.id)
        security.event(self.kind.wrong_event, user_id=user_id, account_id=found.account_id)
        tries_left = self.kind.tries - tries
        status = CodeStatus.NO_TRIES if tries_left <= 0 else CodeStatus.WRONG
        return CodeCheck(status, tries_left=tries_left)
