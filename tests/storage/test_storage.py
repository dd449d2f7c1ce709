"""Schema, constraints and migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from services.company import CompanyService
from storage import repositories
from storage.db import alembic_config, create_engine, create_session_factory, migrate
from storage.models import Account
from tests.conftest import postgres_database
from tests.factories import migrate_to

# The storage itself: every test here runs on both databases.
pytestmark = pytest.mark.postgres


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await migrate(engine)
    yield engine
    await engine.dispose()


async def test_migrations_create_every_table_and_run_twice(engine: AsyncEngine) -> None:
    await migrate(engine)  # at every start: a no-op the second time
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    assert {
        "accounts",
        "confirmation_codes",
        "chat_sessions",
        "outbox",
        "rate_events",
        "chat_data",
        "companies",
        "csds",
    } <= tables
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_processes_starting_at_once_on_postgresql_migrate_one_after_another() -> None:
    async with postgres_database() as url:  # new, unmigrated
        engines = [create_engine(url) for _ in range(3)]
        try:
            # Without one after another, they fail or wait for each other for ever.
            await asyncio.wait_for(asyncio.gather(*(migrate(e) for e in engines)), timeout=60)
            async with engines[0].connect() as connection:
                version = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        finally:
            for engine in engines:
                await engine.dispose()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_companies_saved_before_0010_keep_their_row_and_get_the_municipios_code(
    engine: AsyncEngine,
) -> None:
    """Migration 0010 adds the municipio's SAT code; a row saved before it has none, and
    the company service reads it from the municipio's name and the postal code."""

    await migrate_to(engine, "0009")
    sessions = create_session_factory(engine)
    async with sessions() as session, session.begin():
        account = await repositories.add_account(
            session=session, email="a@b.mx", rfc="X", password_hash="h", language="es"
        )
        await session.execute(
            text(
                "INSERT INTO companies (account_id, razon_social, regimen_fiscal, codigo_postal,"
                " calle, numero_exterior, colonia, municipio, estado, telefono,"
                " correo_contacto, updated_at) VALUES (:id, 'PATITO', '601', '80450', 'Uno',"
                " '1', 'Centro', 'Culiacán', 'Sinaloa', '6671234567', 'a@b.mx', :now)"
            ),
            {"id": account.id, "now": datetime.now(UTC)},
        )
    await migrate_to(engine, "head")
    found = await CompanyService(sessions=sessions).get(account.id)
    assert found is not None and found.razon_social == "PATITO"
    # 80450 moved from Culiacán to ElDorado: the name saved is kept, with SAT's code now.
    assert (found.municipio, found.municipio_clave) == ("Culiacán", "019")
    async with sessions() as session:
        company = await repositories.get_company(session=session, account_id=account.id)
    assert company is not None and company.municipio_clave is None  # read, not written


async def test_the_database_enforces_one_account_per_email(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    async with sessions() as session, session.begin():
        await repositories.add_account(
            session=session, email="ana@example.mx", rfc="X", password_hash="h", language="es"
        )
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await repositories.add_account(
                session=session, email="ana@example.mx", rfc="Y", password_hash="h", language="es"
            )


async def test_database_errors_do_not_carry_row_values(engine: AsyncEngine) -> None:
    """Error logs must not leak what people typed: the statement's values are hidden."""
    sessions = create_session_factory(engine)
    async with sessions() as session, session.begin():
        await repositories.add_account(
            session=session, email="ana@example.mx", rfc="X", password_hash="h", language="es"
        )
    with pytest.raises(IntegrityError) as error:
        async with sessions() as session, session.begin():
            await repositories.add_account(
                session=session,
                email="ana@example.mx",
                rfc="SECRETO561231",
                password_hash="hash-secreto",
                language="es",
            )
    assert "SECRETO561231" not in str(error.value) and "hash-secreto" not in str(error.value)


async def test_datetimes_come_back_aware_in_utc(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    moment = datetime(2026, 11, 29, 6, 30, tzinfo=timezone(timedelta(hours=-6)))
    async with sessions() as session, session.begin():
        account = await repositories.add_account(
            session=session, email="a@b.mx", rfc="X", password_hash="h", language="es"
        )
        account.confirmed_at = moment
    async with sessions() as session:
        stored = await session.scalar(select(Account))
    assert stored is not None and stored.confirmed_at == moment
    assert stored.confirmed_at.tzinfo is not None
    assert stored.confirmed_at.utcoffset() == UTC.utcoffset(None)
