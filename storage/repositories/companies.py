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


async def set_company_contact_email(*, session: AsyncSession, account_id: int, email: str) -> bool:
    """The company's contact address becomes `email`; False when it has no company data."""
    company = await session.get(Company, account_id)
    if company is None:
        return False
    company.correo_contacto = email
    await session.flush()
    return True
