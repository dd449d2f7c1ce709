"""What the tables of one-time codes share (storage.models.OneTimeCodeRow): the latest
unused code, a try counted in one statement, the code used once, the expired forgotten."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OneTimeCodeRow
from storage.repositories._rows import affected


async def latest_unused_code(
    *, session: AsyncSession, model: type[OneTimeCodeRow], **match: Any
) -> OneTimeCodeRow | None:
    """The newest unused row whose columns equal `match` (expired or not)."""
    return await session.scalar(
        select(model)
        .filter_by(**match)
        .where(model.used_at.is_(None))
        .order_by(model.id.desc())
        .limit(1)
    )


async def count_code_try(
    *, session: AsyncSession, model: type[OneTimeCodeRow], code_id: int, most: int
) -> int | None:
    """Count one try of the code, unless it has had `most` already (then None): one
    statement, so that simultaneous tries cannot pass the cap. Returns the tries so far."""
    result = await session.execute(
        update(model)
        .where(model.id == code_id, model.attempts < most)
        .values(attempts=model.attempts + 1)
        .returning(model.attempts)
    )
    return result.scalar_one_or_none()


async def claim_code(
    *,
    session: AsyncSession,
    model: type[OneTimeCodeRow],
    code_id: int,
    now: datetime,
    where: tuple[ColumnElement[bool], ...] = (),
) -> OneTimeCodeRow | None:
    """Use the code once: its row, or None when it was used meanwhile (or `where` does not
    hold); only one of two simultaneous claims finds it unused."""
    return await session.scalar(
        update(model)
        .where(model.id == code_id, model.used_at.is_(None), *where)
        .values(used_at=now)
        .returning(model),
        execution_options={"populate_existing": True},
    )


async def delete_codes_expired_before(
    *, session: AsyncSession, model: type[OneTimeCodeRow], before: datetime
) -> int:
    """Forget codes that expired before `before`; how many were removed."""
    result = await session.execute(delete(model).where(model.expires_at < before))
    return affected(result)
