"""How mail leaves: over SMTP (aiosmtplib, one connection per delivery pass) or, without
SMTP settings, as .eml files; and how an SMTP refusal is read (for good, or for now)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib

logger = logging.getLogger(__name__)


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
