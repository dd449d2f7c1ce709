"""How much mail one person can make the bot send to one address (sign-ups, resends,
resets): a few an hour, counted silently so that the chat's answer reveals nothing.
Counted per address and requester, so that a stranger cannot use up the owner's own
allowance, and per address overall, which the account's own chats do not count against."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import ratelimit, security


async def take(
    *, session: AsyncSession, address: str, user_id: int, known: bool, now: datetime
) -> bool:
    """Whether one more email may go to `address` at `user_id`'s request (and count it).
    `known`: the requester is the account's own (a chat it signed in from, or the person
    whose sign-up is pending)."""
    limits: list[tuple[ratelimit.Limit, object]] = [
        (ratelimit.MAIL_PER_ADDRESS_AND_USER, f"{address}:{user_id}")
    ]
    if not known:
        limits.append((ratelimit.MAIL_PER_ADDRESS, address))
    admission = await ratelimit.acquire(session=session, limits=limits, now=now)
    if admission.wait is not None:
        security.event("mail-suppressed", user_id=user_id)
        return False
    return True
