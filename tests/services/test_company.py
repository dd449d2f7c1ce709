"""The company service: what it saves and reads back."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.company import CompanyData, CompanyService
from storage import repositories

VALUES = {
    "razon_social": "EMPRESA PATITO",
    "regimen_fiscal": "601",
    "codigo_postal": "06600",
    "calle": "Reforma",
    "numero_exterior": "1",
    "numero_interior": None,
    "colonia": "Centro",
    "municipio": "Cuauhtémoc",
    "estado": "Ciudad de México",
    "telefono": "5512345678",
    "correo_contacto": "empresa@example.mx",
}


def test_company_data_refuses_hidden_characters_and_foreign_digits() -> None:
    CompanyData(**VALUES)
    for name, bad in (
        ("calle", "Reforma\x00"),
        ("razon_social", "\u202eEMPRESA"),
        ("colonia", "Cen\u200btro"),
        ("telefono", "٥٥١٢٣٤٥٦٧٨"),
    ):
        with pytest.raises(ValidationError):
            CompanyData(**{**VALUES, name: bad})


async def test_a_row_saved_before_the_rules_still_opens(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        account = await repositories.add_account(
            session=session,
            email="a@example.mx",
            rfc="MAB9307148T4",
            password_hash="h",
            language="es",
        )
        await repositories.save_company(
            session=session,
            account_id=account.id,
            values={**VALUES, "razon_social": "\u202eEMPRESA PATITO"},
        )
    found = await CompanyService(sessions=sessions).get(account.id)
    assert found is not None and found.razon_social == "\u202eEMPRESA PATITO"
