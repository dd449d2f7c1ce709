"""/soporte: a problem written in the chat, stored for a person to answer (its text sealed
at rest), mailed to SUPPORT_CONTACT when that is an email address, and listed for the
admins (/soporte_pendientes) until one marks it handled."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail import templates
from mail.outbox import Outbox
from services import ratelimit, security
from services.passwords import PasswordHasher
from services.validation import Invalid
from storage import repositories
from storage.crypto import SecretBox
from storage.models import SupportRequest, utcnow

logger = logging.getLogger(__name__)

SUPPORT_TEXT_MAX_LENGTH = 2000
# Problems a person may write per day: enough for a follow-up or two, not a flood for the
# person who reads them (nor for the contact's inbox).
SUPPORT_PER_USER = ratelimit.Limit("support-user", 5, timedelta(days=1))
# How many open requests /soporte_pendientes shows at once (the newest).
PENDING_SHOWN = 5
_ADDRESS = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")
# The zero-width joiner holds emoji sequences (👩‍💻) together; other format characters
# (bidi overrides, zero-width spaces) and controls other than line breaks and tabs are not
# something a person types on purpose.
_JOINER = "\u200d"


def support_address(contact: str | None) -> str | None:
    """SUPPORT_CONTACT when it is one email address (then problems are mailed to it)."""
    return contact if contact is not None and _ADDRESS.fullmatch(contact) else None


def parse_support_text(text: str) -> str:
    """The problem as it will be stored; refused (Invalid) when empty, too long or holding
    invisible characters."""
    value = unicodedata.normalize("NFC", text).strip()
    if not value:
        raise Invalid("support.empty")
    if any(
        unicodedata.category(character) in ("Cc", "Cf")
        and character not in "\n\t"
        and character != _JOINER
        for character in value.replace("\r\n", "\n")
    ):
        raise Invalid("support.hidden-characters")
    if len(value) > SUPPORT_TEXT_MAX_LENGTH:
        raise Invalid(
            "support.too-long", length=str(len(value)), limit=str(SUPPORT_TEXT_MAX_LENGTH)
        )
    return value.replace("\r\n", "\n")


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """`number` of the stored request, or `retry_after` when this person wrote too many."""

    number: int | None = None
    retry_after: timedelta | None = None
    mailed: bool = False
    is_password: bool = False  # the account's own password: neither stored nor mailed


@dataclass(frozen=True, slots=True)
class PendingRequest:
    number: int
    created_at: datetime
    chat_id: int
    user_id: int
    email: str | None
    language: str
    text: str


class SupportService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        outbox: Outbox,
        mail_ready: Callable[[], None],
        contact: str | None,
        passwords: PasswordHasher | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._passwords = passwords or PasswordHasher()
        self._box = box
        self._outbox = outbox
        self._mail_ready = mail_ready
        self._address = support_address(contact)
        self._now = clock

    async def wait(self, user_id: int) -> timedelta | None:
        """How long this person must wait before writing another problem, if at all (asked
        before they type it, so that nobody writes a long message only to lose it)."""
        async with self._sessions() as session:
            return await ratelimit.retry_after(
                session=session, limit=SUPPORT_PER_USER, subject=user_id, now=self._now()
            )

    async def submit(
        self,
        *,
        text: str,
        chat_id: int,
        user_id: int,
        account_id: int | None,
        account_email: str | None,
        language: str,
    ) -> SubmitResult:
        """Store a problem (already parsed) and mail it to the support address, if any;
        past this person's daily allowance, nothing is stored. Nor is the account's own
        password, typed as the problem (it would reach the contact in the clear)."""
        now = self._now()
        if account_id is not None and await self._is_password(account_id, text):
            security.event("support-password-refused", user_id=user_id, account_id=account_id)
            return SubmitResult(is_password=True)
        async with self._sessions() as session, session.begin():
            admission = await ratelimit.acquire(
                session=session, limits=[(SUPPORT_PER_USER, user_id)], now=now
            )
            if admission.wait is not None:
                return SubmitResult(retry_after=admission.wait)
            number = await repositories.add_support_request(
                session=session,
                request=SupportRequest(
                    created_at=now,
                    chat_id=chat_id,
                    user_id=user_id,
                    account_id=account_id,
                    text_sealed=self._box.seal(text),
                    language=language,
                ),
            )
            if self._address is not None:
                await self._outbox.add(
                    session=session,
                    recipient=self._address,
                    content=templates.support_request_email(
                        language=templates.DEFAULT_LANGUAGE,
                        number=number,
                        when=now,
                        email=account_email,
                        chat_id=chat_id,
                        user_id=user_id,
                        person_language=language,
                        text=text,
                    ),
                )
        if self._address is not None:
            self._mail_ready()
        logger.info("support request %s stored (user %s)", number, user_id)
        return SubmitResult(number=number, mailed=self._address is not None)

    async def pending(self, limit: int = PENDING_SHOWN) -> tuple[list[PendingRequest], int]:
        """The newest open requests (at most `limit`) and how many are open in all."""
        async with self._sessions() as session:
            rows = await repositories.open_support_requests(session=session, limit=limit)
            total = await repositories.count_open_support_requests(session=session)
        return [
            PendingRequest(
                number=request.id,
                created_at=request.created_at,
                chat_id=request.chat_id,
                user_id=request.user_id,
                email=email,
                language=request.language,
                text=self._box.open(request.text_sealed),
            )
            for request, email in rows
        ], total

    async def mark_handled(self, number: int, *, admin_id: int) -> bool:
        """Whether the request was open (now it is handled)."""
        async with self._sessions() as session, session.begin():
            done = await repositories.mark_support_request_handled(
                session=session, request_id=number, at=self._now()
            )
        if done:
            logger.info("support request %s handled by admin %s", number, admin_id)
        return done

    async def _is_password(self, account_id: int, text: str) -> bool:
        async with self._sessions() as session:
            account = await repositories.get_account(session=session, account_id=account_id)
        if account is None:
            return False
        return await self._passwords.verify(account.password_hash, text)
