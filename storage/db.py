"""Engine, session factory and migrations at start."""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path
from typing import IO, Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def create_private_file(path: Path) -> None:
    """Create the database file readable by its owner only, before SQLite does: SQLite gives
    its -wal and -shm files the database file's permissions."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


class DatabaseInUse(RuntimeError):
    """Another process holds the SQLite database."""


def hold_sqlite_file(database_url: str) -> IO[bytes] | None:
    """For a SQLite database: hold `<file>.lock` (an exclusive lock the system releases
    when the process ends, however it ends) for as long as the returned file stays open,
    or raise DatabaseInUse when another process holds it. SQLite serves one process: two
    would each keep their own chats' turns and inbox. None for another database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    path = Path(url.database).with_name(Path(url.database).name + ".lock")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    held = path.open("ab")
    try:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        held.close()
        raise DatabaseInUse(url.database) from None
    return held


def shares_database(database_url: str) -> bool:
    """Whether several processes may use the database at once (PostgreSQL, not SQLite)."""
    return make_url(database_url).get_backend_name() != "sqlite"


def create_engine(database_url: str, *, pool_size: int | None = None) -> AsyncEngine:
    """An async engine; for SQLite, a WAL-mode file with a busy timeout and foreign keys.
    `pool_size` (PostgreSQL): that many connections at most, instead of SQLAlchemy's 5+10.

    Both kinds hide a statement's parameters from errors and logs: they hold what people
    typed (fiscal data, emails), and an error is logged whole."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        sized: dict[str, Any] = (
            {} if pool_size is None else {"pool_size": pool_size, "max_overflow": 0}
        )
        return create_async_engine(url, pool_pre_ping=True, hide_parameters=True, **sized)
    if url.database and url.database != ":memory:":
        create_private_file(Path(url.database))
    # The driver's own transaction handling is turned off so that every transaction can
    # begin IMMEDIATE: a read-then-write transaction in WAL mode would otherwise fail with
    # "database is locked" when another writer committed in between (two sign-ups at once).
    # One connection, handed out in turn: SQLite writes one transaction at a time anyway,
    # and waiting in SQLAlchemy's queue is fair and prompt, where several connections would
    # poll SQLite's lock with growing sleeps (seconds of tail latency under load).
    engine = create_async_engine(
        url,
        hide_parameters=True,
        connect_args={"timeout": 30, "isolation_level": None},
        pool_size=1,
        max_overflow=0,
        pool_timeout=60,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin_immediate(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


MIGRATION_LOCK = {"a": 0x43464449, "b": 1}  # "CFDI", migrations


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest migration (run at every start). On PostgreSQL the
    processes starting at once migrate one after another: the transaction holds a lock
    (in the two-number space of advisory locks, apart from the chats'), and whoever comes
    second finds the schema new already."""

    def upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "head")

    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), MIGRATION_LOCK)
        await connection.run_sync(upgrade)
    logger.info("database schema is up to date")


async def ping(engine: AsyncEngine) -> None:
    """Raise unless the database answers a query now."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
