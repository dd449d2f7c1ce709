"""Signing a chat in to an account ("Accesar"), keeping it signed in, signing it out.

Attempts are counted before the password is checked, in one step with the check of the
limit, so that many guesses at the same moment cannot pass it. Strangers share a limit per
address; a chat where the account has signed in before has its own instead, so that
strangers' failures cannot lock the owner out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import ratelimit, security
from services.passwords import PasswordHasher
from services.validation import PersonType, person_type_of
from storage import repositories
from storage.models import Account, ChatSession, utcnow

logger = logging.getLogger(__name__)


class SignInStatus(StrEnum):
    SIGNED_IN = "signed-in"
    WRONG = "wrong"  # email or password, or not confirmed yet: the answer does not say
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    email: str
    rfc: str

    @property
    def person_type(self) -> PersonType:
        return person_type_of(self.rfc)

    @classmethod
    def of(cls, account: Account) -> AccountInfo:
        return cls(id=account.id, email=account.email, rfc=account.rfc)


class RecheckStatus(StrEnum):
    RIGHT = "right"
    WRONG = "wrong"
    LOCKED = "locked"
    SIGNED_OUT = "signed-out"  # the chat's session ended meanwhile


@dataclass(frozen=True, slots=True)
class Recheck:
    """The password asked again in a signed-in chat: when it was right (`verified_at`, for
    the change it allows), or how long to wait."""

    status: RecheckStatus
    account: AccountInfo | None = None
    verified_at: datetime | None = None
    retry_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class SignInResult:
    status: SignInStatus
    account: AccountInfo | None = None
    retry_after: timedelta | None = None
    left: AccountInfo | None = None  # the other account this chat was signed in to


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

    async def _limits(
        self, session: AsyncSession, email: str, chat_id: int, user_id: int
    ) -> tuple[Account | None, list[tuple[ratelimit.Limit, object]]]:
        account = await repositories.get_account_by_email(session=session, email=email)
        known = account is not None and await repositories.is_known_chat(
            session=session, account_id=account.id, chat_id=chat_id
        )
        limits: list[tuple[ratelimit.Limit, object]] = [(ratelimit.SIGN_IN_PER_USER, user_id)]
        if account is not None and known:
            limits.append((ratelimit.SIGN_IN_KNOWN_CHAT, f"{account.id}:{chat_id}"))
        else:
            limits.append((ratelimit.SIGN_IN_PER_ADDRESS, email))
        return account, limits

    async def locked_for(self, *, email: str, chat_id: int, user_id: int) -> timedelta | None:
        """How long sign-in to this address is locked for this chat, if it is (asked before
        the password, so that nobody types one in vain)."""
        async with self._sessions() as session:
            account, limits = await self._limits(session, email, chat_id, user_id)
            wait = await ratelimit.longest_wait(session=session, limits=limits, now=self._now())
        if wait is not None:
            security.event("sign-in-locked", user_id=user_id, account_id=_id(account))
        return wait

    async def sign_in(
        self, *, email: str, password: str, chat_id: int, user_id: int
    ) -> SignInResult:
        now = self._now()
        async with self._sessions() as session, session.begin():
            account, limits = await self._limits(session, email, chat_id, user_id)
            admission = await ratelimit.acquire(session=session, limits=limits, now=now)
        if admission.wait is not None:
            security.event("sign-in-locked", user_id=user_id, account_id=_id(account))
            return SignInResult(SignInStatus.LOCKED, retry_after=admission.wait)
        # Verified outside any transaction (it takes a while), and against a decoy hash for
        # an unknown address, so that timing does not tell which addresses have accounts.
        stored = account.password_hash if account else await self._decoy()
        matches = await self._passwords.verify(stored, password)
        # An unconfirmed account answers as a wrong password does: otherwise signing up
        # with an address and a password, then signing in with them, would tell whether
        # the address had an account before (a taken one would say "wrong").
        if not matches or account is None or not account.confirmed:
            security.event("sign-in-failed", user_id=user_id, account_id=_id(account))
            return SignInResult(SignInStatus.WRONG)
        async with self._sessions() as session, session.begin():
            await ratelimit.forget(session=session, admission=admission)
            previous = await repositories.bind_chat(
                session=session, chat_id=chat_id, account_id=account.id, now=self._now()
            )
            left = None
            if previous not in (None, account.id):
                before = await repositories.get_account(session=session, account_id=previous)
                left = AccountInfo.of(before) if before else None
                security.event(
                    "account-switch", user_id=user_id, account_id=account.id, left=previous
                )
        logger.info("chat %s signed in to account %s", chat_id, account.id)
        return SignInResult(SignInStatus.SIGNED_IN, account=AccountInfo.of(account), left=left)

    async def recheck_password(self, *, chat_id: int, user_id: int, password: str) -> Recheck:
        """The password of the account this chat is signed in to, asked again before a
        change the session alone must not make (the address, a deletion). Counted as a
        sign-in in this chat is (the chat's own allowance and the person's), in one step
        with the limit, and uncounted when right."""
        account = await self.current_account(chat_id)
        if account is None:
            return Recheck(RecheckStatus.SIGNED_OUT)
        limits: list[tuple[ratelimit.Limit, object]] = [
            (ratelimit.SIGN_IN_PER_USER, user_id),
            (ratelimit.SIGN_IN_KNOWN_CHAT, f"{account.id}:{chat_id}"),
        ]
        async with self._sessions() as session, session.begin():
            admission = await ratelimit.acquire(session=session, limits=limits, now=self._now())
            stored = await repositories.get_account(session=session, account_id=account.id)
        if admission.wait is not None:
            security.event("password-recheck-locked", user_id=user_id, account_id=account.id)
            return Recheck(RecheckStatus.LOCKED, retry_after=admission.wait)
        if stored is None or not await self._passwords.verify(stored.password_hash, password):
            security.event("password-recheck-failed", user_id=user_id, account_id=account.id)
            return Recheck(RecheckStatus.WRONG)
        async with self._sessions() as session, session.begin():
            await ratelimit.forget(session=session, admission=admission)
        return Recheck(RecheckStatus.RIGHT, account=account, verified_at=self._now())

    async def current_account(self, chat_id: int) -> AccountInfo | None:
        """The account this chat is signed in to, if the session is still good: used within
        the idle timeout and begun after the password's last change."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            bound = await repositories.get_chat_session(session=session, chat_id=chat_id)
            if bound is None:
                return None
            account = await repositories.get_account(session=session, account_id=bound.account_id)
            if account is None or not still_good(
                bound, account, now=now, idle_timeout=self._idle_timeout
            ):
                await repositories.unbind_chat(session=session, chat_id=chat_id)
                return None
            bound.last_seen_at = now
            return AccountInfo.of(account)

    async def privacy_due(self, *, chat_id: int, version: str) -> int | None:
        """The account this chat is signed in to, when it has not accepted the aviso de
        privacidad's `version` (never recorded counts as not accepted); else None. Read
        only: it runs for every private message."""
        async with self._sessions() as session:
            bound = await repositories.get_chat_session(session=session, chat_id=chat_id)
            if bound is None:
                return None
            account = await repositories.get_account(session=session, account_id=bound.account_id)
            if account is None or account.privacy_version == version:
                return None
            if not still_good(bound, account, now=self._now(), idle_timeout=self._idle_timeout):
                return None
            return account.id

    async def accept_privacy(self, *, chat_id: int, account_id: int, version: str) -> bool:
        """Record that the account accepted `version` now, as a sign-up does; False when
        this chat is no longer signed in to it."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            account = await signed_in_account(
                session,
                chat_id=chat_id,
                account_id=account_id,
                now=now,
                idle_timeout=self._idle_timeout,
            )
            if account is None:
                return False
            account.privacy_version, account.privacy_accepted_at = version, now
        logger.info("account %s accepted the privacy notice %s", account_id, version)
        return True

    async def sign_out(self, chat_id: int) -> bool:
        async with self._sessions() as session, session.begin():
            return await repositories.unbind_chat(session=session, chat_id=chat_id)

    async def _decoy(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = await self._passwords.hash("decoy password for unknown emails")
        return self._decoy_hash


def still_good(
    bound: ChatSession, account: Account, *, now: datetime, idle_timeout: timedelta
) -> bool:
    """Whether a chat's session may still act for its account: used within the idle
    timeout and begun after the password's last change."""
    stale = bound.last_seen_at + idle_timeout < now
    return not stale and bound.signed_in_at >= account.password_changed_at


def _id(account: Account | None) -> int | None:
    return account.id if account else None


async def signed_in_account(
    session: AsyncSession, *, chat_id: int, account_id: int, now: datetime, idle_timeout: timedelta
) -> Account | None:
    """The account, locked for a change, if this chat is still signed in to it (the checks
    of `current_account`, which then counts as a use); otherwise None, and a stale session
    is closed. The account is locked before the chat's session, in the order a reset or a
    confirmation locks them, so that neither holds one while waiting for the other."""
    account = await repositories.get_account(
        session=session, account_id=account_id, for_update=True
    )
    bound = await repositories.get_chat_session(session=session, chat_id=chat_id, for_update=True)
    if account is None or bound is None or bound.account_id != account_id:
        return None
    if not still_good(bound, account, now=now, idle_timeout=idle_timeout):
        await repositories.unbind_chat(session=session, chat_id=chat_id)
        return None
    bound.last_seen_at = now
    return account
