"""Delivery of the outbox: over SMTP (aiosmtplib) or, without SMTP settings, as .eml files.
A message leaves the outbox once it is sent, or given up: its address refused for good
(SMTP 5xx), what it carries expired, or undelivered for longer than the maximum age.
Other failures (4xx, SMTP down, a timeout) are retried with backoff; fresh mail goes first."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Protocol

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail.outbox import Outbox
from mail.templates import SERVICE_NAME, EmailContent
from storage import repositories
from storage.crypto import UnreadableSecret
from storage.models import OutboxMessage, utcnow

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
DEFAULT_MAX_AGE = timedelta(days=3)
IDLE_CHECK_SECONDS = 30.0
WAKE_GRACE_SECONDS = 0.25


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None: ...

    def connection(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Messages sent inside share what can be shared (one SMTP connection)."""
        ...

    def describe(self) -> str: ...


class SmtpTransport:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str,
        username: str | None,
        password: str | None,
        timeout: float,
    ) -> None:
        self._host, self._port, self._security = host, port, security
        self._username, self._password, self._timeout = username, password, timeout
        self._client: aiosmtplib.SMTP | None = None
        self._in_pass = False

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[None]:
        """One connection for all the messages of a delivery pass, opened at the first;
        a connection that failed is dropped and the next message opens another."""
        self._in_pass = True
        try:
            yield
        finally:
            self._in_pass = False
            await self._drop(politely=True)

    def _new_client(self) -> aiosmtplib.SMTP:
        return aiosmtplib.SMTP(
            hostname=self._host,
            port=self._port,
            use_tls=self._security == "tls",
            start_tls=self._security == "starttls",
            username=self._username,
            password=self._password,
            timeout=self._timeout,
        )

    async def send(self, message: EmailMessage) -> None:
        if not self._in_pass:
            async with self._new_client() as client:
                await client.send_message(message)
            return
        if self._client is None:
            client = self._new_client()
            await client.connect()
            self._client = client
        try:
            await self._client.send_message(message)
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException):
            # The server answered: aiosmtplib has reset the envelope (RSET), so the next
            # message of the pass goes over the same connection, unless the server hung up.
            if not self._client.is_connected:
                await self._drop(politely=False)
            raise
        except Exception:
            await self._drop(politely=False)
            raise

    async def _drop(self, *, politely: bool) -> None:
        """Close the pass's connection: with QUIT when it is in a good state."""
        client, self._client = self._client, None
        if client is None or not client.is_connected:
            return
        if politely:
            try:
                await client.quit()
                return
            except (aiosmtplib.SMTPException, OSError):
                pass
        client.close()

    def describe(self) -> str:
        return f"SMTP {self._host}:{self._port}"


class FileTransport:
    """Writes each message to `<dir>/<outbox id>.eml`; a retry rewrites the same file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        path = self.path_for(message)
        await asyncio.to_thread(self._write, path, bytes(message))
        logger.info("email written to %s", path)

    def path_for(self, message: EmailMessage) -> Path:
        return self.directory / f"{message['X-Outbox-Id']}.eml"

    def _write(self, path: Path, data: bytes) -> None:
        # Owner-only: a message may carry a code.
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
        temporary.replace(path)

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[None]:
        yield

    def describe(self) -> str:
        return f"files in {self.directory.resolve()}"


def build_message(row: OutboxMessage, sender: str, content: EmailContent) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr((SERVICE_NAME, sender))
    message["To"] = row.recipient
    message["Subject"] = content.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message["X-Outbox-Id"] = str(row.id)
    message.set_content(content.text)
    message.add_alternative(content.html, subtype="html")
    return message


def refused_for_good(error: Exception) -> bool:
    """The server refused the recipient with a permanent (5xx) answer: no retry will do.
    552 (mailbox full) is read as 452, as RFC 5321 4.5.3.1.10 asks."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(_permanent(r.code) for r in error.recipients)
    return isinstance(error, aiosmtplib.SMTPRecipientRefused) and _permanent(error.code)


def _permanent(code: int) -> bool:
    return code >= 500 and code != 552


def refusal(error: Exception) -> str:
    """The server's answer, without the address (logs do not carry people's emails)."""
    answers = error.recipients if isinstance(error, aiosmtplib.SMTPRecipientsRefused) else [error]
    said = "; ".join(
        f"{answer.code} {answer.message}"
        for answer in answers
        if isinstance(answer, aiosmtplib.SMTPResponseException)
    )
    return f"recipient refused for good ({said})"


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
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.listeners: list[Callable[[EmailMessage], None]] = []

    def wake(self) -> None:
        """Called after a transaction that enqueued mail has committed."""
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
                # Woken by fresh mail: let the chat's reply to the same step go out first,
                # so that the work of sending does not slow that reply, which would tell a
                # registered address from an unregistered one.
                await asyncio.sleep(WAKE_GRACE_SECONDS)

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many were sent."""
        sent = 0
        while not self._stopping:
            async with self._sessions() as session:
                due = await repositories.due_outbox_messages(
                    session=session, now=self._now(), limit=BATCH_SIZE
                )
            if not due:
                return sent
            overtaken = False
            async with self.transport.connection():
                for row in due:
                    if self._stopping:
                        break
                    if row.attempts > 0 and self._wake.is_set():
                        # Fresh mail came in while retrying: it goes before the retries
                        # left (the next query puts it first).
                        overtaken = True
                        break
                    sent += await self._deliver(row)
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
        message = build_message(row, self._outbox.sender, content)
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
