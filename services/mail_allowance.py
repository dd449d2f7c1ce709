"""How much mail one person can make the bot send to one inbox (sign-ups, resends,
resets): a few an hour, counted silently so that the chat's answer reveals nothing.
Counted per inbox and requester, so that a stranger cannot use up the owner's own
allowance, and per inbox overall against strangers (many Telegram accounts), which the
account's own chats are not held to. An inbox is what `validation.inbox` folds an address
to: all its spellings reach one person."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services import ratelimit, security
from services.validation import inbox


def inbox_key(address: str) -> str:
    """What the counters name an inbox by: a digest, not the address, so that a count
    kept to protect an inbox (after the account that mailed it was deleted, say) does not
    keep the address itself."""
    return hashlib.sha256(inbox(address).encode()).hexdigest()[:32]


async def take(
    *, session: AsyncSession, address: str, user_id: int, address_cap: bool, now: datetime
) -> bool:
    """Whether one more email may go to `address` at `user_id`'s request (and count it).
    `address_cap`: hold the request to the inbox's overall cap too (a stranger's)."""
    mailbox = inbox_key(address)
    limits: list[tuple[ratelimit.Limit, object]] = [
        (ratelimit.MAIL_PER_ADDRESS_AND_USER, f"{mailbox}:{user_id}")
    ]
    if address_cap:
        limits.append((ratelimit.MAIL_PER_ADDRESS, mailbox))
    admission = await ratelimit.acquire(session=session, limits=limits, now=now)
    if admission.wait is not None:
        security.event("mail-suppressed", user_id=user_id)
        return False
    return True
