"""The bot's processes as the database sees them (services.processes)."""

from __future__ import annotations

from datetime import timedelta

from services.processes import Processes
from storage.db import create_engine, create_session_factory, migrate
from storage.models import utcnow
from tests.conftest import postgres_database


async def test_processes_on_machines_whose_clocks_differ_count_each_other_alive() -> None:
    """Two machines' clocks an hour apart: each process still sees the other alive (by
    the database's clock), rather than adopt its updates and take all of Telegram's limit."""
    async with postgres_database() as url:
        engine = create_engine(url)
        try:
            await migrate(engine)
            sessions = create_session_factory(engine)
            ahead = Processes(sessions, clock=lambda: utcnow() + timedelta(hours=1))
            behind = Processes(sessions, clock=lambda: utcnow() - timedelta(hours=1))
            await ahead.join()
            await behind.join()
            assert await ahead.beat() == 2
            assert await behind.beat() == 2
        finally:
            await engine.dispose()
