"""Small builders of what tests need again and again."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from alembic import command
from argon2 import PasswordHasher as Argon2Hasher
from sqlalchemy import Connection, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from chat.texts import Catalog
from emulator import Person
from emulator.markup import parse_html
from emulator.world import Message
from services import Services
from services.chats import SEALED
from services.company import CompanyData
from services.passwords import PasswordHasher
from storage.crypto import SecretBox
from storage.db import alembic_config, create_engine, create_session_factory
from storage.models import (
    Account,
    Base,
    ChatDataRow,
    ChatSession,
    Company,
    OutboxMessage,
    utcnow,
)
from tests.conftest import Mailbox

PASSWORD = "tres tristes tigres tragan trigo"
RFC_FISICA = "GODE561231GR8"
RFC_MORAL = "MAB9307148T4"

CATALOG = Catalog.load()

# The 40-character code as an email shows it: five groups of 8, so that a phone wraps it
# between groups.
GROUPED_CODE = r"[0-9a-f]{8}(?: [0-9a-f]{8}){4}"
CODE_IN_TEXT = re.compile(rf"(?:Código de confirmación|Confirmation code): ({GROUPED_CODE})")


@dataclass
class Clock:
    """A clock the test moves by hand, for services that take `clock=`."""

    now: datetime = field(default_factory=utcnow)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class CountingHasher(PasswordHasher):
    """The real hasher, counting the work done: what would tell two paths apart by time."""

    def __init__(self) -> None:
        super().__init__()
        self.hashes = 0
        self.verifies = 0

    async def hash(self, password: str) -> str:
        self.hashes += 1
        return await super().hash(password)

    async def verify(self, password_hash: str, password: str) -> bool:
        self.verifies += 1
        return await super().verify(password_hash, password)


def argon2_work(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every argon2 computation in this process from now on (the bots' hashing threads
    included), as ("hash", password) or ("verify", password): what a flow costs."""
    done: list[tuple[str, str]] = []
    real_hash, real_verify = Argon2Hasher.hash, Argon2Hasher.verify

    def hash(self: Argon2Hasher, password: str | bytes, *, salt: bytes | None = None) -> str:
        done.append(("hash", str(password)))
        return real_hash(self, password, salt=salt)

    def verify(self: Argon2Hasher, stored: str | bytes, password: str | bytes) -> bool:
        done.append(("verify", str(password)))
        return real_verify(self, stored, password)

    monkeypatch.setattr(Argon2Hasher, "hash", hash)
    monkeypatch.setattr(Argon2Hasher, "verify", verify)
    return done


async def first_password_kept(database_url: str, key: bytes) -> str:
    """What a chat's draft keeps of a new password's first entry, read from the database
    as another process would (the bot stopped first, so that its chats are written)."""
    stored = await stored_chat_data(database_url, key)
    assert "$argon2" not in stored, "an argon2 hash in a chat's record"
    [kept] = re.findall(r'"first_password": "([^"]*)"', stored)
    return kept


def text_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None, "the email has no text part"
    return body.get_content()


def html_part(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None, "the email has no HTML part"
    return body.get_content()


def code_from_email(message: EmailMessage) -> str:
    match = CODE_IN_TEXT.search(text_part(message))
    assert match, "no confirmation code in the email"
    return match.group(1).replace(" ", "")


@asynccontextmanager
async def database(database_url: str) -> AsyncIterator[AsyncSession]:
    """A session on the bot's database, opened apart from the bot, as another process
    would (and closed with its engine)."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def accounts_in(database_url: str) -> list[Account]:
    """Every account row, read with a fresh engine as another process would."""
    async with database(database_url) as session:
        return list((await session.scalars(select(Account).order_by(Account.id))).all())


async def outbox_rows(database_url: str) -> list[OutboxMessage]:
    """Every email the bot has queued, read as another process would."""
    async with database(database_url) as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await session.scalars(query)).all())


async def chat_account(database_url: str, chat_id: int) -> int | None:
    """The account a chat is signed in to, if any."""
    async with database(database_url) as session:
        bound = await session.get(ChatSession, chat_id)
        return bound.account_id if bound else None


def shown(language: str, key: str, **values: object) -> str:
    """A catalog's text as the person reads it (its HTML rendered)."""
    return parse_html(CATALOG.text(language, key, **values))[0]


def label(language: str, key: str, **values: object) -> str:
    """A button's text in a language."""
    return CATALOG.label(language, key, **values)


async def expect_text(person: Person, language: str, key: str, **values: object) -> Message:
    """The bot's next message that says `key` (recognised by its opening words)."""
    return await person.expect(shown(language, key, **values)[:40])


# How a message pressed shows the button chosen, when the bot edits it into its answer
# (chat.common.say): the catalog's common.chosen, in any language.
CHOSEN = "\n\n👉 "


def answer_part(message: Message) -> str:
    """What a message says after its last button pressed: the bot edits a pressed message
    into its own text, the choice and the answer (the whole text if none was pressed)."""
    text = message.text or ""
    if CHOSEN not in text:
        return text
    return text.rpartition(CHOSEN)[2].partition("\n\n")[2]


def said_to(person: Person, message: Message) -> list[Message]:
    """What the bot sent in answer to `message`: its messages after it and before the
    person's next one (read once that next message has been answered)."""
    said: list[Message] = []
    for later in person.messages[person.messages.index(message) + 1 :]:
        if not later.from_bot:
            break
        if not later.deleted:
            said.append(later)
    return said


# Rows read as another process would, and what the bot said


async def companies_in(database_url: str) -> list[Company]:
    """Every saved company, read as another process would."""
    async with database(database_url) as session:
        return list((await session.scalars(select(Company))).all())


async def shift_back(database_url: str, model: type, column: str, minutes: int) -> None:
    """Move `column` of every row of `model` to `minutes` ago (a code's expiry, say)."""
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            update(model).values({column: utcnow() - timedelta(minutes=minutes)})
        )
    await engine.dispose()


async def tables_naming(database_url: str, *fragments: str) -> dict[str, list[object]]:
    """Every row of every table that holds one of `fragments`, by table."""
    engine = create_engine(database_url)
    found: dict[str, list[object]] = {}
    try:
        async with create_session_factory(engine)() as session:
            for table in Base.metadata.sorted_tables:
                rows = (await session.execute(text(f"SELECT * FROM {table.name}"))).all()
                hits = [r for r in rows if any(f in repr(r) for f in fragments)]
                if hits:
                    found[table.name] = hits
    finally:
        await engine.dispose()
    return found


async def stored_chat_data(database_url: str, key: bytes) -> str:
    """Every chat's stored drafts, unsealed with `key`, as one text."""
    engine = create_engine(database_url)
    box = SecretBox([key])
    try:
        async with create_session_factory(engine)() as session:
            rows = (await session.scalars(select(ChatDataRow))).all()
            return "\n".join(box.open(row.data[SEALED]) for row in rows if SEALED in row.data)
    finally:
        await engine.dispose()


async def as_drafts_were_saved_before(database_url: str, key: bytes, password_hash: str) -> None:
    """Every chat's draft between a new password's two entries made as drafts were kept
    before issue 26: the first entry's argon2 hash in `password_hash`, no digest."""
    box = SecretBox([key])
    async with database(database_url) as session, session.begin():
        for row in (await session.scalars(select(ChatDataRow))).all():
            data = json.loads(box.open(row.data[SEALED]))
            for draft in data.values():
                if isinstance(draft, dict) and draft.pop("first_password", None):
                    draft["password_hash"] = password_hash
            row.data = {SEALED: box.seal(json.dumps(data))}


async def csd_rows(database_url: str) -> list[dict[str, Any]]:
    """The csds table, column by column."""
    async with database(database_url) as session:
        result = await session.execute(text("SELECT * FROM csds"))
        return [dict(row._mapping) for row in result]


async def all_rows_text(database_url: str) -> str:
    """Every row of every table, as text."""
    async with database(database_url) as session:
        found = []
        for table in Base.metadata.sorted_tables:
            result = await session.execute(text(f"SELECT * FROM {table.name}"))
            found.extend(repr(tuple(row)) for row in result)
        return "\n".join(found)


async def move_csd_expiry(database_url: str, valid_until: datetime) -> None:
    """Every stored CSD now ends at `valid_until`."""
    async with database(database_url) as session, session.begin():
        await session.execute(text("UPDATE csds SET valid_until = :v"), {"v": valid_until})


async def newest_code(mailbox: Mailbox, count: int) -> str:
    """The confirmation code of the `count`-th email, once it has come."""
    return code_from_email((await mailbox.wait(count))[count - 1])


async def save_company(services: Services, account_id: int, razon_social: str) -> None:
    """Company data stored straight through the service (Mexico City's 06600)."""
    data = CompanyData(
        razon_social=razon_social,
        regimen_fiscal="601",
        codigo_postal="06600",
        calle="Insurgentes Sur",
        numero_exterior="1",
        colonia="Juárez",
        estado="Ciudad de México",
        municipio="Cuauhtémoc",
        telefono="5555555555",
        correo_contacto="kemper@example.mx",
        lugar_expedicion="06600",
    )
    await services.companies.save(account_id, data)


HELP_OPENS = "Esto es lo que puedo hacer"


async def said_before_help(person: Person, message: Message) -> list[Message]:
    """All the bot said after `message`, known complete: /ayuda is sent and its answer
    read (the bot answers a chat's updates in order). Its messages, not deleted."""
    await person.send("/ayuda")
    helped = await person.expect(HELP_OPENS)
    chat = person.messages
    between = chat[chat.index(message) + 1 : chat.index(helped)]
    return [m for m in between if m.from_bot and not m.deleted]


async def outbox_when(
    database_url: str, holds: Callable[[list[OutboxMessage]], bool], timeout: float = 15
) -> list[OutboxMessage]:
    """The outbox's rows once `holds` is true of them (read again every 50 ms)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not holds(rows := await outbox_rows(database_url)):
        assert asyncio.get_running_loop().time() < deadline, f"never so: {rows}"
        await asyncio.sleep(0.05)
    return rows


async def migrate_to(engine: AsyncEngine, revision: str) -> None:
    """Bring the schema down to `revision`, or ("head") up to the newest migration."""

    def run(connection: Connection) -> None:
        if revision == "head":
            command.upgrade(alembic_config(connection), revision)
        else:
            command.downgrade(alembic_config(connection), revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)
