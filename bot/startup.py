"""Waiting for what the bot needs at start: the database and the Bot API are tried again
with a growing pause while they cannot be reached (a container that starts before its
database, a network that comes up late), each try one log line. What retrying cannot fix
(a wrong password, a database that does not exist, a rejected token) stops the start at
once with one line. SMTP is tried the same way, but beside the running bot: mail waits in
the outbox meanwhile, so a mail server that is down must not keep people from signing up."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TypeVar

import aiosmtplib
from sqlalchemy.exc import DBAPIError
from telegram.error import BadRequest, NetworkError, RetryAfter

logger = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_PAUSE_SECONDS = 1.0

# PostgreSQL's SQLSTATEs that pass: connection exceptions, "the database system is starting
# up" and "too many connections". Others (28: authorization, 3D000: no such database) don't.
_PASSING_SQLSTATES = ("08", "57P03", "53300")


def first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error) or type(error).__name__
    return text.strip().splitlines()[0]


def database_unreachable(error: BaseException) -> bool:
    # TLS refused or not trusted is a setting to fix, not an outage to wait out.
    if isinstance(error, ssl.SSLError) or "rejected SSL upgrade" in str(error):
        return False
    if isinstance(error, OSError | TimeoutError):  # refused, unknown host, no route
        return True
    if isinstance(error, DBAPIError):
        state = getattr(error.orig, "sqlstate", None)
        return isinstance(state, str) and state.startswith(_PASSING_SQLSTATES)
    return False


def bot_api_unreachable(error: BaseException) -> bool:
    # PTB raises BadRequest (a NetworkError) for a request Telegram refused: that one stays.
    return isinstance(error, RetryAfter) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    )


async def until_reachable(
    what: str,
    attempt: Callable[[], Awaitable[T]],
    *,
    unreachable: Callable[[BaseException], bool],
    max_pause: float,
) -> T:
    """`attempt()`'s result, trying again after 1, 2, 4… seconds (at most `max_pause`) for
    as long as it fails with an error that `unreachable` says may pass."""
    pause = min(FIRST_PAUSE_SECONDS, max_pause)
    while True:
        try:
            return await attempt()
        except Exception as error:
            if not unreachable(error):
                raise
            if isinstance(error, RetryAfter):
                wait = error.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                pause = max(pause, seconds)
            logger.warning(
                "%s not reachable (%s); retrying in %g s", what, first_line(error), pause
            )
        await asyncio.sleep(pause)
        pause = min(pause * 2, max_pause)


async def reach_smtp(*, host: str, port: int, security: str, timeout: float) -> None:
    """Connect (with TLS as configured) and say QUIT: the server is there and speaks SMTP."""
    client = aiosmtplib.SMTP(
        hostname=host,
        port=port,
        use_tls=security == "tls",
        start_tls=security == "starttls",
        timeout=timeout,
    )
    await client.connect()
    await client.quit()
