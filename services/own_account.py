"""The person's own account (/cuenta): what it holds, the chats signed in to it, its
password, and its deletion (the cancelación of the ARCO rights).

Deleting removes, at once and in one transaction, the account and every row that names it
or its address: company data, confirmation and reset codes (those asked for the address
without an account too), requests to change the address (and other accounts' requests for
this address, whose codes went nowhere), sessions (every chat is signed out), known chats,
the problems written with /soporte while signed in to it (their copy mailed to
SUPPORT_CONTACT is the operator's to keep or delete),
mail to the address whether sent or not, mail already sent to the addresses it asked to
change to and the codes still queued for them (they never go out), and rate-limit events
keyed by the account or an address it had or asked for (with the asker's Telegram id, or
counted by its requests). The chat that asked drops its drafts. What stays, and why:
- the last email's outbox row (recipient and subject; the body is blanked once sent), and
  the notices sent earlier to addresses the account had before a change: forgotten with
  the rest of the sent mail 30 days after sending (services/housekeeping.py);
- rate-limit events keyed by the person's Telegram user or chat (not by the account), and
  the human checks they tapped: a day and 7 days at most, so that deleting an account
  cannot shake off a limit;
- drafts of other chats (sealed with DATA_ENCRYPTION_KEY), such as a company form begun on
  another device: that chat's own typing, dropped when it leaves or finishes its flow;
- funnel events (a kind and a time, nobody's) and log lines with Telegram user and account
  ids (never an address, a password or a code), kept as the operator keeps logs.
On SQLite a new account may get the id of the deleted one if it was the highest; on
PostgreSQL ids are never reused."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail import templates
from mail.outbox import Outbox
from services import ratelimit, security
from services.email_change import REAUTH_WINDOW
from services.mail_allowance import inbox_key
from services.signin import signed_in_account, still_good
from services.validation import PersonType, person_type_of
from storage import repositories
from storage.models import Account, ChatSession, utcnow

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccountOverview:
    """What /cuenta shows. (The CSD on file joins these when the CSD is stored.)"""

    id: int
    email: str
    rfc: str
    confirmed: bool
    company_on_file: bool
    signed_in_chats: int  # this one included

    @property
    def person_type(self) -> PersonType:
        return person_type_of(self.rfc)


class OwnAccountService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Outbox,
        mail_ready: Callable[[], None],
        idle_timeout: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self._mail_ready = mail_ready
        self._idle_timeout = idle_timeout
        self._now = clock

    async def overview(self, *, chat_id: int, account_id: int) -> AccountOverview | None:
        """The account this chat is signed in to, as /cuenta shows it; None when the chat
        is no longer signed in to `account_id`."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            account = await self._account(session, chat_id, account_id, now)
            if account is None:
                return None
            live = await self._live_sessions(session, account, now)
            return AccountOverview(
                id=account.id,
                email=account.email,
                rfc=account.rfc,
                confirmed=account.confirmed,
                company_on_file=await repositories.has_company(
                    session=session, account_id=account_id
                ),
                signed_in_chats=len(live),
            )

    async def sign_out_others(self, *, chat_id: int, account_id: int, user_id: int) -> int | None:
        """Sign every other chat out of the account; how many live sessions were closed
        (idled-out ones go too, uncounted), or None when this chat is no longer signed in
        to it."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            account = await self._account(session, chat_id, account_id, now)
            if account is None:
                return None
            others = await self._live_sessions(session, account, now)
            await repositories.sign_out_other_chats(
                session=session, account_id=account_id, chat_id=chat_id
            )
        closed = len([bound for bound in others if bound.chat_id != chat_id])
        security.event("signed-out-other-chats", user_id=user_id, account_id=account_id)
        return closed

    async def change_password(
        self,
        *,
        chat_id: int,
        user_id: int,
        account_id: int,
        password_hash: str,
        verified_at: datetime,
    ) -> bool:
        """Set the new password (its argon2id hash) as a reset does: every other chat is
        signed out, this one stays signed in, pending reset codes are void, and the owner
        is told by email. False, changing nothing, when the chat is no longer signed in to
        the account or the current password was typed too long ago."""
        now = self._now()
        if verified_at < now - REAUTH_WINDOW:
            return False
        async with self._sessions() as session, session.begin():
            account = await self._account(session, chat_id, account_id, now)
            if account is None:
                return False
            account.password_hash = password_hash
            account.password_changed_at = now  # older sessions stop being good (still_good)
            await repositories.delete_unused_reset_codes(session=session, account_id=account_id)
            await repositories.sign_out_account(session=session, account_id=account_id)
            await repositories.bind_chat(
                session=session, chat_id=chat_id, account_id=account_id, now=now
            )
            content = templates.password_changed_email(language=account.language, when=now)
            await self._outbox.add(session=session, recipient=account.email, content=content)
        self._mail_ready()
        security.event("password-changed", user_id=user_id, account_id=account_id)
        return True

    async def _live_sessions(
        self, session: AsyncSession, account: Account, now: datetime
    ) -> list[ChatSession]:
        chats = await repositories.account_chat_sessions(session=session, account_id=account.id)
        return [
            bound
            for bound in chats
            if still_good(bound, account, now=now, idle_timeout=self._idle_timeout)
        ]

    async def delete(
        self, *, chat_id: int, user_id: int, account_id: int, verified_at: datetime
    ) -> str | None:
        """Delete the account (see the module's note) and mail a last notice to its
        address; every chat is signed out. The address it had (for the chats to forget);
        None, deleting nothing, when the chat is no longer signed in to it or the password
        was typed too long ago."""
        now = self._now()
        if verified_at < now - REAUTH_WINDOW:
            return None
        async with self._sessions() as session, session.begin():
            account = await self._account(session, chat_id, account_id, now)
            if account is None:
                return None
            email, language = account.email, account.language
            requests = await repositories.email_change_requests(
                session=session, account_id=account_id
            )
            # Its address now and those it had: its own, so every count naming them goes.
            owned = [email, *(r.old_email for r in requests if r.old_email is not None)]
            await repositories.erase_account(
                session=session,
                account_id=account_id,
                email=email,
                rate_keys=[
                    ratelimit.EMAIL_CHANGE_PER_ACCOUNT.key(account_id),
                    *(ratelimit.SIGN_IN_PER_ADDRESS.key(address) for address in owned),
                    *(ratelimit.MAIL_PER_ADDRESS.key(inbox_key(address)) for address in owned),
                    # The asker's allowance for each address it asked to change to (a
                    # private chat's id is its person's). Those inboxes' overall counts
                    # stay for their hour: they name no account nor person (a digest of
                    # the inbox), and they keep a stranger who signs up, asks to move to
                    # an inbox and deletes the account, again and again, to its cap.
                    *(
                        ratelimit.MAIL_PER_ADDRESS_AND_USER.key(
                            f"{inbox_key(r.new_email)}:{r.chat_id}"
                        )
                        for r in requests
                    ),
                ],
                rate_key_prefixes=[
                    ratelimit.SIGN_IN_KNOWN_CHAT.key(f"{account_id}:"),
                    *(
                        ratelimit.MAIL_PER_ADDRESS_AND_USER.key(f"{inbox_key(address)}:")
                        for address in owned
                    ),
                ],
            )
            content = templates.account_deleted_email(language=language, email=email, when=now)
            await self._outbox.add(session=session, recipient=email, content=content)
        self._mail_ready()
        security.event("account-deleted", user_id=user_id, account_id=account_id)
        logger.info("account %s deleted", account_id)
        return email

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
