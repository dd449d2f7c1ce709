"""Accounts: found by address or id, and added."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account


async def get_account_by_email(
    *, session: AsyncSession, email: str, for_update: bool = False
) -> Account | None:
    """`for_update`: lock the row until the transaction ends (PostgreSQL; SQLite runs one
    write transaction at a time), so that what was read still holds when it is written."""
    query = select(Account).where(Account.email == email)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def get_account(
    *, session: AsyncSession, account_id: int, for_update: bool = False, for_share: bool = False
) -> Account | None:
    """`for_update` as above; `for_share` locks the row against changes only (and against
    `for_update`), so that readers who lock it so do not wait for each other."""
    if for_update:
        return await session.get(Account, account_id, with_for_update=True, populate_existing=True)
    if for_share:
        return await session.get(
            Account, account_id, with_for_update={"read": True}, populate_existing=True
        )
    return await session.get(Account, account_id)


async def add_account(
    *,
    session: AsyncSession,
    email: str,
    rfc: str,
    password_hash: str,
    language: str,
    signup_user_id: int | None = None,
    now: datetime | None = None,
) -> Account:
    """Insert an account; raises IntegrityError when the email is taken."""
    account = Account(
        email=email,
        rfc=rfc,
        password_hash=password_hash,
        language=language,
        signup_user_id=signup_user_id,
    )
    if now is not None:
        account.created_at = account.password_changed_at = now
    session.add(account)
    await session.flush()
    return account
