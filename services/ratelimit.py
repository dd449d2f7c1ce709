"""Sliding-window limits kept in the database, so they hold across restarts and across
processes. Checking a limit and counting an attempt happen in one step under a lock of the
limit's key, so that many attempts at the same moment cannot all pass."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repositories


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    count: int
    window: timedelta

    def key(self, subject: object) -> str:
        return f"{self.name}:{subject}"


Pairs = Iterable[tuple[Limit, object]]


@dataclass(frozen=True, slots=True)
class Admission:
    """The outcome of `acquire`: either a wait, or the ids of the attempts it counted."""

    wait: timedelta | None
    event_ids: Sequence[int] = ()


async def retry_after(
    *, session: AsyncSession, limit: Limit, subject: object, now: datetime
) -> timedelta | None:
    """None while under the limit; else how long until one more attempt is allowed."""
    times = await repositories.rate_events_since(
        session=session, key=limit.key(subject), since=now - limit.window
    )
    if len(times) < limit.count:
        return None
    return times[-limit.count] + limit.window - now


async def record(*, session: AsyncSession, limit: Limit, subject: object, now: datetime) -> int:
    return await repositories.add_rate_event(session=session, key=limit.key(subject), at=now)


async def longest_wait(*, session: AsyncSession, limits: Pairs, now: datetime) -> timedelta | None:
    """The longest wait among several (limit, subject) pairs; None when none is reached."""
    waits = [
        await retry_after(session=session, limit=limit, subject=subject, now=now)
        for limit, subject in limits
    ]
    reached = [wait for wait in waits if wait is not None]
    return max(reached) if reached else None


async def acquire(*, session: AsyncSession, limits: Pairs, now: datetime) -> Admission:
    """Atomically: when any limit is reached, the longest wait (nothing is counted);
    otherwise one attempt is counted under every limit. The keys stay locked until the
    caller's transaction ends (PostgreSQL advisory locks; SQLite's write transactions are
    serialised already)."""
    pairs = list(limits)
    await repositories.lock_keys(session=session, keys=[limit.key(s) for limit, s in pairs])
    wait = await longest_wait(session=session, limits=pairs, now=now)
    if wait is not None:
        return Admission(wait)
    ids = [await record(session=session, limit=limit, subject=s, now=now) for limit, s in pairs]
    return Admission(None, ids)


async def forget(*, session: AsyncSession, admission: Admission) -> None:
    """Uncount the attempts of an admission (a success is no failed attempt)."""
    await repositories.delete_rate_events(session=session, ids=admission.event_ids)


async def clear(*, session: AsyncSession, limit: Limit, subject: object) -> None:
    """Forget every attempt counted under a limit for a subject."""
    await repositories.delete_rate_events_by_key(session=session, key=limit.key(subject))


async def prune(*, session: AsyncSession, before: datetime) -> int:
    """Forget attempts counted before `before`, under every limit (housekeeping: `before`
    lies beyond the longest window). How many were forgotten."""
    return await repositories.delete_rate_events_before(session=session, before=before)


# Confirmation codes: wrong codes per chat; resends per chat.
WRONG_CONFIRMATION_CODE = Limit("confirm-wrong-chat", 5, timedelta(hours=1))
RESEND_PER_CHAT = Limit("resend-chat", 1, timedelta(minutes=1))
# Sign-in: strangers' attempts per address; a chat where the account has signed in before
# has its own allowance instead, so strangers cannot lock the owner out.
SIGN_IN_PER_ADDRESS = Limit("sign-in-address", 5, timedelta(minutes=15))
SIGN_IN_KNOWN_CHAT = Limit("sign-in-known-chat", 5, timedelta(minutes=15))
SIGN_IN_PER_USER = Limit("sign-in-user", 20, timedelta(hours=1))
# The CSD key's password: besides the sign-in limits of the person and the chat, per
# account, so that N Telegram users signed in to one account do not get N allowances.
CSD_PASSWORD_PER_ACCOUNT = Limit("csd-password-account", 20, timedelta(hours=1))
SIGN_UP_PER_USER = Limit("sign-up-user", 5, timedelta(hours=1))
HUMAN_CHECK_WRONG = Limit("human-check-wrong", 3, timedelta(minutes=10))
RESET_PER_USER = Limit("reset-user", 10, timedelta(hours=1))
# Mail that a person can make the bot send to one address (sign-ups, resends, resets),
# counted silently: per address and requester, so that a stranger cannot use up the
# owner's allowance, and per address overall, which the address's known chats bypass.
MAIL_PER_ADDRESS_AND_USER = Limit("mail-address-user", 3, timedelta(hours=1))
MAIL_PER_ADDRESS = Limit("mail-address", 10, timedelta(hours=1))
# Changing an account's address: requests per account (each mails a code to the new one).
EMAIL_CHANGE_PER_ACCOUNT = Limit("email-change-account", 3, timedelta(hours=1))
