"""The company service: what it saves and reads back, and for which chat."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.company import CompanyData, CompanyService, missing_values, unanswered
from services.funnel import FunnelService, Milestone
from services.passwords import PasswordHasher
from services.signin import SignInService
from storage import repositories
from storage.models import Account
from tests.factories import Clock

VALUES = {
    "razon_social": "EMPRESA PATITO",
    "regimen_fiscal": "601",
    "codigo_postal": "06600",
    "calle": "Reforma",
    "numero_exterior": "1",
    "numero_interior": None,
    "colonia": "Juárez",
    "colonia_clave": "0930",
    "estado": "Ciudad de México",
    "municipio": "Cuauhtémoc",
    "municipio_clave": "015",
    "telefono": "5512345678",
    "correo_contacto": "empresa@example.mx",
    "lugar_expedicion": "06600",
}


def test_company_data_refuses_hidden_characters_and_foreign_digits() -> None:
    CompanyData(**VALUES)
    for name, bad in (
        ("calle", "Reforma\x00"),
        ("razon_social", "\u202eEMPRESA"),
        ("colonia", "Cen\u200btro"),
        ("telefono", "٥٥١٢٣٤٥٦٧٨"),
        ("lugar_expedicion", "０６６００"),
        ("colonia_clave", "930"),
        ("municipio_clave", "15"),
    ):
        with pytest.raises(ValidationError):
            CompanyData(**{**VALUES, name: bad})


async def add_account(
    session: AsyncSession,
    email: str = "a@example.mx",
    rfc: str = "MAB9307148T4",
    now: datetime | None = None,
) -> Account:
    return await repositories.add_account(
        session=session, email=email, rfc=rfc, password_hash="h", language="es", now=now
    )


async def saved_before(
    sessions: async_sessionmaker[AsyncSession], values: dict[str, object]
) -> int:
    """An account whose company row an older version saved with `values`; its id."""
    async with sessions() as session, session.begin():
        account = await add_account(session)
        await repositories.save_company(session=session, account_id=account.id, values=values)
    return account.id


async def test_a_row_saved_before_the_rules_still_opens(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    account_id = await saved_before(sessions, {**VALUES, "razon_social": "\u202eEMPRESA PATITO"})
    found = await CompanyService(sessions=sessions).get(account_id)
    assert found is not None and found.razon_social == "\u202eEMPRESA PATITO"


async def test_a_row_saved_before_the_lugar_de_expedicion_opens_with_it_to_ask(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    old = {k: v for k, v in VALUES.items() if k not in ("lugar_expedicion", "colonia_clave")}
    account_id = await saved_before(sessions, old)
    found = await CompanyService(sessions=sessions).get(account_id)
    assert found is not None and found.lugar_expedicion is None and found.colonia_clave is None
    assert missing_values(found.model_dump()) == {"lugar_expedicion"}


async def saved_before_the_municipios_code(
    sessions: async_sessionmaker[AsyncSession], **values: str
) -> int:
    """An account whose company row was saved without the municipio's SAT code."""
    old = {k: v for k, v in VALUES.items() if k != "municipio_clave"} | values
    return await saved_before(sessions, old)


@pytest.mark.parametrize(
    ("postal_code", "estado", "municipio", "clave"),
    [
        ("06600", "Ciudad de México", "Cuauhtémoc", "015"),
        ("21850", "Baja California", "Mexicali", "007"),  # saved before SAT moved 21850
    ],
)
async def test_a_row_saved_without_the_municipios_code_gets_it_from_name_and_postal_code(
    sessions: async_sessionmaker[AsyncSession],
    postal_code: str,
    estado: str,
    municipio: str,
    clave: str,
) -> None:
    account_id = await saved_before_the_municipios_code(
        sessions, codigo_postal=postal_code, estado=estado, municipio=municipio
    )
    found = await CompanyService(sessions=sessions).get(account_id)
    assert found is not None and (found.municipio, found.municipio_clave) == (municipio, clave)
    assert missing_values(found.model_dump()) == set()


async def test_a_row_whose_municipio_is_not_its_postal_codes_asks_it_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """22000 is Tijuana's: a row saved with San Quintín (taken until SAT's 2026 postal
    codes were shipped) gets no code, and /empresa asks its municipio again."""
    account_id = await saved_before_the_municipios_code(
        sessions, codigo_postal="22000", estado="Baja California", municipio="San Quintin"
    )
    found = await CompanyService(sessions=sessions).get(account_id)
    assert found is not None and found.municipio_clave is None
    assert missing_values(found.model_dump()) == {"municipio"}


async def test_the_municipios_code_is_stored_with_the_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    account_id = await saved_before_the_municipios_code(sessions)
    data = CompanyData(
        **{
            **VALUES,
            "codigo_postal": "80450",
            "municipio": "ElDorado",
            "estado": "Sinaloa",
            "municipio_clave": "019",
        }
    )
    await CompanyService(sessions=sessions).save(account_id, data)
    async with sessions() as session:
        company = await repositories.get_company(session=session, account_id=account_id)
    assert company is not None and (company.municipio, company.municipio_clave) == (
        "ElDorado",
        "019",
    )


def test_a_draft_begun_before_the_municipios_code_was_kept_asks_the_municipio_again() -> None:
    assert unanswered({k: v for k, v in VALUES.items() if k != "municipio_clave"}) == ["municipio"]
    assert unanswered(VALUES) == []
    assert unanswered({**VALUES, "colonia_clave": None}) == []  # a colonia SAT does not list
    assert unanswered({"razon_social": "EMPRESA PATITO"})[:2] == ["regimen_fiscal", "codigo_postal"]


async def signed_in_chat(sessions: async_sessionmaker[AsyncSession], clock: Clock) -> int:
    """An account, with chat 7 signed in to it now; its id."""
    async with sessions() as session, session.begin():
        account = await add_account(session, now=clock.now - timedelta(days=1))
        await repositories.bind_chat(
            session=session, chat_id=7, account_id=account.id, now=clock.now
        )
        return account.id


async def test_save_for_chat_saves_while_the_chat_is_signed_in_to_the_account(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = Clock()
    account_id = await signed_in_chat(sessions, clock)
    service = CompanyService(sessions=sessions, idle_timeout=timedelta(hours=24), clock=clock)
    clock.advance(hours=23)
    assert await service.save_for_chat(chat_id=7, account_id=account_id, data=CompanyData(**VALUES))
    assert await service.get(account_id) == CompanyData(**VALUES)
    report = await FunnelService(sessions=sessions, clock=clock).report()
    assert report[Milestone.COMPANY_SAVED]["day"] == 1
    # Saving was a use of the session: it idles out a day after it, not after the sign-in.
    clock.advance(hours=23)
    signin = SignInService(
        sessions=sessions,
        passwords=PasswordHasher(),
        idle_timeout=timedelta(hours=24),
        clock=clock,
    )
    assert await signin.current_account(7) is not None


@pytest.mark.parametrize("leave", ["signed-out", "other-account", "idle", "password-changed"])
async def test_save_for_chat_saves_nothing_once_the_chat_has_left_the_account(
    sessions: async_sessionmaker[AsyncSession], leave: str
) -> None:
    clock = Clock()
    account_id = await signed_in_chat(sessions, clock)
    service = CompanyService(sessions=sessions, idle_timeout=timedelta(hours=24), clock=clock)
    async with sessions() as session, session.begin():
        if leave == "signed-out":
            await repositories.unbind_chat(session=session, chat_id=7)
        elif leave == "other-account":
            other = await add_account(session, "b@example.mx", "GODE561231GR8")
            await repositories.bind_chat(
                session=session, chat_id=7, account_id=other.id, now=clock.now
            )
        elif leave == "idle":
            clock.advance(hours=24, seconds=1)
        else:
            clock.advance(minutes=1)
            account = await repositories.get_account(session=session, account_id=account_id)
            assert account is not None
            account.password_changed_at = clock.now
    saved = await service.save_for_chat(
        chat_id=7, account_id=account_id, data=CompanyData(**VALUES)
    )
    assert saved is False
    assert await service.get(account_id) is None
    report = await FunnelService(sessions=sessions, clock=clock).report()
    assert report[Milestone.COMPANY_SAVED]["all"] == 0
