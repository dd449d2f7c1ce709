"""Recuperar clave: a one-time code by email, typed in the chat, then a new password.
No password ever travels by email."""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail import templates
from mail.outbox import enqueue
from services import funnel, ratelimit
from services.passwords import PasswordHasher
from storage import repositories
from storage.models import ChatSession, ResetCode, utcnow

logger = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L look-alikes
CODE_TTL = timedelta(minutes=15)
CODE_TRIES = 5
_CANDIDATE = re.compile(rf"(?<![A-Z0-9])([{ALPHABET}]{{4}})[\s-]?([{ALPHABET}]{{4}})(?![A-Z0-9])")


def new_reset_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{raw[:4]}-{raw[4:]}"


def reset_code_candidates(text: str) -> list[str]:
    """Codes in what a person typed: with or without the dash, any case, among words."""
    found = [a + b for a, b in _CANDIDATE.findall(text.upper())]
    return list(dict.fromkeys(found))[:3]


class CodeStatus(StrEnum):
    VERIFIED = "verified"
    WRONG = "wrong"
    EXPIRED = "expired"
    NO_TRIES = "no-tries"


@dataclass(frozen=True, slots=True)
class CodeCheck:
    status: CodeStatus
    code_id: int | None = None
    tries_left: int | None = None


@dataclass(frozen=True, slots=True)
class Identity:
    email: str
    rfc: str


@dataclass(frozen=True, slots=True)
class ResetPolicy:
    sender: str
    notify_unknown: bool = False


class ResetService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        passwords: PasswordHasher,
        policy: ResetPolicy,
        mail_ready: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self._policy = policy
        self._mail_ready = mail_ready
        self._now = clock

    async def request(self, *, email: str, user_id: int, language: str) -> timedelta | None:
        """Mail a code if the address has an account. Returns how long to wait when a limit
        is reached (keyed by address, not account, so it reveals nothing)."""
        now = self._now()
        limits = ((ratelimit.RESET_PER_ADDRESS, email), (ratelimit.RESET_PER_USER, user_id))
        async with self._sessions() as session, session.begin():
            wait = await ratelimit.longest_wait(session=session, limits=limits, now=now)
            if wait is not None:
                return wait
            await ratelimit.record_all(session=session, limits=limits, now=now)
            await funnel.record(session=session, step=funnel.Step.RESET_REQUESTED, now=now)
            account = await repositories.get_account_by_email(session=session, email=email)
        code = new_reset_code()
        code_hash = await self._passwords.hash(code.replace("-", ""))
        async with self._sessions() as session, session.begin():
            if account is not None:
                await session.execute(
                    delete(ResetCode).where(
                        ResetCode.account_id == account.id, ResetCode.used_at.is_(None)
                    )
                )
                session.add(
                    ResetCode(
                        account_id=account.id,
                        code_hash=code_hash,
                        created_at=now,
                        expires_at=now + CODE_TTL,
                    )
                )
                content = templates.reset_code_email(language=account.language, code=code)
            elif self._policy.notify_unknown:
                content = templates.reset_unknown_email(language=language, email=email)
            else:
                return None
            await enqueue(
                session=session, recipient=email, content=content, sender=self._policy.sender
            )
        self._mail_ready()
        return None

    async def check_code(self, *, email: str, text: str) -> CodeCheck:
        now = self._now()
        async with self._sessions() as session:
            account = await repositories.get_account_by_email(session=session, email=email)
            row = None
            if account is not None:
                row = await session.scalar(
                    select(ResetCode)
                    .where(ResetCode.account_id == account.id, ResetCode.used_at.is_(None))
                    .order_by(ResetCode.id.desc())
                    .limit(1)
                )
        candidates = reset_code_candidates(text)
        if row is None:
            await self._passwords.verify(await self._decoy(), candidates[0] if candidates else "")
            return CodeCheck(CodeStatus.WRONG)
        if row.expires_at <= now:
            return CodeCheck(CodeStatus.EXPIRED)
        if row.attempts >= CODE_TRIES:
            return CodeCheck(CodeStatus.NO_TRIES)
        for candidate in candidates or [""]:
            if await self._passwords.verify(row.code_hash, candidate):
                async with self._sessions() as session, session.begin():
                    stored = await session.get(ResetCode, row.id)
                    if stored is None or stored.used_at is not None:
                        return CodeCheck(CodeStatus.EXPIRED)
                    stored.verified_at = now
                return CodeCheck(CodeStatus.VERIFIED, code_id=row.id)
        tries_left = CODE_TRIES - row.attempts - 1
        async with self._sessions() as session, session.begin():
            stored = await session.get(ResetCode, row.id)
            if stored is not None:
                stored.attempts += 1
                tries_left = CODE_TRIES - stored.attempts
        return CodeCheck(
            CodeStatus.NO_TRIES if tries_left <= 0 else CodeStatus.WRONG, tries_left=tries_left
        )

    async def identity(self, code_id: int) -> Identity | None:
        """Whose password a verified code may change (for the password policy)."""
        async with self._sessions() as session:
            row = await session.get(ResetCode, code_id)
            if row is None or row.verified_at is None or row.used_at is not None:
                return None
            account = await repositories.get_account(session=session, account_id=row.account_id)
            return Identity(email=account.email, rfc=account.rfc) if account else None

    async def complete(self, *, code_id: int, password_hash: str, chat_id: int) -> bool:
        """Set the new password: other chats are signed out, this one signed in, and the
        owner is told by email. False if the code is no longer good for it."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            row = await session.get(ResetCode, code_id)
            if (
                row is None
                or row.verified_at is None
                or row.used_at is not None
                or row.verified_at + CODE_TTL <= now
            ):
                return False
            row.used_at = now
            account = await repositories.get_account(session=session, account_id=row.account_id)
            assert account is not None
            account.password_hash = password_hash
            account.password_changed_at = now
            await session.execute(delete(ChatSession).where(ChatSession.account_id == account.id))
            await repositories.bind_chat(
                session=session, chat_id=chat_id, account_id=account.id, now=now
            )
            await funnel.record(session=session, step=funnel.Step.RESET_COMPLETED, now=now)
            content = templates.password_changed_email(language=account.language, when=now)
            await enqueue(
                session=session,
                recipient=account.email,
                content=content,
                sender=self._policy.sender,
            )
        self._mail_ready()
        logger.info("password reset for account %s", row.account_id)
        return True

    _decoy_hash: str | None = None

    async def _decoy(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = await self._passwords.hash("decoy reset code")
        return self._decoy_hash
