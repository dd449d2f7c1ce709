"""Human checks: the chat's one-tap challenges, looked up by their token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import HumanCheck
from storage.repositories._rows import affected


async def add_human_check(
    *, session: AsyncSession, token: str, user_id: int, answer: int, created_at: datetime
) -> None:
    session.add(HumanCheck(token=token, user_id=user_id, answer=answer, created_at=created_at))


async def get_human_check(*, session: AsyncSession, token: str) -> HumanCheck | None:
    return await session.get(HumanCheck, token)


async def delete_human_checks_before(*, session: AsyncSession, before: datetime) -> int:
    """Forget challenges made before `before`; how many were removed."""
    result = await session.execute(delete(HumanCheck).where(HumanCheck.created_at < before))
    return affected(result)
