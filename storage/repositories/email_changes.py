"""Pending changes of an account's address: one live code per account (what all codes
share: storage/repositories/one_time_codes.py). Spent requests are kept (used) as long as
the mail they sent, so that a deletion of the account finds where that mail went."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EmailChange


async def add_email_change(*, session: AsyncSession, change: EmailChange) -> None:
    """Store an account's new request; its earlier unused codes stop working."""
    await void_email_changes(session=session, account_id=change.account_id, now=change.created_at)
    session.add(change)
    await session.flush()


async def void_email_changes(*, session: AsyncSession, account_id: int, now: datetime) -> None:
    """The account's unused codes stop working (marked used)."""
    await session.execute(
        update(EmailChange)
        .where(EmailChange.account_id == account_id, EmailChange.used_at.is_(None))
        .values(used_at=now)
    )
