"""A migrated database and an AccountService on it, with a clock the test can move."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.accounts import AccountPolicy, AccountService, BotLinks
from storage.db import create_engine, create_session_factory, migrate
from tests.factories import Clock


@dataclass
class AccountsWorld:
    service: AccountService
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    wakeups: list[int]


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url)
    await migrate(engine)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def accounts(sessions: async_sessionmaker[AsyncSession]) -> AccountsWorld:
    clock = Clock()
    wakeups: list[int] = []
    links = BotLinks()
    links.username = "cfdi_bot"
    service = AccountService(
        sessions=sessions,
        policy=AccountPolicy(code_ttl=timedelta(hours=72), sender="facturacion@example.mx"),
        links=links,
        mail_ready=lambda: wakeups.append(1),
        clock=clock,
    )
    return AccountsWorld(service, sessions, clock, wakeups)
