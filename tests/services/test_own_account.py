"""The account's own changes on a real database: the password asked again and the code of
a new address under their limits (also when tried all at once), the mail they may send,
and how long a typed password allows a change."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from services.accounts import ConfirmStatus
from services.email_change import ChangeStatus, EmailChangeService, RequestStatus
from services.models import SignupRequest
from services.own_account import OwnAccountService
from services.passwords import PasswordHasher
from services.signin import RecheckStatus, SignInService
from storage import repositories
from tests.factories import Clock
from tests.services.conftest import AccountsWorld, mailed_code, outbox

# Address changes and deletion (cascades, races, caps): both databases.
pytestmark = pytest.mark.postgres

PASSWORD = "clave larga uno"
NEW_PASSWORD = "otra clave larga dos"
CODE = re.compile(r"Código: ([A-Z2-9]{4}-[A-Z2-9]{4})")


@dataclass
class World:
    accounts: AccountsWorld
    signin: SignInService
    changes: EmailChangeService
    own: OwnAccountService
    clock: Clock

    async def account(self, email: str, chat: int) -> int:
        """A confirmed account whose chat `chat` (the person's user id too) is signed in."""
        hasher = PasswordHasher()
        request = SignupRequest(
            email=email, rfc="MAB9307148T4", password_hash=await hasher.hash(PASSWORD)
        )
        await self.accounts.service.register(request, user_id=chat)
        code = mailed_code((await outbox(self.accounts))[-1])
        confirmed = await self.accounts.service.confirm(text=code, chat_id=chat, user_id=chat)
        assert confirmed.status is ConfirmStatus.CONFIRMED
        signed_in = await self.signin.current_account(chat)
        assert signed_in is not None
        return signed_in.id


@pytest.fixture
def world(accounts: AccountsWorld) -> World:
    hasher = PasswordHasher()
    common = {"sessions": accounts.sessions, "clock": accounts.clock}
    return World(
        accounts=accounts,
        signin=SignInService(passwords=hasher, idle_timeout=timedelta(hours=24), **common),
        changes=EmailChangeService(
            passwords=hasher, outbox=accounts.outbox, mail_ready=lambda: None, **common
        ),
        own=OwnAccountService(outbox=accounts.outbox, mail_ready=lambda: None, **common),
        clock=accounts.clock,
    )


async def test_simultaneous_wrong_passwords_cannot_pass_the_chats_five(world: World) -> None:
    await world.account("ana@example.mx", chat=1)
    checks = await asyncio.gather(
        *(world.signin.recheck_password(chat_id=1, user_id=1, password="mal") for _ in range(8))
    )
    statuses = sorted(check.status for check in checks)
    assert statuses.count(RecheckStatus.WRONG) == 5
    assert statuses.count(RecheckStatus.LOCKED) == 3
    right = await world.signin.recheck_password(chat_id=1, user_id=1, password=PASSWORD)
    assert right.status is RecheckStatus.LOCKED  # the right one waits too


async def test_a_right_password_is_not_counted(world: World) -> None:
    await world.account("ana@example.mx", chat=1)
    for _ in range(8):
        right = await world.signin.recheck_password(chat_id=1, user_id=1, password=PASSWORD)
        assert right.status is RecheckStatus.RIGHT and right.verified_at == world.clock.now


async def request(world: World, account: int, email: str, chat: int = 1, user: int = 1):  # type: ignore[no-untyped-def]
    return await world.changes.request(
        chat_id=chat, user_id=user, account_id=account, new_email=email, verified_at=world.clock.now
    )


async def test_a_change_code_takes_five_tries(world: World) -> None:
    account = await world.account("ana@example.mx", chat=1)
    assert (await request(world, account, "nueva@example.mx")).status is RequestStatus.SENT
    checks = [
        await world.changes.confirm(chat_id=1, user_id=1, account_id=account, text="ZZZZ-ZZZ2")
        for _ in range(5)
    ]
    assert [(check.status, check.tries_left) for check in checks] == [
        (ChangeStatus.WRONG, 4),
        (ChangeStatus.WRONG, 3),
        (ChangeStatus.WRONG, 2),
        (ChangeStatus.WRONG, 1),
        (ChangeStatus.NO_TRIES, 0),
    ]
    code = CODE.search((await outbox(world.accounts))[-1].text_body)
    assert code
    late = await world.changes.confirm(chat_id=1, user_id=1, account_id=account, text=code[1])
    assert late.status is ChangeStatus.NO_TRIES  # even the right code, once spent


async def test_a_change_code_expires_after_thirty_minutes(world: World) -> None:
    account = await world.account("ana@example.mx", chat=1)
    for minutes, status in ((29, ChangeStatus.CHANGED), (30, ChangeStatus.EXPIRED)):
        new_email = f"n{minutes}@example.mx"
        await request(world, account, new_email)
        code = CODE.search((await outbox(world.accounts))[-1].text_body)
        assert code
        world.clock.advance(minutes=minutes, seconds=59)
        check = await world.changes.confirm(chat_id=1, user_id=1, account_id=account, text=code[1])
        assert check.status is status
        world.clock.advance(hours=1)  # past the hourly limit of requests


async def test_three_requests_an_hour_per_account(world: World) -> None:
    account = await world.account("ana@example.mx", chat=1)
    for number in range(3):
        assert (await request(world, account, f"n{number}@example.mx")).status is RequestStatus.SENT
    limited = await request(world, account, "n9@example.mx")
    assert limited.status is RequestStatus.LIMITED and limited.retry_after
    world.clock.advance(hours=1, seconds=1)
    assert (await request(world, account, "n9@example.mx")).status is RequestStatus.SENT


async def test_requests_cannot_flood_an_inbox_from_several_accounts(world: World) -> None:
    # One person with two accounts asks four codes for a stranger's inbox: three are mailed.
    first = await world.account("ana@example.mx", chat=1)
    second = await world.account("ana2@example.mx", chat=2)
    for account, chat in ((first, 1), (first, 1), (second, 2), (second, 2)):
        result = await request(world, account, "victima@example.mx", chat=chat, user=7)
        assert result.status is RequestStatus.SENT  # answered alike, mailed or not
    mailed = [m for m in await outbox(world.accounts) if m.recipient == "victima@example.mx"]
    assert len(mailed) == 3


async def test_a_password_typed_long_ago_allows_no_change(world: World) -> None:
    account = await world.account("ana@example.mx", chat=1)
    typed_at = world.clock.now
    world.clock.advance(minutes=16)
    stale = await world.changes.request(
        chat_id=1, user_id=1, account_id=account, new_email="n@example.mx", verified_at=typed_at
    )
    assert stale.status is RequestStatus.SIGNED_OUT
    assert not await world.own.delete(
        chat_id=1, user_id=1, account_id=account, verified_at=typed_at
    )
    assert await world.signin.current_account(1) is not None
    assert [m.recipient for m in await outbox(world.accounts)] == ["ana@example.mx"]


async def test_a_change_from_a_chat_not_signed_in_to_the_account_is_refused(world: World) -> None:
    account = await world.account("ana@example.mx", chat=1)
    await world.account("bob@example.mx", chat=2)
    other = await request(world, account, "n@example.mx", chat=2)
    assert other.status is RequestStatus.SIGNED_OUT
    assert not await world.own.delete(
        chat_id=2, user_id=2, account_id=account, verified_at=world.clock.now
    )


async def test_a_pending_sign_up_of_the_new_address_gives_way_to_its_inbox(world: World) -> None:
    account = await world.account("ana@example.mx", chat=1)
    squatter = SignupRequest(
        email="nueva@example.mx",
        rfc="GODE561231GR8",
        password_hash=await PasswordHasher().hash("la del intruso"),
    )
    await world.accounts.service.register(squatter, user_id=66)
    assert (await request(world, account, "nueva@example.mx")).status is RequestStatus.SENT
    code = CODE.search((await outbox(world.accounts))[-1].text_body)
    assert code
    done = await world.changes.confirm(chat_id=1, user_id=1, account_id=account, text=code[1])
    assert done.status is ChangeStatus.CHANGED and done.email == "nueva@example.mx"
    moved = await world.signin.current_account(1)
    assert moved is not None and moved.email == "nueva@example.mx" and moved.id == account
    intruder = await world.signin.sign_in(
        email="nueva@example.mx", password="la del intruso", chat_id=66, user_id=66
    )
    assert intruder.status.value == "wrong"


async def test_many_peoples_requests_cannot_flood_an_inbox_past_its_cap(world: World) -> None:
    accounts = [await world.account(f"p{chat}@example.mx", chat=chat) for chat in range(1, 5)]
    for chat, account in enumerate(accounts, start=1):
        for _ in range(3):
            result = await request(world, account, "victima@example.mx", chat=chat, user=chat)
            assert result.status is RequestStatus.SENT
    mailed = [m for m in await outbox(world.accounts) if m.recipient == "victima@example.mx"]
    assert len(mailed) == 10


async def test_changes_and_deletion_leave_security_lines_without_secrets(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    account = await world.account("ana@example.mx", chat=1)
    await world.signin.recheck_password(chat_id=1, user_id=1, password="mal puesta")
    await request(world, account, "nueva@example.mx")
    code = CODE.search((await outbox(world.accounts))[-1].text_body)
    assert code
    await world.changes.confirm(chat_id=1, user_id=1, account_id=account, text="ZZZZ-ZZZ2")
    await world.changes.confirm(chat_id=1, user_id=1, account_id=account, text=code[1])
    assert await world.own.delete(
        chat_id=1, user_id=1, account_id=account, verified_at=world.clock.now
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "services.security"]
    for name in (
        "password-recheck-failed",
        "email-change-requested",
        "email-change-code-wrong",
        "email-change-completed",
        "account-deleted",
    ):
        assert f"security event={name} user=1 account={account}" in lines
    for secret in ("mal puesta", PASSWORD, code[1], "ZZZZ", "nueva@", "ana@"):
        assert not any(secret in line for line in lines), secret


async def test_deletion_forgets_the_mail_sent_to_addresses_it_asked_for(world: World) -> None:
    account = await world.account("ana@example.mx", chat=1)
    await world.account("bob@example.mx", chat=2)
    await request(world, account, "ana.tipo@example.mx")
    await request(world, account, "bob@example.mx")  # another account's: a notice goes there
    async with world.accounts.sessions() as session, session.begin():
        for row in await repositories.due_outbox_messages(
            session=session, now=world.clock.now + timedelta(hours=1), limit=100
        ):
            if row.recipient != "bob@example.mx":  # bob's notice is still on its way
                await repositories.mark_outbox_sent(
                    session=session, message_id=row.id, now=world.clock.now
                )
    assert await world.own.delete(
        chat_id=1, user_id=1, account_id=account, verified_at=world.clock.now
    )
    left = [(m.recipient, m.subject) for m in await outbox(world.accounts)]
    assert left == [
        ("bob@example.mx", "Confirma tu cuenta de Facturación Electrónica por Internet"),
        ("bob@example.mx", "Alguien intentó usar tu correo en otra cuenta"),
        ("ana@example.mx", "Tu cuenta fue eliminada"),
    ]


async def change_password(world: World, account: int, typed_at: datetime | None = None) -> bool:
    return await world.own.change_password(
        chat_id=1,
        user_id=1,
        account_id=account,
        password_hash=await PasswordHasher().hash(NEW_PASSWORD),
        verified_at=typed_at or world.clock.now,
    )


async def test_a_password_change_signs_the_other_chats_out_and_tells_the_owner(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    account = await world.account("ana@example.mx", chat=1)
    laptop = await world.signin.sign_in(
        email="ana@example.mx", password=PASSWORD, chat_id=2, user_id=1
    )
    assert laptop.account is not None
    world.clock.advance(seconds=1)
    assert await change_password(world, account)
    assert await world.signin.current_account(2) is None  # as after a reset
    here = await world.signin.current_account(1)
    assert here is not None and here.id == account  # the chat that changed it stays
    old = await world.signin.sign_in(
        email="ana@example.mx", password=PASSWORD, chat_id=3, user_id=3
    )
    new = await world.signin.sign_in(
        email="ana@example.mx", password=NEW_PASSWORD, chat_id=3, user_id=3
    )
    assert old.account is None and new.account is not None
    mail = (await outbox(world.accounts))[-1]
    assert (mail.recipient, mail.subject) == ("ana@example.mx", "Tu contraseña cambió")
    assert NEW_PASSWORD not in mail.text_body and PASSWORD not in mail.text_body
    lines = [r.getMessage() for r in caplog.records if r.name == "services.security"]
    assert f"security event=password-changed user=1 account={account}" in lines
    assert not any(NEW_PASSWORD in r.getMessage() for r in caplog.records)


async def test_a_password_typed_long_ago_changes_no_password(world: World) -> None:
    account = await world.account("ana@example.mx", chat=1)
    typed_at = world.clock.now
    world.clock.advance(minutes=16)
    assert not await change_password(world, account, typed_at)
    assert await world.signin.current_account(1) is not None
    kept = await world.signin.sign_in(
        email="ana@example.mx", password=PASSWORD, chat_id=3, user_id=3
    )
    assert kept.account is not None
    assert [m.subject for m in await outbox(world.accounts)][-1] != "Tu contraseña cambió"


async def test_a_password_change_from_a_chat_not_signed_in_to_the_account_is_refused(
    world: World,
) -> None:
    account = await world.account("ana@example.mx", chat=1)
    await world.account("bob@example.mx", chat=2)
    refused = await world.own.change_password(
        chat_id=2,
        user_id=2,
        account_id=account,
        password_hash=await PasswordHasher().hash(NEW_PASSWORD),
        verified_at=world.clock.now,
    )
    assert not refused
    assert await world.signin.current_account(1) is not None
