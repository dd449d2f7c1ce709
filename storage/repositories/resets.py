"""Password-reset codes: one live code per chat, tries counted in the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ResetCode
from storage.repositories._rows import affected


async def add_reset_code(*, session: AsyncSession, code: ResetCode) -> None:
    """Store a chat's new code; the chat's earlier unused codes stop working."""
    await session.execute(
        delete(ResetCode).where(ResetCode.chat_id == code.chat_id, ResetCode.used_at.is_(None))
    )
    session.add(code)
    await session.flush()


async def pending_reset_code(
    *, session: AsyncSession, email: str, account_id: int | None, now: datetime
) -> ResetCode | None:
    """The newest shareable code for the address (and its account, or none) still
    unexpired and unused, whichever stranger's chat asked for it."""
    account = (
        ResetCode.account_id.is_(None) if account_id is None else ResetCode.account_id == account_id
    )
    return await session.scalar(
        select(ResetCode)
        .where(ResetCode.email == email, account, ResetCode.used_at.is_(None))
        .where(ResetCode.shareable.is_(True))
        .where(ResetCode.expires_at > now)
        .order_by(ResetCode.id.desc())
        .limit(1)
    )


async def latest_reset_code(*, session: AsyncSession, chat_id: int, email: str) -> ResetCode | None:
    return await session.scalar(
        select(ResetCode)
        .where(ResetCode.chat_id == chat_id, ResetCode.email == email, ResetCode.used_at.is_(None))
        .order_by(ResetCode.id.desc())
        .limit(1)
    )


async def count_reset_try(*, session: AsyncSession, code_id: int, most: int) -> int | None:
    """Count one try of the code, unless it has had `most` already (then None): one
    statement, so that simultaneous tries cannot pass the cap. Returns the tries so far."""
    result = await session.execute(
        update(ResetCode)
        .where(ResetCode.id == code_id, ResetCode.attempts < most)
        .values(attempts=ResetCode.attempts + 1)
        .returning(ResetCode.attempts)
    )
    return result.scalar_one_or_none()


async def mark_reset_verified(*, session: AsyncSession, code_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(ResetCode)
        .where(ResetCode.id == code_id, ResetCode.used_at.is_(None))
        .values(verified_at=now)
    )
    return affected(result) == 1


async def verified_reset_code(
    *, session: AsyncSession, code_id: int, chat_id: int, verified_since: datetime
) -> ResetCode | None:
    """The chat's code if it was verified since `verified_since` and is still unused."""
    return await session.scalar(
        select(ResetCode).where(
            ResetCode.id == code_id,
            ResetCode.chat_id == chat_id,
            ResetCode.account_id.is_not(None),
            ResetCode.used_at.is_(None),
            ResetCode.verified_at >= verified_since,
        )
    )


async def claim_reset_code(
    *, session: AsyncSession, code_id: int, chat_id: int, verified_since: datetime, now: datetime
) -> int | None:
    """Use the chat's verified code once; the account it is for, or None when the code is
    not good for it (unverified, used, verified too long ago, another chat's)."""
    result = await session.execute(
        update(ResetCode)
        .where(
            ResetCode.id == code_id,
            ResetCode.chat_id == chat_id,
            ResetCode.account_id.is_not(None),
            ResetCode.used_at.is_(None),
            ResetCode.verified_at >= verified_since,
        )
        .values(used_at=now)
        .returning(ResetCode.account_id)
    )
    return result.scalar_one_or_none()


async def delete_unused_reset_codes(*, session: AsyncSession, account_id: int) -> None:
    await session.execute(
        delete(ResetCode).where(ResetCode.account_id == account_id, ResetCode.used_at.is_(None))
    )


async def delete_reset_codes_expired_before(*, session: AsyncSession, before: datetime) -> int:
    """Forget codes that expired before `before`; how many were removed."""
    result = await session.execute(delete(ResetCode).where(ResetCode.expires_at < before))
    return affected(result)
