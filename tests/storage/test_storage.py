"""Schema, constraints and the conversation-state store, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.persistence import DatabasePersistence
from chat.state import ChatData, SignupDraft
from services.company import CompanyService
from storage import repositories
from storage.crypto import SecretBox, new_key
from storage.db import alembic_config, create_engine, create_session_factory, migrate
from storage.models import Account

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
        "conversation_states",
        "chat_data",
        "companies",
        "csds",
    } <= tables
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()


async def test_companies_saved_before_0010_keep_their_row_and_get_the_municipios_code(
    engine: AsyncEngine,
) -> None:
    """Migration 0010 adds the municipio's SAT code; a row saved before it has none, and
    the company service reads it from the municipio's name and the postal code."""

    def to(revision: str) -> Callable[[Connection], None]:
        def run(connection: Connection) -> None:
            if revision == "head":
                command.upgrade(alembic_config(connection), revision)
            else:
                command.downgrade(alembic_config(connection), revision)

        return run

    async with engine.begin() as connection:
        await connection.run_sync(to("0009"))
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
    async with engine.begin() as connection:
        await connection.run_sync(to("head"))
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


BOX = SecretBox([new_key()])


async def test_persistence_keeps_steps_and_drafts_across_instances(engine: AsyncEngine) -> None:
    sessions = create_session_factory(engine)
    first = DatabasePersistence(sessions, BOX)
    draft = ChatData(flow="signup", signup=SignupDraft(email="ana@example.mx", rfc="GODE561231GR8"))
    await first.update_conversation("signup", (42, 42), 4)
    await first.update_conversation("signup", (43, 43), 2)
    await first.update_chat_data(42, draft)
    await first.update_conversation("signup", (43, 43), None)  # that one ended

    second = DatabasePersistence(sessions, BOX)
    assert await second.get_conversations("signup") == {(42, 42): 4}
    loaded = (await second.get_chat_data())[42]
    assert loaded == draft and isinstance(loaded.signup, SignupDraft)

    async with sessions() as session:
        [row] = await repositories.load_chat_data(session=session)
    assert "ana@example.mx" not in json.dumps(row.data)  # sealed at rest

    await second.drop_chat_data(42)
    assert await DatabasePersistence(sessions, BOX).get_chat_data() == {}


async def test_drafts_sealed_with_a_key_no_longer_given_are_dropped_not_fatal(
    engine: AsyncEngine,
) -> None:
    sessions = create_session_factory(engine)
    old_key, new = new_key(), new_key()
    written = DatabasePersistence(sessions, SecretBox([old_key]))
    await written.update_chat_data(7, ChatData(flow="signup"))
    await written.update_chat_data(8, ChatData(flow="reset"))
    assert await DatabasePersistence(sessions, SecretBox([new])).get_chat_data() == {}
    rotating = DatabasePersistence(sessions, SecretBox([new, old_key]))
    assert set(await rotating.get_chat_data()) == {7, 8}


async def test_persistence_writes_many_changes_at_once(engine: AsyncEngine) -> None:
    """Changes that pile up while a write is under way go out together, new rows and
    changed rows alike, and the ended conversations among them are removed."""
    sessions = create_session_factory(engine)
    persistence = DatabasePersistence(sessions, BOX)
    chats = range(1, 31)
    await asyncio.gather(
        *(persistence.update_conversation("signup", (chat, chat), 1) for chat in chats),
        *(persistence.update_chat_data(chat, ChatData(flow="signup")) for chat in chats),
    )
    await asyncio.gather(
        *(persistence.update_conversation("signup", (chat, chat), 2) for chat in chats[:20]),
        *(persistence.update_conversation("signup", (chat, chat), None) for chat in chats[20:]),
        *(persistence.update_chat_data(chat, ChatData()) for chat in chats[:10]),
        *(persistence.drop_chat_data(chat) for chat in chats[10:15]),
    )

    reloaded = DatabasePersistence(sessions, BOX)
    assert await reloaded.get_conversations("signup") == {(c, c): 2 for c in chats[:20]}
    data = await reloaded.get_chat_data()
    assert sorted(data) == [*chats[:10], *chats[15:]]
    assert {data[c].flow for c in chats[:10]} == {None}
    assert {data[c].flow for c in chats[15:]} == {"signup"}


async def test_persistence_keeps_unwritten_changes_when_the_database_fails(
    engine: AsyncEngine,
) -> None:
    class Unreachable:
        def __call__(self):  # type: ignore[no-untyped-def]
            raise OSError("database unreachable")

    persistence = DatabasePersistence(Unreachable(), BOX)  # type: ignore[arg-type]
    with pytest.raises(OSError):
        await persistence.update_conversation("signup", (1, 1), 3)
    persistence._sessions = create_session_factory(engine)
    await persistence.flush()
    assert await persistence.get_conversations("signup") == {(1, 1): 3}
