"""The company's fiscal data, one row per account."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Company


async def get_company(*, session: AsyncSession, account_id: int) -> Company | None:
    return await session.get(Company, account_id)


async def save_company(*, session: AsyncSession, account_id: int, values: dict[str, Any]) -> None:
    company = await session.get(Company, account_id)
    if company is None:
        session.add(Company(account_id=account_id, **values))
    else:
        for name, value in values.items():
            setattr(company, name, value)
    await session.flush()


async def has_company(*, session: AsyncSession, account_id: int) -> bool:
    return await session.get(Company, account_id) is not None
