"""CsdService on SQLite and PostgreSQL: the check with its try limits, the stored CSD
with its password sealed, its replacement and deletion, and the expiry reminders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail.outbox import Outbox
from services.csd import CsdService, CsdStatus
from services.csd_files import Refusal
from storage import repositories
from storage.crypto import SecretBox, UnreadableSecret, new_key
from storage.db import create_engine, create_session_factory
from storage.models import Base, Csd, OutboxMessage
from tests.factories import Clock
from tests.sat_certs import (
    SAT_CSD_RFC,
    SAT_CSD_SERIAL,
    SAT_PASSWORD,
    endless_check_key,
    make_csd,
    sat_file,
)

# The CSD's row, its replacement and locks: both databases.
pytestmark = pytest.mark.postgres

CHAT, USER = 5001, 7001
SECRET = "Contraseña-Única-9Q7Z"  # a password no other column could hold by chance


@dataclass
class World:
    service: CsdService
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    box: SecretBox
    outbox: Outbox
    account_id: int
    database_url: str

    def another_service(self, sessions: async_sessionmaker[AsyncSession]) -> CsdService:
        """The same service in another process (or after a restart)."""
        return CsdService(
            sessions=sessions,
            box=self.box,
            outbox=self.outbox,
            mail_ready=lambda: None,
            clock=self.clock,
        )


@pytest.fixture
async def world(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> AsyncIterator[World]:
    clock = Clock()
    box = SecretBox([new_key()])
    outbox = Outbox(sender="facturacion@example.mx", box=box)
    async with sessions() as session, session.begin():
        account = await repositories.add_account(
            session=session,
            email="escuela@example.mx",
            rfc=SAT_CSD_RFC,
            password_hash="h",
            language="es",
        )
    service = CsdService(
        sessions=sessions, box=box, outbox=outbox, mail_ready=lambda: None, clock=clock
    )
    yield World(service, sessions, clock, box, outbox, account.id, database_url)


async def check(
    world: World, cer: bytes, key: bytes, password: str, chat: int = CHAT, user: int = USER
):
    return await world.service.check(
        account_id=world.account_id,
        chat_id=chat,
        user_id=user,
        certificate=cer,
        key=key,
        password=password,
    )


async def store(world: World, cer: bytes, key: bytes, password: str):
    checked = await check(world, cer, key, password)
    assert checked.status is CsdStatus.OK, checked
    assert checked.checked is not None
    return await world.service.store(
        account_id=world.account_id, checked=checked.checked, password=password
    )


async def stored_row(world: World) -> Csd:
    async with world.sessions() as session:
        row = await session.scalar(select(Csd))
    assert row is not None
    return row


async def emails(world: World) -> list[tuple[str, str, str]]:
    async with world.sessions() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [(r.recipient, r.subject, world.outbox.content(r).text) for r in rows]


async def test_the_sat_test_csd_is_stored_and_shown(world: World) -> None:
    assert await world.service.current(account_id=world.account_id) is None
    outcome = await store(world, sat_file("eku_csd.cer"), sat_file("eku_csd.key"), SAT_PASSWORD)
    assert outcome.status is CsdStatus.STORED and outcome.replaced is None
    current = await world.service.current(account_id=world.account_id)
    assert current is not None
    assert (current.serial, current.rfc, current.branch) == (
        SAT_CSD_SERIAL,
        SAT_CSD_RFC,
        "Sucursal 1",
    )
    assert current.valid_until.isoformat() == "2027-05-18T11:43:51+00:00"
    row = await stored_row(world)
    assert row.key_der == sat_file("eku_csd.key") and row.certificate_der == sat_file("eku_csd.cer")


async def test_a_new_csd_replaces_the_old_and_returns_it(world: World) -> None:
    await store(world, sat_file("eku_csd.cer"), sat_file("eku_csd.key"), SAT_PASSWORD)
    new = make_csd(rfc=SAT_CSD_RFC, password=SECRET)
    outcome = await store(world, new.cer, new.key, SECRET)
    assert outcome.replaced is not None and outcome.replaced.serial == SAT_CSD_SERIAL
    current = await world.service.current(account_id=world.account_id)
    assert current is not None and current.serial == new.serial
    async with world.sessions() as session:
        assert len((await session.scalars(select(Csd))).all()) == 1


async def test_delete_removes_the_csd(world: World) -> None:
    await store(world, sat_file("eku_csd.cer"), sat_file("eku_csd.key"), SAT_PASSWORD)
    assert await world.service.delete(account_id=world.account_id)
    assert await world.service.current(account_id=world.account_id) is None
    assert not await world.service.delete(account_id=world.account_id)


async def test_refusals_come_back_without_storing(world: World) -> None:
    outcome = await check(world, sat_file("eku_fiel.cer"), sat_file("eku_fiel.key"), SAT_PASSWORD)
    assert (outcome.status, outcome.refusal) == (CsdStatus.REFUSED, Refusal.IS_FIEL)
    other = make_csd(rfc="MAB9307148T4")
    outcome = await check(world, other.cer, other.key, other.password)
    assert outcome.refusal is Refusal.RFC_MISMATCH
    assert outcome.problem is not None and outcome.problem.rfc == "MAB9307148T4"
    outcome = await check(world, b"%PDF-1.7", sat_file("eku_csd.key"), SAT_PASSWORD)
    assert outcome.refusal is Refusal.NOT_A_CERTIFICATE
    assert await world.service.current(account_id=world.account_id) is None


async def test_the_password_is_sealed_with_the_settings_key_only(world: World) -> None:
    csd = make_csd(rfc=SAT_CSD_RFC, password=SECRET)
    await store(world, csd.cer, csd.key, SECRET)
    row = await stored_row(world)
    assert SECRET not in row.password_sealed
    assert world.box.open(row.password_sealed) == SECRET
    with pytest.raises(UnreadableSecret):
        SecretBox([new_key()]).open(row.password_sealed)


async def test_no_table_holds_the_plaintext_password(world: World) -> None:
    csd = make_csd(rfc=SAT_CSD_RFC, password=SECRET)
    await store(world, csd.cer, csd.key, SECRET)
    async with world.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(text(f"SELECT * FROM {table.name}"))).all()
            assert not any(SECRET in repr(row) for row in rows), table.name
    if world.database_url.startswith("sqlite"):
        path = Path(world.database_url.split("///", 1)[1])
        on_disk = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert SECRET.encode() not in on_disk and SECRET.encode("utf-16-le") not in on_disk


async def test_five_wrong_passwords_lock_the_check_even_with_the_right_one(world: World) -> None:
    cer, key = sat_file("eku_csd.cer"), sat_file("eku_csd.key")
    for _ in range(5):
        assert (await check(world, cer, key, "otra")).refusal is Refusal.WRONG_PASSWORD
    locked = await check(world, cer, key, SAT_PASSWORD)
    assert locked.status is CsdStatus.LOCKED and locked.wait is not None
    assert timedelta(0) < locked.wait <= timedelta(minutes=15)
    world.clock.advance(minutes=15, seconds=1)
    assert (await check(world, cer, key, SAT_PASSWORD)).status is CsdStatus.OK


async def test_right_passwords_and_other_refusals_are_not_counted(world: World) -> None:
    cer, key = sat_file("eku_csd.cer"), sat_file("eku_csd.key")
    for _ in range(4):
        await check(world, cer, key, "otra")
    for _ in range(3):
        assert (await check(world, cer, key, SAT_PASSWORD)).status is CsdStatus.OK
        fiel = await check(world, sat_file("eku_fiel.cer"), sat_file("eku_fiel.key"), "x")
        assert fiel.refusal is Refusal.IS_FIEL
    assert (await check(world, cer, key, "otra")).refusal is Refusal.WRONG_PASSWORD
    assert (await check(world, cer, key, SAT_PASSWORD)).status is CsdStatus.LOCKED


async def test_wrong_passwords_in_many_chats_count_under_the_persons_limit(world: World) -> None:
    cer, key = sat_file("eku_csd.cer"), sat_file("eku_csd.key")
    for chat in range(20):  # four chats' allowance of five each: the person's 20 an hour
        assert (await check(world, cer, key, "otra", chat=chat // 4)).status is CsdStatus.REFUSED
    assert (await check(world, cer, key, SAT_PASSWORD, chat=99)).status is CsdStatus.LOCKED


async def test_wrong_passwords_at_once_are_counted_atomically(world: World) -> None:
    cer, key = sat_file("eku_csd.cer"), sat_file("eku_csd.key")
    outcomes = await asyncio.gather(*(check(world, cer, key, "otra") for _ in range(8)))
    statuses = sorted(o.status for o in outcomes)
    assert statuses.count(CsdStatus.REFUSED) == 5 and statuses.count(CsdStatus.LOCKED) == 3


async def test_wrong_passwords_of_many_people_at_once_count_under_the_accounts_limit(
    world: World,
) -> None:
    """Five Telegram users signed in to one account, five guesses each at once: the
    account's 20 an hour between them (not 20 each), then locked for anyone."""
    cer, key = sat_file("eku_csd.cer"), sat_file("eku_csd.key")
    guesses = [
        check(world, cer, key, f"otra {n}", chat=100 + n // 5, user=200 + n // 5) for n in range(25)
    ]
    statuses = [outcome.status for outcome in await asyncio.gather(*guesses)]
    assert statuses.count(CsdStatus.REFUSED) == 20 and statuses.count(CsdStatus.LOCKED) == 5
    newcomer = await check(world, cer, key, SAT_PASSWORD, chat=300, user=300)
    assert newcomer.status is CsdStatus.LOCKED and newcomer.wait is not None
    assert newcomer.wait <= timedelta(hours=1)


async def test_a_key_that_takes_too_long_to_open_is_refused_and_counted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a key runs in a process of its own under a time limit (no input can hold
    the bot): past the limit the key is refused, and the try counts like a wrong one."""
    # A check that never ends, under a limit of 0.2 s (SAT's own key under a tiny limit
    # could finish before the limit is even looked at, on a busy machine).
    monkeypatch.setattr("services.csd.KEY_CHECK_SECONDS", 0.2)
    monkeypatch.setattr("services.csd.check_key", endless_check_key)
    cer, key = sat_file("eku_csd.cer"), sat_file("eku_csd.key")
    for _ in range(5):
        assert (await check(world, cer, key, SAT_PASSWORD)).refusal is Refusal.NOT_A_KEY
    assert (await check(world, cer, key, SAT_PASSWORD)).status is CsdStatus.LOCKED
    monkeypatch.undo()
    world.clock.advance(minutes=15, seconds=1)
    assert (await check(world, cer, key, SAT_PASSWORD)).status is CsdStatus.OK


async def expiring_in(world: World, days: float) -> None:
    start = world.clock.now - timedelta(days=1)
    csd = make_csd(rfc=SAT_CSD_RFC, valid_from=start, valid_days=days + 1)
    await store(world, csd.cer, csd.key, csd.password)


async def test_reminders_go_once_at_30_and_once_at_7_days(world: World) -> None:
    await expiring_in(world, 40)
    assert await world.service.remind_expiring() == 0
    world.clock.advance(days=9, hours=23)
    assert await world.service.remind_expiring() == 0
    world.clock.advance(hours=2)  # 29 days 23 hours left
    assert await world.service.remind_expiring() == 1
    assert await world.service.remind_expiring() == 0
    [(recipient, subject, body)] = await emails(world)
    assert recipient == "escuela@example.mx" and "29 días" in subject
    assert "ESCUELA KEMPER URGATE SA DE CV" in body and "CertiSAT" in body and "/csd" in body
    world.clock.advance(days=22)  # 7 days 23 hours left
    assert await world.service.remind_expiring() == 0
    world.clock.advance(days=1)
    assert await world.service.remind_expiring() == 1
    restarted = world.another_service(world.sessions)
    assert await restarted.remind_expiring() == 0
    world.clock.advance(days=6)
    assert await restarted.remind_expiring() == 0
    sent = await emails(world)
    assert [s for _, s, _ in sent] == ["Tu CSD vence en 29 días", "Tu CSD vence en 6 días"]
    assert not any(SAT_PASSWORD in b or "BEGIN" in b for _, _, b in sent)


async def test_a_csd_found_within_7_days_gets_one_reminder_not_two(world: World) -> None:
    await expiring_in(world, 40)
    world.clock.advance(days=35)
    assert await world.service.remind_expiring() == 1
    assert await world.service.remind_expiring() == 0
    assert [s for _, s, _ in await emails(world)] == ["Tu CSD vence en 4 días"]


async def test_a_csd_stored_with_20_days_left_gets_only_the_7_day_reminder(world: World) -> None:
    await expiring_in(world, 20)
    assert await world.service.remind_expiring() == 0  # the chat said so when it was stored
    world.clock.advance(days=14)
    assert await world.service.remind_expiring() == 1


async def test_two_processes_reminding_at_once_send_one_email(world: World) -> None:
    await expiring_in(world, 40)
    world.clock.advance(days=15)
    engines = [create_engine(world.database_url) for _ in range(2)]
    try:
        services = [world.another_service(create_session_factory(e)) for e in engines]
        counts = await asyncio.gather(*(s.remind_expiring() for s in services))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(counts) == [0, 1]
    assert len(await emails(world)) == 1


async def test_replacing_the_csd_starts_its_reminders_afresh(world: World) -> None:
    await expiring_in(world, 40)
    world.clock.advance(days=15)
    assert await world.service.remind_expiring() == 1
    await expiring_in(world, 40)  # the renewed one, also near its end in this test
    world.clock.advance(days=15)
    assert await world.service.remind_expiring() == 1


async def test_deleting_the_account_deletes_the_csd(world: World) -> None:
    csd = make_csd(rfc=SAT_CSD_RFC, password=SECRET)
    await store(world, csd.cer, csd.key, SECRET)
    async with world.sessions() as session, session.begin():
        await repositories.erase_account(
            session=session, account_id=world.account_id, email="escuela@example.mx"
        )
    async with world.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(text(f"SELECT * FROM {table.name}"))).all()
            hits = [r for r in rows if csd.serial in repr(r) or SAT_CSD_RFC in repr(r)]
            assert not hits, table.name
        assert (await session.scalars(select(Csd))).all() == []
