"""Problems written with /soporte: stored, listed open (newest first) and marked handled."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, SupportRequest
from storage.repositories._rows import affected


async def add_support_request(*, session: AsyncSession, request: SupportRequest) -> int:
    session.add(request)
    await session.flush()
    return request.id


async def open_support_requests(
    *, session: AsyncSession, limit: int
) -> Sequence[tuple[SupportRequest, str | None]]:
    """The newest open requests, each with its account's address (None without one)."""
    rows = await session.execute(
        select(SupportRequest, Account.email)
        .outerjoin(Account, Account.id == SupportRequest.account_id)
        .where(SupportRequest.handled_at.is_(None))
        .order_by(SupportRequest.created_at.desc(), SupportRequest.id.desc())
        .limit(limit)
    )
    return [(request, email) for request, email in rows.all()]


async def count_open_support_requests(*, session: AsyncSession) -> int:
    count = await session.scalar(
        select(func.count()).select_from(SupportRequest).where(SupportRequest.handled_at.is_(None))
    )
    return count or 0


async def mark_support_request_handled(
    *, session: AsyncSession, request_id: int, at: datetime
) -> bool:
    """Whether it was open (a second press finds it handled already)."""
    result = await session.execute(
        update(SupportRequest)
        .where(SupportRequest.id == request_id, SupportRequest.handled_at.is_(None))
        .values(handled_at=at)
    )
    return affected(result) == 1
