"""Password-reset codes: one live code per chat, shared with strangers while pending,
verified before the new password is chosen (what all codes share:
storage/repositories/one_time_codes.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ResetCode
from storage.repositories._rows import affected
from storage.repositories.one_time_codes import claim_code


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


async def mark_reset_verified(*, session: AsyncSession, code_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(ResetCode)
        .where(ResetCode.id == code_id, ResetCode.used_at.is_(None))
        .values(verified_at=now)
    )
    return affected(result) == 1


def _verified_in(chat_id: int, verified_since: datetime) -> tuple[ColumnElement[bool], ...]:
    """A code of an account, verified in this chat since `verified_since`."""
    return (
        ResetCode.chat_id == chat_id,
        ResetCode.account_id.is_not(None),
        ResetCode.verified_at >= verified_since,
    )


async def verified_reset_code(
    *, session: AsyncSession, code_id: int, chat_id: int, verified_since: datetime
) -> ResetCode | None:
    """The chat's code if it was verified since `verified_since` and is still unused."""
    return await session.scalar(
        select(ResetCode).where(
            ResetCode.id == code_id,
            ResetCode.used_at.is_(None),
            *_verified_in(chat_id, verified_since),
        )
    )


async def claim_reset_code(
    *, session: AsyncSession, code_id: int, chat_id: int, verified_since: datetime, now: datetime
) -> int | None:
    """Use the chat's verified code once; the account it is for, or None when the code is
    not good for it (unverified, used, verified too long ago, another chat's)."""
    row = await claim_code(
        session=session,
        model=ResetCode,
        code_id=code_id,
        now=now,
        where=_verified_in(chat_id, verified_since),
    )
    return row.account_id if row else None


async def delete_unused_reset_codes(*, session: AsyncSession, account_id: int) -> None:
    await session.execute(
        delete(ResetCode).where(ResetCode.account_id == account_id, ResetCode.used_at.is_(None))
    )
