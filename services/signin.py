"""Signing a chat in to an account ("Accesar"), keeping it signed in, signing it out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import ratelimit
from services.passwords import PasswordHasher
from services.validation import PersonType
from storage import repositories
from storage.models import Account, utcnow

logger = logging.getLogger(__name__)


class SignInStatus(StrEnum):
    SIGNED_IN = "signed-in"
    WRONG = "wrong"  # email or password: the answer does not say which
    UNCONFIRMED = "unconfirmed"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    email: str
    rfc: str

    @property
    def person_type(self) -> PersonType:
        return PersonType.MORAL if len(self.rfc) == 12 else PersonType.FISICA

    @classmethod
    def of(cls, account: Account) -> AccountInfo:
        return cls(id=account.id, email=account.email, rfc=account.rfc)


@dataclass(frozen=True, slots=True)
class SignInResult:
    status: SignInStatus
    account: AccountInfo | None = None
    retry_after: timedelta | None = None


class SignInService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        passwords: PasswordHasher,
        idle_timeout: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords
        self._idle_timeout = idle_timeout
        self._now = clock
        self._decoy_hash: str | None = None

    async def sign_in(
        self, *, email: str, password: str, chat_id: int, user_id: int
    ) -> SignInResult:
        now = self._now()
        limits = ((ratelimit.SIGN_IN_PER_ACCOUNT, email), (ratelimit.SIGN_IN_PER_USER, user_id))
        async with self._sessions() as session, session.begin():
            wait = await ratelimit.longest_wait(session=session, limits=limits, now=now)
            if wait is not None:
                return SignInResult(SignInStatus.LOCKED, retry_after=wait)
            account = await repositories.get_account_by_email(session=session, email=email)
        # Verified outside any transaction (it takes a while), and against a decoy hash for
        # an unknown address, so that timing does not tell which addresses have accounts.
        stored = account.password_hash if account else await self._decoy()
        matches = await self._passwords.verify(stored, password)
        async with self._sessions() as session, session.begin():
            if not matches or account is None:
                await ratelimit.record_all(session=session, limits=limits, now=now)
                return SignInResult(SignInStatus.WRONG)
            if not account.confirmed:
                return SignInResult(SignInStatus.UNCONFIRMED, account=AccountInfo.of(account))
            await repositories.bind_chat(
                session=session, chat_id=chat_id, account_id=account.id, now=self._now()
            )
        logger.info("chat %s signed in to account %s", chat_id, account.id)
        return SignInResult(SignInStatus.SIGNED_IN, account=AccountInfo.of(account))

    async def current_account(self, chat_id: int) -> AccountInfo | None:
        """The account this chat is signed in to, if the session is still good: used within
        the idle timeout and begun after the password's last change."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            bound = await repositories.get_chat_session(session=session, chat_id=chat_id)
            if bound is None:
                return None
            account = await repositories.get_account(session=session, account_id=bound.account_id)
            stale = bound.last_seen_at + self._idle_timeout < now
            if account is None or stale or bound.signed_in_at < account.password_changed_at:
                await repositories.unbind_chat(session=session, chat_id=chat_id)
                return None
            bound.last_seen_at = now
            return AccountInfo.of(account)

    async def sign_out(self, chat_id: int) -> bool:
        async with self._sessions() as session, session.begin():
            return await repositories.unbind_chat(session=session, chat_id=chat_id)

    async def _decoy(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = await self._passwords.hash("decoy password for unknown emails")
        return self._decoy_hash
