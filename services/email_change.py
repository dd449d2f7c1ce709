"""Changing an account's email address: asked in a signed-in chat after the password, it
mails a one-time code to the new address, and only that code, typed in the same chat,
changes the address; the old address is then told.

A new address that another (confirmed) account holds is answered exactly alike: a code is
made and hashed all the same, but mailed to nobody (that address's owner gets a short
notice instead), so no code can work and the chat reveals nothing. What the change does to
the rest: the account's pending codes (confirmation, recovery, earlier changes) stop
working, since they were mailed to the old address; sign-in locks on the old address are
lifted; sessions and known chats stay as they are (the password did not change), and the
chat offers to sign the other chats out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail import templates
from mail.outbox import Outbox
from services import mail_allowance, ratelimit, security
from services.one_time_codes import CodeKind, CodeStatus, OneTimeCodes
from services.passwords import PasswordHasher
from services.signin import signed_in_account
from storage import repositories
from storage.models import Account, EmailChange, utcnow

logger = logging.getLogger(__name__)

EMAIL_CHANGE_CODE = CodeKind(
    model=EmailChange, ttl=timedelta(minutes=30), wrong_event="email-change-code-wrong"
)
# How long after the password was typed again it allows the change (or a deletion).
REAUTH_WINDOW = timedelta(minutes=15)


class RequestStatus(StrEnum):
    SENT = "sent"  # said alike whether or not a code was mailed
    SAME = "same"  # the account's address already
    LIMITED = "limited"
    SIGNED_OUT = "signed-out"  # the chat's session ended, or the password is too old


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    status: RequestStatus
    retry_after: timedelta | None = None


class ChangeStatus(StrEnum):
    CHANGED = "changed"
    WRONG = CodeStatus.WRONG.value
    NO_TRIES = CodeStatus.NO_TRIES.value
    EXPIRED = CodeStatus.EXPIRED.value  # expired, used, or no longer possible
    SIGNED_OUT = "signed-out"


@dataclass(frozen=True, slots=True)
class ChangeCheck:
    status: ChangeStatus
    tries_left: int | None = None
    email: str | None = None  # the new address, once changed
    previous: str | None = None  # the address it replaced


class EmailChangeService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        passwords: PasswordHasher,
        outbox: Outbox,
        mail_ready: Callable[[], None],
        idle_timeout: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._codes = OneTimeCodes(EMAIL_CHANGE_CODE, sessions=sessions, passwords=passwords)
        self._outbox = outbox
        self._mail_ready = mail_ready
        self._idle_timeout = idle_timeout
        self._now = clock

    async def request(
        self, *, chat_id: int, user_id: int, account_id: int, new_email: str, verified_at: datetime
    ) -> ChangeRequest:
        """Make this chat a code for `new_email`, mailed there unless another account holds
        the address or the inbox's mail allowance is used up (answered alike)."""
        now = self._now()
        if verified_at < now - REAUTH_WINDOW:
            return ChangeRequest(RequestStatus.SIGNED_OUT)
        async with self._sessions() as session, session.begin():
            account = await self._account(session, chat_id, account_id, now)
            if account is None:
                return ChangeRequest(RequestStatus.SIGNED_OUT)
            if account.email == new_email:
                return ChangeRequest(RequestStatus.SAME)
            admission = await ratelimit.acquire(
                session=session, limits=[(ratelimit.EMAIL_CHANGE_PER_ACCOUNT, account_id)], now=now
            )
            if admission.wait is not None:
                security.event("email-change-limited", user_id=user_id, account_id=account_id)
                return ChangeRequest(RequestStatus.LIMITED, admission.wait)
            language = account.language
        # Hashed outside any transaction (it takes a while), whoever holds the address.
        code, code_hash = await self._codes.new()
        # The code's mail expires with the request: a deletion of the account finds the
        # mail still queued by its recipient and this expiry (storage/repositories/erasure.py).
        expires_at = now + EMAIL_CHANGE_CODE.ttl
        async with self._sessions() as session, session.begin():
            holder = await repositories.get_account_by_email(session=session, email=new_email)
            await repositories.add_email_change(
                session=session,
                change=EmailChange(
                    account_id=account_id,
                    chat_id=chat_id,
                    new_email=new_email,
                    code_hash=code_hash,
                    created_at=now,
                    expires_at=expires_at,
                ),
            )
            taken = holder is not None and holder.confirmed
            if taken:
                assert holder is not None
                security.event("email-change-taken-address", user_id=user_id, account_id=holder.id)
                content = templates.email_change_attempt_email(
                    language=holder.language, email=new_email
                )
            else:
                content = templates.email_change_code_email(
                    language=language,
                    email=new_email,
                    code=code,
                    ttl_minutes=int(EMAIL_CHANGE_CODE.ttl.total_seconds() // 60),
                )
            # Held to the inbox's overall cap: the new address may be anybody's.
            if await mail_allowance.take(
                session=session, address=new_email, user_id=user_id, address_cap=True, now=now
            ):
                await self._outbox.add(
                    session=session,
                    recipient=new_email,
                    content=content,
                    expires_at=None if taken else expires_at,
                )
        self._mail_ready()
        security.event("email-change-requested", user_id=user_id, account_id=account_id)
        return ChangeRequest(RequestStatus.SENT)

    async def confirm(
        self, *, chat_id: int, user_id: int, account_id: int, text: str
    ) -> ChangeCheck:
        """Check the first code-shaped part of `text` against this chat's pending change;
        every try is counted, the fifth wrong one spends the code; the right one changes
        the address."""
        check = await self._codes.check(
            text=text, now=self._now(), user_id=user_id, account_id=account_id, chat_id=chat_id
        )
        if check.status is CodeStatus.VERIFIED:
            assert check.code_id is not None
            return await self._apply(check.code_id, chat_id, user_id, account_id)
        return ChangeCheck(ChangeStatus(check.status), tries_left=check.tries_left)

    async def _apply(
        self, change_id: int, chat_id: int, user_id: int, account_id: int
    ) -> ChangeCheck:
        now = self._now()
        try:
            async with self._sessions() as session, session.begin():
                account = await self._account(session, chat_id, account_id, now)
                if account is None:
                    return ChangeCheck(ChangeStatus.SIGNED_OUT)
                change = await repositories.claim_code(
                    session=session, model=EmailChange, code_id=change_id, now=now
                )
                if change is None or change.account_id != account_id:
                    return ChangeCheck(ChangeStatus.EXPIRED)
                new_email = change.new_email
                holder = await repositories.get_account_by_email(
                    session=session, email=new_email, for_update=True
                )
                if holder is not None:
                    if holder.confirmed:  # taken since the code was mailed
                        return ChangeCheck(ChangeStatus.EXPIRED)
                    # An unconfirmed account has no owner, and the inbox's owner has just
                    # shown they read it: the pending sign-up goes.
                    await repositories.erase_account(
                        session=session, account_id=holder.id, email=new_email, rate_keys=()
                    )
                old_email = account.email
                account.email = new_email
                change.old_email = old_email
                await repositories.void_email_changes(
                    session=session, account_id=account_id, now=now
                )
                await repositories.delete_unused_codes(session=session, account_id=account_id)
                await repositories.delete_unused_reset_codes(session=session, account_id=account_id)
                await ratelimit.clear(
                    session=session, limit=ratelimit.SIGN_IN_PER_ADDRESS, subject=old_email
                )
                content = templates.email_changed_email(
                    language=account.language, email=new_email, when=now
                )
                await self._outbox.add(session=session, recipient=old_email, content=content)
        except IntegrityError:
            # A sign-up took the address between the check and the change.
            return ChangeCheck(ChangeStatus.EXPIRED)
        self._mail_ready()
        security.event("email-change-completed", user_id=user_id, account_id=account_id)
        logger.info("account %s changed its email address", account_id)
        return ChangeCheck(ChangeStatus.CHANGED, email=new_email, previous=old_email)

    async def _account(
        self, session: AsyncSession, chat_id: int, account_id: int, now: datetime
    ) -> Account | None:
        return await signed_in_account(
            session,
            chat_id=chat_id,
            account_id=account_id,
            now=now,
            idle_timeout=self._idle_timeout,
        )
