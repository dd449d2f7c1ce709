"""A migrated database and an AccountService on it, with a clock the test can move."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail.identity import BotLinks
from mail.outbox import Outbox
from services.accounts import AccountPolicy, AccountService
from services.models import SignupRequest
from storage.crypto import SecretBox, new_key
from storage.models import OutboxMessage
from tests.factories import GROUPED_CODE, Clock


@dataclass
class AccountsWorld:
    service: AccountService
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    wakeups: list[int]
    outbox: Outbox


@dataclass(frozen=True)
class Queued:
    """An email in the outbox, as its recipient would read it."""

    recipient: str
    subject: str
    text_body: str
    html_body: str
    row: OutboxMessage


async def outbox(world: AccountsWorld) -> list[Queued]:
    async with world.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    opened = [(row, world.outbox.content(row)) for row in rows]
    return [Queued(r.recipient, c.subject, c.text, c.html, r) for r, c in opened]


def mailed_code(message: Queued) -> str:
    """The confirmation code of a queued email, as the person would paste it."""
    match = re.search(rf"Código de confirmación: ({GROUPED_CODE})", message.text_body)
    assert match
    return match.group(1).replace(" ", "")


HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"


def request(email: str = "ana@example.mx", rfc: str = "GODE561231GR8") -> SignupRequest:
    """A sign-up as the chat hands it to the service (the password already hashed)."""
    return SignupRequest(email=email, rfc=rfc, password_hash=HASH)


@pytest.fixture
def accounts(sessions: async_sessionmaker[AsyncSession]) -> AccountsWorld:
    clock = Clock()
    wakeups: list[int] = []
    links = BotLinks()
    links.username = "cfdi_bot"
    mail = Outbox(sender="facturacion@example.mx", box=SecretBox([new_key()]))
    service = AccountService(
        sessions=sessions,
        policy=AccountPolicy(code_ttl=timedelta(hours=72)),
        outbox=mail,
        links=links,
        mail_ready=lambda: wakeups.append(1),
        clock=clock,
    )
    return AccountsWorld(service, sessions, clock, wakeups, mail)
