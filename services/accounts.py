"""Use cases of steps 1 and 2 of the portal guide: create an account, confirm it, and
send a new confirmation code."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail import templates
from mail.outbox import enqueue
from services import funnel, ratelimit
from services.codes import code_candidates, deep_link_payload, hash_code, new_confirmation_code
from services.models import SignupRequest
from storage import repositories
from storage.models import Account, ConfirmationCode, utcnow

logger = logging.getLogger(__name__)


class RegisterOutcome(StrEnum):
    """Only for logs and tests: the chat answers both alike."""

    CREATED = "created"
    EMAIL_TAKEN = "email-taken"


class ConfirmStatus(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already-confirmed"
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY_TRIES = "too-many-tries"


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    status: ConfirmStatus
    email: str | None = None
    retry_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class ResendResult:
    """`retry_after` is set when this chat must wait; otherwise the chat says a code was
    sent if the address has an unconfirmed account, whether or not it has one."""

    retry_after: timedelta | None = None


class BotLinks:
    """t.me links to the bot; the username is known once the bot has said getMe."""

    def __init__(self) -> None:
        self.username: str | None = None

    def start_link(self, payload: str) -> str:
        return f"https://t.me/{self.username or 'bot'}?start={payload}"


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    code_ttl: timedelta
    sender: str


class AccountService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        policy: AccountPolicy,
        links: BotLinks,
        mail_ready: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._links = links
        self._mail_ready = mail_ready
        self._now = clock

    async def register(self, request: SignupRequest) -> RegisterOutcome:
        """Create an unconfirmed account and mail its code; for a taken address, create
        nothing and tell the address's owner instead."""
        try:
            async with self._sessions() as session, session.begin():
                if await repositories.get_account_by_email(session=session, email=request.email):
                    await self._notify_taken(session, request)
                    outcome = RegisterOutcome.EMAIL_TAKEN
                else:
                    account = await repositories.add_account(
                        session=session,
                        email=request.email,
                        rfc=request.rfc,
                        password_hash=request.password_hash,
                        language=request.language,
                        now=self._now(),
                    )
                    await self._issue_code(session, account)
                    await funnel.record(
                        session=session, step=funnel.Step.ACCOUNT_CREATED, now=self._now()
                    )
                    outcome = RegisterOutcome.CREATED
        except IntegrityError:
            # Another sign-up with this address committed first: the database's unique
            # index decided, and this one is treated like any taken address.
            async with self._sessions() as session, session.begin():
                await self._notify_taken(session, request)
            outcome = RegisterOutcome.EMAIL_TAKEN
        self._mail_ready()
        logger.info("sign-up finished: %s", outcome)
        return outcome

    async def confirm(self, *, text: str, chat_id: int) -> ConfirmResult:
        """Confirm the account whose code is in `text`, and sign this chat in to it."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            wait = await ratelimit.retry_after(
                session=session,
                limit=ratelimit.WRONG_CONFIRMATION_CODE,
                subject=chat_id,
                now=now,
            )
            if wait is not None:
                return ConfirmResult(ConfirmStatus.TOO_MANY_TRIES, retry_after=wait)
            hashes = [hash_code(code) for code in code_candidates(text)]
            codes = await repositories.find_confirmation_codes(session=session, code_hashes=hashes)
            result = await self._use_code(session, codes[0], chat_id, now) if codes else None
            if result is None or result.status is ConfirmStatus.WRONG:
                await ratelimit.record(
                    session=session,
                    limit=ratelimit.WRONG_CONFIRMATION_CODE,
                    subject=chat_id,
                    now=now,
                )
                return ConfirmResult(ConfirmStatus.WRONG)
            return result

    async def resend_code(self, *, email: str, chat_id: int) -> ResendResult:
        """A new code for an unconfirmed account (the old ones stop working)."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            wait = await ratelimit.retry_after(
                session=session, limit=ratelimit.RESEND_PER_CHAT, subject=chat_id, now=now
            )
            if wait is not None:
                return ResendResult(retry_after=wait)
            await ratelimit.record(
                session=session, limit=ratelimit.RESEND_PER_CHAT, subject=chat_id, now=now
            )
            account = await repositories.get_account_by_email(session=session, email=email)
            if account is None or account.confirmed:
                return ResendResult()
            # The per-account limit is silent so that its answer cannot tell which
            # addresses have accounts.
            if await ratelimit.retry_after(
                session=session, limit=ratelimit.RESEND_PER_ACCOUNT, subject=account.id, now=now
            ):
                return ResendResult()
            await ratelimit.record(
                session=session, limit=ratelimit.RESEND_PER_ACCOUNT, subject=account.id, now=now
            )
            await repositories.delete_unused_codes(session=session, account_id=account.id)
            await self._issue_code(session, account)
        self._mail_ready()
        return ResendResult()

    async def _use_code(
        self, session: AsyncSession, code: ConfirmationCode, chat_id: int, now: datetime
    ) -> ConfirmResult:
        account = await repositories.get_account(session=session, account_id=code.account_id)
        if account is None:
            return ConfirmResult(ConfirmStatus.WRONG)
        if code.used_at is not None:
            if account.confirmed:
                return ConfirmResult(ConfirmStatus.ALREADY_CONFIRMED, email=account.email)
            return ConfirmResult(ConfirmStatus.WRONG)
        if code.expires_at <= now:
            return ConfirmResult(ConfirmStatus.EXPIRED, email=account.email)
        # Single use even when two taps race: only one UPDATE finds the code unused.
        claimed = await session.execute(
            update(ConfirmationCode)
            .where(ConfirmationCode.id == code.id, ConfirmationCode.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:
            return ConfirmResult(ConfirmStatus.ALREADY_CONFIRMED, email=account.email)
        if account.confirmed_at is None:
            account.confirmed_at = now
            await funnel.record(session=session, step=funnel.Step.ACCOUNT_CONFIRMED, now=now)
        await repositories.bind_chat(
            session=session, chat_id=chat_id, account_id=account.id, now=now
        )
        logger.info("account %s confirmed", account.id)
        return ConfirmResult(ConfirmStatus.CONFIRMED, email=account.email)

    async def _issue_code(self, session: AsyncSession, account: Account) -> None:
        code = new_confirmation_code()
        await repositories.add_confirmation_code(
            session=session,
            account_id=account.id,
            code_hash=hash_code(code),
            expires_at=self._now() + self._policy.code_ttl,
        )
        content = templates.confirmation_email(
            language=account.language,
            email=account.email,
            rfc=account.rfc,
            code=code,
            link=self._links.start_link(deep_link_payload(code)),
            ttl_hours=self._policy.code_ttl.total_seconds() / 3600,
        )
        await enqueue(
            session=session, recipient=account.email, content=content, sender=self._policy.sender
        )

    async def _notify_taken(self, session: AsyncSession, request: SignupRequest) -> None:
        content = templates.signup_attempt_email(language=request.language, email=request.email)
        await enqueue(
            session=session, recipient=request.email, content=content, sender=self._policy.sender
        )
