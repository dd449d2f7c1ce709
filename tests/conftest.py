"""Shared fixtures: a database of each kind, a real SMTP server and the Bot API emulator."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import asyncpg
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from emulator import BotApiEmulator
from storage.db import create_engine, create_session_factory, migrate

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
_postgres_reachable: bool | None = None


async def _check_postgres() -> bool:
    global _postgres_reachable
    if _postgres_reachable is None:
        try:
            connection = await asyncpg.connect(POSTGRES_URL, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            _postgres_reachable = False
        else:
            await connection.close()
            _postgres_reachable = True
    return _postgres_reachable


# Databases of this session that a test has used and that were emptied after it (the
# schema and its migration version kept): CREATE DATABASE takes about 0.4 s and the
# migrations 0.3 s, TRUNCATE a few milliseconds. Dropped when the session ends.
_spare_databases: list[str] = []
_all_databases: set[str] = set()


async def _emptied(name: str) -> bool:
    """Empty every table of `name` but the migration version; False if it cannot be done
    at once (a connection left open holds a lock): then the database is not reused."""
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    try:
        await connection.execute("SET lock_timeout = '2s'")
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'alembic_version'"
        )
        if tables:
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            await connection.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        return True
    except asyncpg.PostgresError:
        return False
    finally:
        await connection.close()


async def _drop(name: str) -> None:
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
    _all_databases.discard(name)


async def require_postgres() -> None:
    """Skip the test when PostgreSQL does not answer (fail it, with REQUIRE_POSTGRES=1)."""
    if not await _check_postgres():
        reason = f"PostgreSQL not reachable at {POSTGRES_URL} (set TEST_POSTGRES_URL)"
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason}, and REQUIRE_POSTGRES=1")
        pytest.skip(reason)


@contextlib.asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A PostgreSQL database for one test, with no rows in it (perhaps already migrated:
    the bot migrates at every start, which then has nothing to do)."""
    await require_postgres()
    if _spare_databases:
        name = _spare_databases.pop()
    else:
        name = f"bot_test_{uuid.uuid4().hex[:12]}"
        admin = await asyncpg.connect(POSTGRES_URL)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        _all_databases.add(name)
    url = make_url(POSTGRES_URL).set(drivername="postgresql+asyncpg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        if await _emptied(name):
            _spare_databases.append(name)
        else:
            await _drop(name)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    async def drop_all() -> None:
        for name in list(_all_databases):
            with contextlib.suppress(OSError, asyncpg.PostgresError):
                await _drop(name)

    if _all_databases:
        asyncio.run(drop_all())


_sqlite_template: Path | None = None


async def _migrated_sqlite() -> Path:
    """A SQLite file with every migration applied, made once per test process: a test's
    database is a copy of it (the migrations take about 0.2 s, a copy a millisecond). The
    bot still migrates at each start, which then finds nothing to do."""
    global _sqlite_template
    if _sqlite_template is None:
        path = Path(tempfile.mkdtemp(prefix="bot-template-")) / "migrated.sqlite3"
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        try:
            await migrate(engine)
        finally:
            await engine.dispose()
        _sqlite_template = path
    return _sqlite_template


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that uses a database runs on SQLite; marked `postgres` (for the test, its
    class or its module), on PostgreSQL too. tests/README.md says when to mark one."""
    if "database_url" not in metafunc.fixturenames:
        return
    kinds = ["sqlite"]
    if metafunc.definition.get_closest_marker("postgres") is not None:
        kinds.append("postgresql")
    metafunc.parametrize("database_url", kinds, indirect=True)


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database for one test: a SQLite file, or on PostgreSQL (see above)."""
    if request.param == "sqlite":
        path = tmp_path / "bot.sqlite3"
        shutil.copy(await _migrated_sqlite(), path)  # its owner-only mode too
        yield f"sqlite+aiosqlite:///{path}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the test's database, migrated."""
    engine = create_engine(database_url)
    await migrate(engine)
    yield create_session_factory(engine)
    await engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        # Each message's To, read once: many people waiting for their email look it up
        # every few milliseconds, and parsing headers again each time costs seconds.
        self.addressed: list[str] = []
        self.peers: list[tuple[str, int]] = []  # the client's address for each message
        self.refused: set[str] = set()  # recipients this server turns away (550)
        self.deferred: set[str] = set()  # recipients it asks to try later (450)
        self.asked: list[str] = []  # every recipient asked for, in order
        self.refusal_delay = 0.0  # seconds a refusal takes (a slow, tarpitting server)

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # type: ignore[no-untyped-def]
        self.asked.append(address)
        if address in self.refused | self.deferred:
            await asyncio.sleep(self.refusal_delay)
        if address in self.refused:
            return "550 No such user here"
        if address in self.deferred:
            return "450 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # type: ignore[no-untyped-def]
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        self.addressed.append(str(message["To"]))
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"

    async def wait(self, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.messages) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} emails, got {len(self.messages)}")
            await asyncio.sleep(0.05)
        return self.messages[:count]

    async def wait_asked(self, count: int, timeout: float = 15) -> None:
        """Until `count` recipients have been asked for (delivered or not)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.asked) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"expected {count} recipients, got {len(self.asked)}")
            await asyncio.sleep(0.01)

    async def next_to(self, address: str, after: int = 0, timeout: float = 15) -> EmailMessage:
        """The first email to `address` among those received after the first `after`."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            if address in self.addressed[after:]:
                return self.messages[self.addressed.index(address, after)]
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"no email to {address} after the first {after}")
            await asyncio.sleep(0.02)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m, to in zip(self.messages, self.addressed, strict=False) if to == address]


class SmtpServer:
    """A real SMTP server on loopback that can be stopped and started on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
async def emulator() -> AsyncIterator[BotApiEmulator]:
    """The Bot API emulator on a free loopback port."""
    server = BotApiEmulator()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def smtp_server() -> AsyncIterator[SmtpServer]:
    """Not started: a test starts it (or leaves it down)."""
    server = SmtpServer(free_port())
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.start()
    return smtp_server
