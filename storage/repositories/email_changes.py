"""Pending changes of an account's address: one live code per account, tries counted in
the database. Spent requests are kept (used) as long as the mail they sent, so that a
deletion of the account finds where that mail went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EmailChange
from storage.repositories._rows import affected


async def add_email_change(*, session: AsyncSession, change: EmailChange) -> None:
    """Store an account's new request; its earlier unused codes stop working."""
    await void_email_changes(session=session, account_id=change.account_id, now=change.created_at)
    session.add(change)
    await session.flush()


async def latest_email_change(
    *, session: AsyncSession, account_id: int, chat_id: int
) -> EmailChange | None:
    """The account's unused request made in this chat, if any."""
    return await session.scalar(
        select(EmailChange)
        .where(
            EmailChange.account_id == account_id,
            EmailChange.chat_id == chat_id,
            EmailChange.used_at.is_(None),
        )
        .order_by(EmailChange.id.desc())
        .limit(1)
    )


async def count_email_change_try(*, session: AsyncSession, change_id: int, most: int) -> int | None:
    """Count one try of the code, unless it has had `most` already (then None): one
    statement, so that simultaneous tries cannot pass the cap. Returns the tries so far."""
    result = await session.execute(
        update(EmailChange)
        .where(EmailChange.id == change_id, EmailChange.attempts < most)
        .values(attempts=EmailChange.attempts + 1)
        .returning(EmailChange.attempts)
    )
    return result.scalar_one_or_none()


async def claim_email_change(
    *, session: AsyncSession, change_id: int, now: datetime
) -> EmailChange | None:
    """Use the code once: the request, or None when it was used or voided meanwhile."""
    claimed = await session.execute(
        update(EmailChange)
        .where(EmailChange.id == change_id, EmailChange.used_at.is_(None))
        .values(used_at=now)
    )
    if affected(claimed) != 1:
        return None
    return await session.get(EmailChange, change_id, populate_existing=True)


async def void_email_changes(*, session: AsyncSession, account_id: int, now: datetime) -> None:
    """The account's unused codes stop working (marked used)."""
    await session.execute(
        update(EmailChange)
        .where(EmailChange.account_id == account_id, EmailChange.used_at.is_(None))
        .values(used_at=now)
    )


async def delete_email_changes_expired_before(*, session: AsyncSession, before: datetime) -> int:
    """Forget requests that expired before `before`; how many were removed."""
    result = await session.execute(delete(EmailChange).where(EmailChange.expires_at < before))
    return affected(result)
