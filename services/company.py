"""Paso 3: the company's fiscal data (CFDI 4.0 issuer), read and saved per account."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services import funnel
from services.catalogs import SatCatalogs
from services.company_fields import municipality_code
from services.signin import signed_in_account, still_good
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
    # SAT's c_Colonia code, when the colonia is one of the postal code's (Carta Porte needs
    # it); None for a colonia typed that SAT does not list there.
    colonia_clave: str | None = Field(default=None, pattern=r"^[0-9]{4}$")
    # The estado before the municipio: the municipio is chosen from the estado's.
    estado: str = Field(min_length=1, max_length=100)
    municipio: str = Field(min_length=1, max_length=100)
    # SAT's c_Municipio code (within the estado): the form always keeps it; a row saved
    # before it was kept gets it from its municipio and postal code when read (None when
    # the form would not take that pair today: then the municipio is asked again).
    municipio_clave: str | None = Field(default=None, pattern=r"^[0-9]{3}$")
    telefono: str = Field(pattern=r"^[0-9]{10}$")
    correo_contacto: EmailStr
    # CFDI 4.0's LugarExpedicion: the postal code invoices are issued from (the domicilio
    # fiscal's, or a branch's).
    lugar_expedicion: str = Field(pattern=r"^[0-9]{5}$")
    # The Constancia de Situación Fiscal the data was read from (services.csf_form), when it
    # was: SAT's idCIF and its date of issue. Not asked; None for data typed.
    id_cif: str | None = Field(default=None, pattern=r"^[0-9]{6,15}$")  # as services.csf reads it
    csf_emitida: date | None = None

    @field_validator("*")
    @classmethod
    def _nothing_hidden(cls, value: object) -> object:
        # The form refuses these with a reason; this keeps them (and NUL, which PostgreSQL
        # refuses mid-transaction) out of the table whatever path a value took.
        if isinstance(value, str) and has_hidden_characters(value):
            raise ValueError("control or format characters are not allowed")
        return value


# Every value stored, in the model's order.
STORED = tuple(CompanyData.model_fields)
# Values that come with another field's answer instead of being asked, by that field: the
# SAT codes of the colonia (None for one SAT does not list) and of the municipio (always
# known for a municipio taken today: without it, the municipio is asked again).
COMPANIONS = {"colonia_clave": "colonia", "municipio_clave": "municipio"}
ALWAYS_CODED = frozenset({"municipio_clave"})
# What a Constancia brings besides the fields: kept, never asked.
FROM_CSF = ("id_cif", "csf_emitida")
# The fields asked, in the model's order, which is the order the form asks and shows them in.
FIELDS = tuple(name for name in STORED if name not in COMPANIONS and name not in FROM_CSF)


def missing_values(values: Mapping[str, object]) -> set[str]:
    """The fields a stored row lacks (one saved before the field existed, or whose SAT
    code could not be found): asked again."""
    return {
        name
        for name in FIELDS
        if values.get(name) is None and CompanyData.model_fields[name].is_required()
    } | {COMPANIONS[name] for name in ALWAYS_CODED if values.get(name) is None}


def unanswered(values: Mapping[str, object]) -> list[str]:
    """The fields the form still has to ask, in order: those without an answer, and those
    answered without the SAT code that must come with it (a draft begun before it was
    kept)."""
    lacking = {COMPANIONS[name] for name in ALWAYS_CODED if values.get(name) is None}
    return [name for name in FIELDS if name not in values or name in lacking]


class CompanyService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        idle_timeout: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = utcnow,
        catalogs: SatCatalogs | None = None,
    ) -> None:
        self._sessions = sessions
        self._catalogs = catalogs or SatCatalogs()
        self._idle_timeout = idle_timeout  # the sign-in's (SESSION_IDLE_HOURS)
        self._now = clock

    async def get(self, account_id: int) -> CompanyData | None:
        async with self._sessions() as session:
            company = await repositories.get_company(session=session, account_id=account_id)
            if company is None:
                return None
            values = {name: getattr(company, name) for name in STORED}
        if values["municipio_clave"] is None:  # saved before the code was kept
            values["municipio_clave"] = municipality_code(
                company.codigo_postal, company.municipio, self._catalogs
            )
        # Not validated again: a row saved before a rule was added must still open.
        return CompanyData.model_construct(**values)

    async def save(self, account_id: int, data: CompanyData) -> None:
        async with self._sessions() as session, session.begin():
            await self._store(session, account_id, data)
        logger.info("company data saved for account %s", account_id)

    async def save_for_chat(self, *, chat_id: int, account_id: int, data: CompanyData) -> bool:
        """Save the data if this chat is still signed in to the account (the session checks
        of SignInService.current_account, which then counts as a use); False, saving
        nothing, when it is not. One transaction: a sign-out, another sign-in or a password
        reset lands wholly before the check or wholly after the save."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            # The account before the chat's session, in the order a reset or a confirmation
            # locks them, so that neither holds one while waiting for the other.
            account = await repositories.get_account(
                session=session, account_id=account_id, for_share=True
            )
            bound = await repositories.get_chat_session(
                session=session, chat_id=chat_id, for_update=True
            )
            if account is None or bound is None or bound.account_id != account_id:
                return False
            if not still_good(bound, account, now=now, idle_timeout=self._idle_timeout):
                await repositories.unbind_chat(session=session, chat_id=chat_id)
                return False
            bound.last_seen_at = now
            await self._store(session, account_id, data)
        logger.info("company data saved for account %s", account_id)
        return True

    async def contact_email(self, account_id: int) -> str | None:
        """The company's contact address, if it has company data."""
        async with self._sessions() as session:
            company = await repositories.get_company(session=session, account_id=account_id)
            return company.correo_contacto if company else None

    async def use_account_email_for_contact(self, *, chat_id: int, account_id: int) -> str | None:
        """Make the account's address the company's contact address, if this chat is still
        signed in to the account and it has company data; that address, or None."""
        now = self._now()
        async with self._sessions() as session, session.begin():
            account = await signed_in_account(
                session,
                chat_id=chat_id,
                account_id=account_id,
                now=now,
                idle_timeout=self._idle_timeout,
            )
            if account is None:
                return None
            email = account.email
            if not await repositories.set_company_contact_email(
                session=session, account_id=account_id, email=email
            ):
                return None
        logger.info("company contact address updated for account %s", account_id)
        return email

    async def _store(self, session: AsyncSession, account_id: int, data: CompanyData) -> None:
        await repositories.save_company(
            session=session, account_id=account_id, values=data.model_dump()
        )
        await funnel.record(
            session=session, milestone=funnel.Milestone.COMPANY_SAVED, now=self._now()
        )
