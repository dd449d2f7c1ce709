"""Paso 3: the company's fiscal data (CFDI 4.0 issuer), read and saved per account."""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import funnel
from services.validation import has_hidden_characters
from storage import repositories
from storage.models import utcnow

logger = logging.getLogger(__name__)


class CompanyData(BaseModel):
    model_config = ConfigDict(frozen=True)

    razon_social: str = Field(min_length=1, max_length=254)
    regimen_fiscal: str = Field(pattern=r"^[0-9]{3}$")
    codigo_postal: str = Field(pattern=r"^[0-9]{5}$")
    calle: str = Field(min_length=1, max_length=100)
    numero_exterior: str = Field(min_length=1, max_length=30)
    numero_interior: str | None = Field(default=None, max_length=30)
    colonia: str = Field(min_length=1, max_length=100)
    municipio: str = Field(min_length=1, max_length=100)
    estado: str = Field(min_length=1, max_length=100)
    telefono: str = Field(pattern=r"^[0-9]{10}$")
    correo_contacto: EmailStr

    @field_validator("*")
    @classmethod
    def _nothing_hidden(cls, value: object) -> object:
        # The form refuses these with a reason; this keeps them (and NUL, which PostgreSQL
        # refuses mid-transaction) out of the table whatever path a value took.
        if isinstance(value, str) and has_hidden_characters(value):
            raise ValueError("control or format characters are not allowed")
        return value


# The fields in the model's order, which is the order the form asks and shows them in.
FIELDS = tuple(CompanyData.model_fields)


class CompanyService:
    def __init__(self, *, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def get(self, account_id: int) -> CompanyData | None:
        async with self._sessions() as session:
            company = await repositories.get_company(session=session, account_id=account_id)
            if company is None:
                return None
            # Not validated again: a row saved before a rule was added must still open.
            return CompanyData.model_construct(**{name: getattr(company, name) for name in FIELDS})

    async def save(self, account_id: int, data: CompanyData) -> None:
        async with self._sessions() as session, session.begin():
            await repositories.save_company(
                session=session, account_id=account_id, values=data.model_dump()
            )
            await funnel.record(session=session, step=funnel.Step.COMPANY_SAVED, now=utcnow())
        logger.info("company data saved for account %s", account_id)
