"""Housekeeping runs once a period, whichever of several processes asks first."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.housekeeping import Housekeeping
from storage.db import create_engine, create_session_factory, migrate

pytestmark = pytest.mark.postgres  # a claim decided by the database


async def test_housekeeping_runs_once_a_period_across_processes(database_url: str) -> None:
    """Two processes (two engines on one database) ask at the same moment: one runs the
    hour's pass; an hour later, one again."""
    engines = [create_engine(database_url) for _ in range(2)]
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    try:
        await migrate(engines[0])
        jobs = [
            Housekeeping(sessions=create_session_factory(e), clock=lambda: now) for e in engines
        ]
        every = timedelta(hours=1)
        assert sorted(
            await asyncio.gather(*(job.claim("housekeeping", every) for job in jobs))
        ) == [False, True]
        now += timedelta(minutes=30)
        assert [await job.claim("housekeeping", every) for job in jobs] == [False, False]
        now += timedelta(minutes=31)
        assert [await job.claim("housekeeping", every) for job in jobs] == [True, False]
    finally:
        for engine in engines:
            await engine.dispose()
