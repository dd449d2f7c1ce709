"""Use cases of steps 1 and 2 of the portal guide: create an account, confirm it, and
send a new confirmation code.

An unconfirmed account has no owner yet (django-allauth's and OWASP's advice against
pre-hijacking): a new sign-up for its address replaces the pending RFC and password and
voids every earlier code, and only the Telegram user who made the latest sign-up can use
its code. Confirming proves control of the inbox; the password that counts is the one
chosen in the sign-up whose code was used."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail import templates
from mail.identity import BotLinks
from mail.outbox import Outbox
from services import funnel, mail_allowance, ratelimit, security
from services.codes import code_candidates, deep_link_payload, hash_code, new_confirmation_code
from services.models import SignupRequest
from storage import repositories
from storage.models import Account, ConfirmationCode, utcnow

logger = logging.getLogger(__name__)


class RegisterOutcome(StrEnum):
    """All but LIMITED answer alike in the chat; LIMITED says to wait."""

    CREATED = "created"
    REPLACED = "replaced"  # a new sign-up for an address still unconfirmed
    EMAIL_TAKEN = "email-taken"
    SUPPRESSED = "suppressed"  # the address's mail allowance is used up: nothing changed
    LIMITED = "limited"


@dataclass(frozen=True, slots=True)
class RegisterResult:
    outcome: RegisterOutcome
    retry_after: timedelta | None = None


class ConfirmStatus(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY_CONFIRMED = "already-confirmed"
    WRONG = "wrong"
    EXPIRED = "expired"
    TOO_MANY_TRIES = "too-many-tries"
    OTHER_USER = "other-user"  # a good code of a sign-up made by another Telegram user
    NOT_A_CODE = "not-a-code"  # nothing shaped like a code: no attempt, not counted


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    status: ConfirmStatus
    email: str | None = None
    retry_after: timedelta | None = None
    left_email: str | None = None  # the account this chat was signed in to before


@dataclass(frozen=True, slots=True)
class CodeOwner:
    """The account a confirmation code would sign a chat in to, and the code's digest."""

    account_id: int
    email: str
    code_hash: str


@dataclass(frozen=True, slots=True)
class ResendResult:
    """`retry_after` is set when this chat must wait; otherwise the chat says a code was
    sent if the address has an unconfirmed account, whether or not it has one."""

    retry_after: timedelta | None = None


@dataclass(frozen=True, slots=True)
class AccountPolicy:
    code_ttl: timedelta


class AccountService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        policy: AccountPolicy,
        outbox: Outbox,
        links: BotLinks,
        mail_ready: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._outbox = outbox
        self._links = links
        self._mail_ready = mail_ready
        self._now = clock

    async def signup_wait(self, user_id: int) -> timedelta | None:
        """How long this person must wait before another sign-up, if at all."""
        async with self._sessions() as session:
            return await ratelimit.retry_after(
                session=session, limit=ratelimit.SIGN_UP_PER_USER, subject=user_id, now=self._now()
            )

    async def register(self, request: SignupRequest, *, user_id: int) -> RegisterResult:
        """Create an unconfirmed account (or replace the pending credentials of one) and
        mail its code; for a confirmed address, change nothing and tell its owner instead.
        Mail past an address's allowance is not sent, and then nothing changes."""
        try:
            outcome = await self._register(request, user_id)
        except IntegrityError:
            # Another sign-up with this address committed first: the database's unique
            # index decided, and this one now finds the account.
            outcome = await self._register(request, user_id)
        if outcome.outcome is RegisterOutcome.LIMITED:
            security.event("sign-up-limited", user_id=user_id)
        self._mail_ready()
        logger.info("sign-up finished: %s", outcome.outcome)
        return outcome

    async def _register(self, request: SignupRequest, user_id: int) -> RegisterResult:
        now = self._now()
        async with self._sessions() as session, session.begin():
            admission = await ratelimit.acquire(
                session=session, limits=[(ratelimit.SIGN_UP_PER_USER, user_id)], now=now
            )
            if admission.wait is not None:
                return RegisterResult(RegisterOutcome.LIMITED, admission.wait)
            # Locked: a confirmation of this account waits for this sign-up, or this sign-up
            # for it, so that a password cannot replace the one a confirmation kept.
            account = await repositories.get_account_by_email(
                session=session, email=request.email, for_update=True
            )
            known = account is not None and await repositories.is_known_chat(
                session=session, account_id=account.id, chat_id=user_id
            )
            if not await mail_allowance.take(
                session=session,
                address=request.email,
                user_id=user_id,
                address_cap=not known,
                now=now,
            ):
                return RegisterResult(RegisterOutcome.SUPPRESSED)
            if account is None:
                account = await repositories.add_account(
                    session=session,
                    email=request.email,
                    rfc=request.rfc,
                    password_hash=request.password_hash,
                    language=request.language,
                    signup_user_id=user_id,
                    now=now,
                )
                await funnel.record(
                    session=session, milestone=funnel.Milestone.ACCOUNT_CREATED, now=now
                )
                outcome = RegisterOutcome.CREATED
            elif not account.confirmed:
                account.rfc = request.rfc
                account.password_hash = request.password_hash
                account.language = request.language
                account.signup_user_id = user_id
                account.password_changed_at = now
                await repositories.delete_unused_codes(session=session, account_id=account.id)
                outcome = RegisterOutcome.REPLACED
            else:
                await self._notify_taken(session, request)
                security.event("sign-up-taken-address", user_id=user_id, account_id=account.id)
                return RegisterResult(RegisterOutcome.EMAIL_TAKEN)
            # Whoever signs up accepts the notice, so a replaced sign-up records it anew.
            account.privacy_version = request.privacy_version
            account.privacy_accepted_at = now if request.privacy_version else None
            await self._issue_code(session, account)
            return RegisterResult(outcome)

    async def confirm(self, *, text: str, chat_id: int, user_id: int) -> ConfirmResult:
        """Confirm the account whose code is in `text`, and sign this chat in to it."""
        hashes = [hash_code(code) for code in code_candidates(text)]
        return await self._confirm(hashes, chat_id=chat_id, user_id=user_id)

    async def confirm_chosen(self, *, code_hash: str, chat_id: int, user_id: int) -> ConfirmResult:
        """`confirm` with a code `code_owner` found, known here only by its digest."""
        return await self._confirm([code_hash], chat_id=chat_id, user_id=user_id)

    async def code_owner(self, *, text: str, chat_id: int, user_id: int) -> CodeOwner | None:
        """The account that `confirm` would sign this chat in to with the code in `text`,
        found without using the code or counting a try. None when it would sign in to
        none (no such code, used, expired, another person's sign-up) or while the chat is
        locked out of confirming, so that this look-up is no way around the limit."""
        now = self._now()
        hashes = [hash_code(code) for code in code_candidates(text)]
        async with self._sessions() as session:
            wait = await ratelimit.retry_after(
                session=session,
                limit=ratelimit.WRONG_CONFIRMATION_CODE,
                subject=chat_id,
                now=now,
            )
            if wait is not None or not hashes:
                return None
            for code in await repositories.find_confirmation_codes(
                session=session, code_hashes=hashes
            ):
                account = await repositories.get_account(
                    session=session, account_id=code.account_id
                )
                usable = code.used_at is None and code.expires_at > now
                if account is not None and usable and account.signup_user_id in (None, user_id):
                    return CodeOwner(
                        account_id=account.id, email=account.email, code_hash=code.code_hash
                    )
        return None

    async def _confirm(self, hashes: list[str], *, chat_id: int, user_id: int) -> ConfirmResult:
        now = self._now()
        limit = ratelimit.WRONG_CONFIRMATION_CODE
        async with self._sessions() as session, session.begin():
            await repositories.lock_keys(session=session, keys=[limit.key(chat_id)])
            wait = await ratelimit.retry_after(
                session=session, limit=limit, subject=chat_id, now=now
            )
            if wait is not None:
                security.event("confirmation-locked", user_id=user_id)
                return ConfirmResult(ConfirmStatus.TOO_MANY_TRIES, retry_after=wait)
            if not hashes:
                # "no me llegó", the email, the RFC: words, not a guess at a code.
                return ConfirmResult(ConfirmStatus.NOT_A_CODE)
            codes = await repositories.find_confirmation_codes(session=session, code_hashes=hashes)
            result = (
                await self._use_code(session, codes[0], chat_id, user_id, now) if codes else None
            )
            if result is None or result.status is ConfirmStatus.WRONG:
                await ratelimit.record(session=session, limit=limit, subject=chat_id, now=now)
                security.event("confirmation-code-wrong", user_id=user_id)
                return ConfirmResult(ConfirmStatus.WRONG)
            return result

    async def resend_code(self, *, email: str, chat_id: int, user_id: int) -> ResendResult:
        """A new code for an unconfirmed account (the old ones stop working), mailed only
        when the latest sign-up for the address was this person's."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            admission = await ratelimit.acquire(
                session=session, limits=[(ratelimit.RESEND_PER_CHAT, chat_id)], now=now
            )
            if admission.wait is not None:
                return ResendResult(retry_after=admission.wait)
            account = await repositories.get_account_by_email(
                session=session, email=email, for_update=True
            )
            if account is None or account.confirmed:
                return ResendResult()
            if account.signup_user_id not in (None, user_id):
                security.event("resend-by-stranger", user_id=user_id, account_id=account.id)
                return ResendResult()
            # The pending sign-up's maker is nobody's known chat yet: held to the address's cap.
            if not await mail_allowance.take(
                session=session, address=email, user_id=user_id, address_cap=True, now=now
            ):
                return ResendResult()
            await repositories.delete_unused_codes(session=session, account_id=account.id)
            await self._issue_code(session, account)
        self._mail_ready()
        return ResendResult()

    async def _use_code(
        self,
        session: AsyncSession,
        code: ConfirmationCode,
        chat_id: int,
        user_id: int,
        now: datetime,
    ) -> ConfirmResult:
        account = await repositories.get_account(
            session=session, account_id=code.account_id, for_update=True
        )
        if account is None:
            return ConfirmResult(ConfirmStatus.WRONG)
        # Read again under the account's lock: a sign-up that came first voided it.
        if await repositories.get_confirmation_code(session=session, code_id=code.id) is None:
            return ConfirmResult(ConfirmStatus.WRONG)
        if code.used_at is not None:
            if account.confirmed:
                return ConfirmResult(ConfirmStatus.ALREADY_CONFIRMED, email=account.email)
            return ConfirmResult(ConfirmStatus.WRONG)
        if code.expires_at <= now:
            return ConfirmResult(ConfirmStatus.EXPIRED, email=account.email)
        if account.signup_user_id not in (None, user_id):
            # The inbox's owner holds a code of a sign-up someone else made: using it would
            # give that someone's password to the account.
            security.event("confirmation-by-other-user", user_id=user_id, account_id=account.id)
            return ConfirmResult(ConfirmStatus.OTHER_USER, email=account.email)
        if not await repositories.claim_confirmation_code(
            session=session, code_id=code.id, now=now
        ):
            # Used meanwhile, or voided by a sign-up that came first.
            if account.confirmed:
                return ConfirmResult(ConfirmStatus.ALREADY_CONFIRMED, email=account.email)
            return ConfirmResult(ConfirmStatus.WRONG)
        if account.confirmed_at is None:
            account.confirmed_at = now
            await funnel.record(
                session=session, milestone=funnel.Milestone.ACCOUNT_CONFIRMED, now=now
            )
        previous = await repositories.bind_chat(
            session=session, chat_id=chat_id, account_id=account.id, now=now
        )
        left = await self._left(session, previous, account.id, user_id)
        logger.info("account %s confirmed", account.id)
        return ConfirmResult(ConfirmStatus.CONFIRMED, email=account.email, left_email=left)

    async def _left(
        self, session: AsyncSession, previous: int | None, account_id: int, user_id: int
    ) -> str | None:
        if previous is None or previous == account_id:
            return None
        security.event("account-switch", user_id=user_id, account_id=account_id, left=previous)
        left = await repositories.get_account(session=session, account_id=previous)
        return left.email if left else None

    async def _issue_code(self, session: AsyncSession, account: Account) -> None:
        code = new_confirmation_code()
        expires_at = self._now() + self._policy.code_ttl
        await repositories.add_confirmation_code(
            session=session,
            account_id=account.id,
            code_hash=hash_code(code),
            expires_at=expires_at,
        )
        content = templates.confirmation_email(
            language=account.language,
            email=account.email,
            rfc=account.rfc,
            code=code,
            link=self._links.start_link(deep_link_payload(code)),
            ttl_hours=self._policy.code_ttl.total_seconds() / 3600,
        )
        await self._outbox.add(
            session=session, recipient=account.email, content=content, expires_at=expires_at
        )

    async def _notify_taken(self, session: AsyncSession, request: SignupRequest) -> None:
        content = templates.signup_attempt_email(language=request.language, email=request.email)
        await self._outbox.add(session=session, recipient=request.email, content=content)
