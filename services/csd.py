"""The issuer's CSD: checked as a PAC checks it (services/csd_files.py), stored one per
account with its password sealed, and the owner reminded 30 and 7 days before it expires.

A wrong password counts as a failed sign-in does in that chat (the person's allowance and
the chat's own), and under the account's own allowance too (so that several Telegram users
signed in to one account do not get more guesses between them), in one step with the
limits; any other outcome is uncounted. Opening the key runs in a process of its own with
a time limit (services/isolation.py): no file can stall the other chats."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail import templates
from mail.outbox import Outbox
from services import ratelimit, security
from services.csd_files import (
    Checked,
    CsdProblem,
    Refusal,
    check_key,
    checked_dates_and_rfc,
    read_certificate,
    read_key,
)
from services.isolation import ChildFailed, TookTooLong, run_isolated
from storage import repositories
from storage.crypto import SecretBox
from storage.models import Csd, utcnow
from storage.repositories.csds import Reminder

logger = logging.getLogger(__name__)

# SAT's keys open in milliseconds (PBKDF2 and a 2,048-bit key); the most rounds a key may
# ask for (csd_files.MAX_KDF_ROUNDS) take well under a second. Past this, the key is
# refused and the try counted.
KEY_CHECK_SECONDS = 10.0

# Reminders before valid_until, the nearer first: a CSD found at 5 days gets only that one.
REMINDERS: tuple[tuple[Reminder, timedelta], ...] = (
    ("reminded_7_at", timedelta(days=7)),
    ("reminded_30_at", timedelta(days=30)),
)


@dataclass(frozen=True)
class StoredCsd:
    serial: str
    holder: str
    rfc: str
    branch: str | None
    valid_from: datetime
    valid_until: datetime

    @classmethod
    def of(cls, row: Csd) -> StoredCsd:
        return cls(row.serial, row.holder, row.rfc, row.branch, row.valid_from, row.valid_until)


class CsdStatus(StrEnum):
    OK = "ok"
    STORED = "stored"
    REFUSED = "refused"
    LOCKED = "locked"


@dataclass(frozen=True)
class CsdOutcome:
    status: CsdStatus
    refusal: Refusal | None = None
    checked: Checked | None = None
    replaced: StoredCsd | None = None
    wait: timedelta | None = None
    problem: CsdProblem | None = None  # the refusal's details (the certificate's RFC, dates)


class CsdUnavailable(RuntimeError):
    """No DATA_ENCRYPTION_KEY: a CSD's password cannot be stored sealed."""


class CsdService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox | None,
        outbox: Outbox,
        mail_ready: Callable[[], None],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._outbox = outbox
        self._mail_ready = mail_ready
        self._now = clock

    def available(self) -> bool:
        """Whether a CSD can be stored (its password needs DATA_ENCRYPTION_KEY)."""
        return self._box is not None

    async def current(self, *, account_id: int) -> StoredCsd | None:
        async with self._sessions() as session:
            row = await repositories.get_csd(session=session, account_id=account_id)
            return None if row is None else StoredCsd.of(row)

    async def check(
        self,
        *,
        account_id: int,
        chat_id: int,
        user_id: int,
        certificate: bytes,
        key: bytes,
        password: str,
    ) -> CsdOutcome:
        """The checks against the account's RFC; nothing is stored."""
        try:
            parsed, key_der = read_certificate(certificate), read_key(key)
            if parsed.is_fiel:
                raise CsdProblem(Refusal.IS_FIEL)
        except CsdProblem as problem:
            return CsdOutcome(CsdStatus.REFUSED, refusal=problem.refusal, problem=problem)
        limits: list[tuple[ratelimit.Limit, object]] = [
            (ratelimit.SIGN_IN_PER_USER, user_id),
            (ratelimit.SIGN_IN_KNOWN_CHAT, f"{account_id}:{chat_id}"),
            (ratelimit.CSD_PASSWORD_PER_ACCOUNT, account_id),
        ]
        async with self._sessions() as session, session.begin():
            admission = await ratelimit.acquire(session=session, limits=limits, now=self._now())
            account = await repositories.get_account(session=session, account_id=account_id)
        if admission.wait is not None:
            security.event("csd-password-locked", user_id=user_id, account_id=account_id)
            return CsdOutcome(CsdStatus.LOCKED, wait=admission.wait)
        refusal = await self._open_key(parsed.der, key_der, password)
        if refusal is not None:
            if refusal is Refusal.WRONG_PASSWORD:
                security.event("csd-password-failed", user_id=user_id, account_id=account_id)
            elif refusal is not Refusal.NOT_A_KEY:  # a key too slow to open stays counted
                await self._forget(admission)
            return CsdOutcome(CsdStatus.REFUSED, refusal=refusal, problem=CsdProblem(refusal))
        rfc = account.rfc if account is not None else ""
        try:
            checked = checked_dates_and_rfc(parsed, key_der, rfc=rfc, now=self._now())
        except CsdProblem as problem:
            await self._forget(admission)
            return CsdOutcome(CsdStatus.REFUSED, refusal=problem.refusal, problem=problem)
        await self._forget(admission)
        return CsdOutcome(CsdStatus.OK, checked=checked)

    async def _open_key(
        self, certificate_der: bytes, key_der: bytes, password: str
    ) -> Refusal | None:
        """`check_key` in a process of its own, with a time limit: what a file may make cost
        seconds of CPU (and of Python's lock) never stalls the other chats."""
        try:
            return await asyncio.to_thread(
                run_isolated,
                check_key,
                certificate_der,
                key_der,
                password,
                seconds=KEY_CHECK_SECONDS,
            )
        except TookTooLong:
            logger.warning("a CSD key took over %s s to open; refused", KEY_CHECK_SECONDS)
        except ChildFailed as error:
            logger.error("opening a CSD key failed: %s", error)
        return Refusal.NOT_A_KEY

    async def _forget(self, admission: ratelimit.Admission) -> None:
        async with self._sessions() as session, session.begin():
            await ratelimit.forget(session=session, admission=admission)

    async def store(self, *, account_id: int, checked: Checked, password: str) -> CsdOutcome:
        """Keep the CSD as the account's one, replacing (and returning) the one it had."""
        if self._box is None:
            raise CsdUnavailable("DATA_ENCRYPTION_KEY is not set")
        certificate, now = checked.certificate, self._now()
        values = {
            "certificate_der": certificate.der,
            "serial": certificate.serial,
            "rfc": certificate.rfc,
            "holder": certificate.holder,
            "branch": certificate.branch,
            "valid_from": certificate.valid_from,
            "valid_until": certificate.valid_until,
            "key_der": checked.key_der,
            "password_sealed": self._box.seal(password),
            "created_at": now,
        }
        async with self._sessions() as session, session.begin():
            old = await repositories.get_csd(
                session=session, account_id=account_id, for_update=True
            )
            replaced = None if old is None else StoredCsd.of(old)
            await repositories.save_csd(session=session, account_id=account_id, values=values)
            # The chat has just said how soon it expires: no email repeats what it said.
            for reminder, before in REMINDERS:
                if certificate.valid_until - now <= before:
                    await repositories.claim_csd_reminder(
                        session=session,
                        account_id=account_id,
                        serial=certificate.serial,
                        reminder=reminder,
                        at=now,
                    )
        logger.info("account %s stored CSD %s", account_id, certificate.serial)
        return CsdOutcome(CsdStatus.STORED, checked=checked, replaced=replaced)

    async def delete(self, *, account_id: int, serial: str | None = None) -> bool:
        """The account's CSD; with `serial`, only if it is still that one (a question named
        it, and another chat may have replaced it since)."""
        async with self._sessions() as session, session.begin():
            deleted = await repositories.delete_csd(
                session=session, account_id=account_id, serial=serial
            )
        if deleted:
            logger.info("account %s deleted its CSD", account_id)
        return deleted

    async def remind_expiring(self) -> int:
        """Housekeeping: one email 30 days and one 7 days before each stored CSD expires.
        Each is marked in the transaction that queues it, by a conditional UPDATE that only
        one process can win: never twice, across restarts or processes. How many queued."""
        queued = 0
        for reminder, before in REMINDERS:
            now = self._now()
            async with self._sessions() as session:
                due = await repositories.csds_to_remind(
                    session=session, reminder=reminder, now=now, until=now + before
                )
                targets = [(csd.account_id, csd.serial) for csd, _ in due]
            for account_id, serial in targets:
                queued += await self._remind(account_id, serial, reminder, now)
        if queued:
            self._mail_ready()
            logger.info("queued %d CSD expiry reminders", queued)
        return queued

    async def _remind(self, account_id: int, serial: str, reminder: Reminder, now: datetime) -> int:
        async with self._sessions() as session, session.begin():
            claimed = await repositories.claim_csd_reminder(
                session=session, account_id=account_id, serial=serial, reminder=reminder, at=now
            )
            if not claimed:
                return 0
            if reminder == "reminded_7_at":  # the 30-day one would come after it: too late
                await repositories.claim_csd_reminder(
                    session=session,
                    account_id=account_id,
                    serial=serial,
                    reminder="reminded_30_at",
                    at=now,
                )
            csd = await repositories.get_csd(session=session, account_id=account_id)
            account = await repositories.get_account(session=session, account_id=account_id)
            assert csd is not None and account is not None  # the claim found the row
            letter = templates.csd_expiring_email(
                language=account.language,
                serial=csd.serial,
                holder=csd.holder,
                valid_until=csd.valid_until,
                days_left=max((csd.valid_until - now).days, 0),
            )
            await self._outbox.add(
                session=session, recipient=account.email, content=letter, expires_at=csd.valid_until
            )
        return 1
