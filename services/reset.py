"""Recuperar clave: a one-time code by email, typed in the chat, then a new password.
No password ever travels by email.

Known and unknown addresses do the same work and say the same things: every request makes
one code row bound to the requesting chat (with no account when the address has none), and
every try checks exactly one candidate against that row's hash, with its tries counted in
the database.

Strangers cannot flood the inbox: while a code mailed at a stranger's request is pending
(unexpired, unused), a request from any chat but the account's own known chats mails
nothing new and its row shares that code, so that the code already in the inbox works in
that chat too (the owner on a new phone is a stranger to the bot): however many Telegram
accounts ask, the inbox gets at most one code per RESET_CODE.ttl from them. Each row keeps its
own tries, so sharing gives a guesser no better odds than a code of its own would. A code
asked in one of the account's own chats, or one that was never mailed, is shared with
nobody. Every request is held to its requester's allowance for the inbox."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail import templates
from mail.outbox import Outbox
from services import funnel, mail_allowance, ratelimit, security
from services.one_time_codes import CodeCheck, CodeKind, CodeStatus, OneTimeCodes
from services.passwords import PasswordHasher
from storage import repositories
from storage.models import Account, ResetCode, utcnow

logger = logging.getLogger(__name__)

RESET_CODE = CodeKind(model=ResetCode, ttl=timedelta(minutes=15), wrong_event="reset-code-wrong")
VERIFIED_WINDOW = timedelta(minutes=15)  # from typing the code to choosing the password


@dataclass(frozen=True, slots=True)
class Identity:
    email: str
    rfc: str


@dataclass(frozen=True, slots=True)
class ResetPolicy:
    notify_unknown: bool = False


class ResetService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        passwords: PasswordHasher,
        policy: ResetPolicy,
        outbox: Outbox,
        mail_ready: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._codes = OneTimeCodes(RESET_CODE, sessions=sessions, passwords=passwords)
        self._policy = policy
        self._outbox = outbox
        self._mail_ready = mail_ready
        self._now = clock

    async def request(
        self, *, email: str, chat_id: int, user_id: int, language: str
    ) -> timedelta | None:
        """Make this chat a code, mailed if the address has an account and no code for it is
        pending (else the chat shares the pending one, see the module). Returns how long
        to wait when this person has asked too often (a limit of theirs, which reveals
        nothing about the address)."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            admission = await ratelimit.acquire(
                session=session, limits=[(ratelimit.RESET_PER_USER, user_id)], now=now
            )
            if admission.wait is not None:
                security.event("reset-limited", user_id=user_id)
                return admission.wait
            await funnel.record(
                session=session, milestone=funnel.Milestone.RESET_REQUESTED, now=now
            )
            account = await repositories.get_account_by_email(session=session, email=email)
        # Hashed outside any transaction (it takes a while), for every request alike, even
        # one that ends up sharing a pending code.
        code, code_hash = await self._codes.new()
        account_id = account.id if account else None
        async with self._sessions() as session, session.begin():
            # One request at a time per address decides whether a code is pending.
            await repositories.lock_keys(session=session, keys=[f"reset-request:{email}"])
            # Each look-up is made for either kind of address, so both do the same work.
            known = await repositories.is_known_chat(
                session=session, account_id=account_id or 0, chat_id=chat_id
            )
            known = known and account is not None
            pending = await repositories.pending_reset_code(
                session=session, email=email, account_id=account_id, now=now
            )
            shared = None if known else pending
            mailed = await self._mail_code(
                session, email, account, code, user_id, language, send=shared is None
            )
            await repositories.add_reset_code(
                session=session,
                code=ResetCode(
                    account_id=account_id,
                    chat_id=chat_id,
                    email=email,
                    code_hash=shared.code_hash if shared else code_hash,
                    created_at=now,
                    expires_at=shared.expires_at if shared else now + RESET_CODE.ttl,
                    shareable=shared is not None or (mailed and not known),
                ),
            )
            security.event(
                "reset-requested",
                user_id=user_id,
                account_id=account_id,
                shares_pending=shared is not None,
            )
        self._mail_ready()
        return None

    async def _mail_code(
        self,
        session: AsyncSession,
        email: str,
        account: Account | None,
        code: str,
        user_id: int,
        language: str,
        *,
        send: bool,
    ) -> bool:
        """Mail the code (or, for an address without an account and when so set, a notice)
        if `send` and the requester's allowance for the inbox lets it; whether it went.
        Not held to the inbox's overall cap: strangers mail it at most one code at a time
        (the pending one is shared), and could otherwise fill that cap with sign-ups to
        keep its owner, on a new phone, from recovering."""
        content = None
        if account is not None:
            content = templates.reset_code_email(language=account.language, code=code)
        elif self._policy.notify_unknown:
            content = templates.reset_unknown_email(language=language, email=email)
        # The allowance is taken for either kind of address and whether or not a code is
        # shared, so that all do the same work.
        allowed = await mail_allowance.take(
            session=session, address=email, user_id=user_id, address_cap=False, now=self._now()
        )
        if not (send and allowed and content is not None):
            return False
        await self._outbox.add(
            session=session,
            recipient=email,
            content=content,
            expires_at=self._now() + RESET_CODE.ttl if account else None,
        )
        return True

    async def check_code(self, *, email: str, chat_id: int, text: str) -> CodeCheck:
        """Check the first code-shaped part of `text` against this chat's latest code for
        the address; every try is counted, and the fifth wrong one spends the code."""
        check = await self._codes.check(
            text=text,
            now=self._now(),
            user_id=chat_id,
            # A code for an address without an account was never mailed: never right.
            usable=lambda row: row.account_id is not None,
            chat_id=chat_id,
            email=email,
        )
        if check.status is CodeStatus.VERIFIED:
            async with self._sessions() as session, session.begin():
                assert check.code_id is not None
                if not await repositories.mark_reset_verified(
                    session=session, code_id=check.code_id, now=self._now()
                ):
                    return CodeCheck(CodeStatus.EXPIRED)
        return check

    async def identity(self, *, code_id: int, chat_id: int) -> Identity | None:
        """Whose password this chat's verified code may change (for the password policy)."""
        async with self._sessions() as session:
            row = await repositories.verified_reset_code(
                session=session,
                code_id=code_id,
                chat_id=chat_id,
                verified_since=self._now() - VERIFIED_WINDOW,
            )
            if row is None or row.account_id is None:
                return None
            account = await repositories.get_account(session=session, account_id=row.account_id)
            return Identity(email=account.email, rfc=account.rfc) if account else None

    async def complete(self, *, code_id: int, password_hash: str, chat_id: int) -> bool:
        """Set the new password: other chats are signed out, this one signed in, sign-in
        locks on the address lifted, and the owner told by email. False if the code is not
        good for it (not verified, used, verified too long ago, or another chat's)."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            account_id = await repositories.claim_reset_code(
                session=session,
                code_id=code_id,
                chat_id=chat_id,
                verified_since=now - VERIFIED_WINDOW,
                now=now,
            )
            account = (
                await repositories.get_account(
                    session=session, account_id=account_id, for_update=True
                )
                if account_id is not None
                else None
            )
            if account is None:
                return False
            account.password_hash = password_hash
            account.password_changed_at = now
            # The code reached the inbox: the account is its owner's now, even if a stranger
            # had signed up with the address and it was never confirmed.
            if account.confirmed_at is None:
                account.confirmed_at = now
                await repositories.delete_unused_codes(session=session, account_id=account.id)
            account.signup_user_id = chat_id
            await repositories.delete_unused_reset_codes(session=session, account_id=account.id)
            await repositories.sign_out_account(session=session, account_id=account.id)
            await repositories.bind_chat(
                session=session, chat_id=chat_id, account_id=account.id, now=now
            )
            await ratelimit.clear(
                session=session, limit=ratelimit.SIGN_IN_PER_ADDRESS, subject=account.email
            )
            await ratelimit.clear(
                session=session,
                limit=ratelimit.SIGN_IN_KNOWN_CHAT,
                subject=f"{account.id}:{chat_id}",
            )
            await funnel.record(
                session=session, milestone=funnel.Milestone.RESET_COMPLETED, now=now
            )
            content = templates.password_changed_email(language=account.language, when=now)
            await self._outbox.add(session=session, recipient=account.email, content=content)
        self._mail_ready()
        security.event("password-reset", user_id=chat_id, account_id=account.id)
        return True
