"""Confirmation codes: stored hashed, claimed once, voided by a newer sign-up."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConfirmationCode
from storage.repositories._rows import affected


async def add_confirmation_code(
    *, session: AsyncSession, account_id: int, code_hash: str, expires_at: datetime
) -> None:
    session.add(ConfirmationCode(account_id=account_id, code_hash=code_hash, expires_at=expires_at))
    await session.flush()


async def find_confirmation_codes(
    *, session: AsyncSession, code_hashes: Iterable[str]
) -> Sequence[ConfirmationCode]:
    hashes = list(code_hashes)
    if not hashes:
        return []
    result = await session.scalars(
        select(ConfirmationCode).where(ConfirmationCode.code_hash.in_(hashes))
    )
    return result.all()


async def get_confirmation_code(*, session: AsyncSession, code_id: int) -> ConfirmationCode | None:
    return await session.get(ConfirmationCode, code_id, populate_existing=True)


async def claim_confirmation_code(*, session: AsyncSession, code_id: int, now: datetime) -> bool:
    """Mark the code used; only one of two simultaneous claims finds it unused."""
    claimed = await session.execute(
        update(ConfirmationCode)
        .where(ConfirmationCode.id == code_id, ConfirmationCode.used_at.is_(None))
        .values(used_at=now)
    )
    return affected(claimed) == 1


async def delete_unused_codes(*, session: AsyncSession, account_id: int) -> None:
    await session.execute(
        delete(ConfirmationCode).where(
            ConfirmationCode.account_id == account_id, ConfirmationCode.used_at.is_(None)
        )
    )


async def delete_spent_confirmation_codes(*, session: AsyncSession, before: datetime) -> int:
    """Forget codes used or expired before `before`; how many were removed."""
    result = await session.execute(
        delete(ConfirmationCode).where(
            or_(ConfirmationCode.used_at < before, ConfirmationCode.expires_at < before)
        )
    )
    return affected(result)
