"""Delivery of the outbox: over SMTP (aiosmtplib) or, without SMTP settings, as .eml files.
A message leaves the outbox once it is sent, or given up: its address refused for good
(SMTP 5xx), what it carries expired, undelivered for longer than the maximum age, or not
buildable at all (a header that cannot be written), each row on its own.
Other failures (4xx, SMTP down, a timeout) are retried with backoff; fresh mail goes first."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail.outbox import Outbox
from mail.templates import EmailContent
from mail.transports import Transport, refusal, refused_for_good
from storage import repositories
from storage.crypto import UnreadableSecret
from storage.models import OutboxMessage, utcnow

logger = logging.getLogger(__name__)

BATCH_SIZE = 5  # claimed at a time: each is tried within CLAIM_FOR
CLAIM_FOR = timedelta(minutes=5)
DEFAULT_MAX_AGE = timedelta(days=3)
IDLE_CHECK_SECONDS = 30.0
WAKE_GRACE_SECONDS = 0.25


def build_message(row: OutboxMessage, sender: str, content: EmailContent) -> EmailMessage:
    """The message of a queued row; `sender` is the whole From header."""
    message = EmailMessage()
    message["From"] = sender
    if content.reply_to:
        message["Reply-To"] = content.reply_to
    message["To"] = row.recipient
    message["Subject"] = content.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["X-Outbox-Id"] = str(row.id)
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    return message


def backoff(attempts: int, cap: float) -> timedelta:
    """1 s, 2 s, 4 s … up to `cap` seconds, after the n-th failed attempt."""
    return timedelta(seconds=min(cap, 2.0 ** max(attempts - 1, 0)))


class MailDelivery:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        transport: Transport,
        outbox: Outbox,
        retry_cap_seconds: float,
        max_age: timedelta = DEFAULT_MAX_AGE,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.transport = transport
        self._outbox = outbox
        self._retry_cap = retry_cap_seconds
        self._max_age = max_age
        self._now = clock
        self._wake = asyncio.Event()
        self._wakers: set[asyncio.Task[Any]] = set()  # the tasks that woke it, if any
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.listeners: list[Callable[[EmailMessage], None]] = []

    def wake(self) -> None:
        """Called after a transaction that enqueued mail has committed: by a chat's update,
        whose reply then goes out before the mail (see _run), or by a periodic job."""
        task = asyncio.current_task()
        if task is not None and task is not self._task:
            self._wakers.add(task)
        self._wake.set()

    def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="mail-delivery")
        logger.info("mail delivery started: %s", self.transport.describe())

    async def stop(self) -> None:
        """Let the message in hand finish, then stop."""
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.deliver_due()
                delay = await self._seconds_to_next_attempt()
            except Exception:
                logger.exception("mail delivery pass failed; trying again shortly")
                delay = 1.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            if self._wake.is_set() and not self._stopping:
                # Woken by fresh mail: let the chat's reply to the same step go out first
                # (the update that queued it ends once its reply is sent), so that the work
                # of sending does not slow that reply, which would tell a registered
                # address from an unregistered one. A job's task may run on: not past the
                # grace.
                wakers, self._wakers = self._wakers, set()
                if wakers:
                    await asyncio.wait(wakers, timeout=WAKE_GRACE_SECONDS)
                else:
                    await asyncio.sleep(WAKE_GRACE_SECONDS)

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many were sent."""
        sent = 0
        while not self._stopping:
            # Claimed a few at a time, for long enough to try each (another process's
            # loop takes them after that if this one never reports back).
            now = self._now()
            async with self._sessions() as session, session.begin():
                due = await repositories.claim_due_outbox_messages(
                    session=session, now=now, limit=BATCH_SIZE, until=now + CLAIM_FOR
                )
            if not due:
                return sent
            overtaken = False
            tried = 0
            try:
                async with self.transport.connection():
                    for row in due:
                        if self._stopping:
                            break
                        if row.attempts > 0 and self._wake.is_set():
                            # Fresh mail came in while retrying: it goes before the retries
                            # left (the next query puts it first).
                            overtaken = True
                            break
                        tried += 1
                        sent += await self._deliver(row)
            finally:
                untried = [row.id for row in due[tried:]]
                if untried:
                    async with self._sessions() as session, session.begin():
                        await repositories.release_outbox_messages(
                            session=session, message_ids=untried, now=self._now()
                        )
            if overtaken:
                return sent
            if len(due) < BATCH_SIZE:
                # That was all that was due; mail enqueued meanwhile has called wake().
                return sent
        return sent

    async def _give_up(self, row: OutboxMessage, why: str, *, attempted: bool = False) -> int:
        async with self._sessions() as session, session.begin():
            await repositories.give_up_outbox_message(
                session=session,
                message_id=row.id,
                now=self._now(),
                reason=why,
                attempted=attempted,
            )
        attempts = row.attempts + (1 if attempted else 0)
        logger.error("email %s given up after %d attempts: %s", row.id, attempts, why)
        return 0

    async def _deliver(self, row: OutboxMessage) -> int:
        now = self._now()
        if row.expires_at is not None and row.expires_at <= now:
            return await self._give_up(row, "what it carries has expired")
        if row.created_at + self._max_age <= now:
            hours = self._max_age.total_seconds() / 3600
            return await self._give_up(row, f"still undelivered after {hours:g} hours")
        try:
            content = self._outbox.content(row)
        except UnreadableSecret:
            return await self._give_up(row, "sealed with a key this process does not have")
        try:
            message = build_message(row, self._outbox.from_header, content)
        except Exception as error:  # one bad row (a header that cannot be written): not
            # worth retrying, and it must not stop the rest of the queue. The error's type
            # only, as its text may quote the row.
            return await self._give_up(row, f"could not be built ({type(error).__name__})")
        try:
            await self.transport.send(message)
        except Exception as error:  # any other failure of the far side: retry later
            if refused_for_good(error):
                return await self._give_up(row, refusal(error), attempted=True)
            retry_at = self._now() + backoff(row.attempts + 1, self._retry_cap)
            logger.warning(
                "email %s not delivered (attempt %d): %s; next try at %s",
                row.id,
                row.attempts + 1,
                type(error).__name__,
                retry_at.isoformat(timespec="seconds"),
            )
            async with self._sessions() as session, session.begin():
                await repositories.mark_outbox_failed(
                    session=session, message_id=row.id, error=repr(error), retry_at=retry_at
                )
            return 0
        async with self._sessions() as session, session.begin():
            await repositories.mark_outbox_sent(session=session, message_id=row.id, now=self._now())
        logger.info("email %s delivered", row.id)
        for listener in self.listeners:
            listener(message)
        return 1

    async def _seconds_to_next_attempt(self) -> float:
        async with self._sessions() as session:
            next_at = await repositories.next_outbox_attempt(session=session)
        if next_at is None:
            return IDLE_CHECK_SECONDS
        return min(IDLE_CHECK_SECONDS, max(0.0, (next_at - self._now()).total_seconds()))
