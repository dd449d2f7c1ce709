"""The sign-up and confirmation use cases on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import func, select, text

from services.accounts import ConfirmStatus, RegisterOutcome, ResendResult
from services.passwords import PasswordHasher
from storage.models import Account, ChatSession, ConfirmationCode
from tests.services.conftest import AccountsWorld, mailed_code, outbox, request

# Sign-up's and confirmation's rows, races and locks: both databases.
pytestmark = pytest.mark.postgres


async def count(world: AccountsWorld, model: type) -> int:
    async with world.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def test_register_stores_unconfirmed_account_and_mails_code(accounts: AccountsWorld) -> None:
    result = await accounts.service.register(request(), user_id=1)
    assert result.outcome is RegisterOutcome.CREATED
    async with accounts.sessions() as session:
        [account] = (await session.scalars(select(Account))).all()
        [code] = (await session.scalars(select(ConfirmationCode))).all()
    assert account.email == "ana@example.mx" and not account.confirmed
    [message] = await outbox(accounts)
    plain = mailed_code(message)
    assert code.code_hash != plain and plain not in code.code_hash
    assert f"https://t.me/cfdi_bot?start=c_{plain}" in message.text_body
    assert accounts.wakeups


async def test_taken_email_creates_nothing_and_notifies_owner(accounts: AccountsWorld) -> None:
    await accounts.service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    await accounts.service.confirm(text=code, chat_id=1, user_id=1)
    result = await accounts.service.register(request(rfc="MAB9307148T4"), user_id=2)
    assert result.outcome is RegisterOutcome.EMAIL_TAKEN
    assert await count(accounts, Account) == 1
    assert await count(accounts, ConfirmationCode) == 1
    _, notice = await outbox(accounts)
    assert notice.recipient == "ana@example.mx" and "Alguien intentó" in notice.subject
    assert not re.search(r"[0-9a-f]{8}( ?[0-9a-f]{8}){4}", notice.text_body)


async def test_concurrent_registrations_of_one_email_make_one_account(
    accounts: AccountsWorld,
) -> None:
    results = await asyncio.gather(
        *(accounts.service.register(request(), user_id=user) for user in range(6))
    )
    outcomes = [result.outcome for result in results]
    assert outcomes.count(RegisterOutcome.CREATED) == 1
    assert outcomes.count(RegisterOutcome.REPLACED) == 5
    assert await count(accounts, Account) == 1
    # Each sign-up voided the codes before it: one code is left, for the last sign-up.
    assert await count(accounts, ConfirmationCode) == 1


async def test_right_code_confirms_once_and_signs_the_chat_in(accounts: AccountsWorld) -> None:
    await accounts.service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    result = await accounts.service.confirm(text=code, chat_id=77, user_id=1)
    assert result.status is ConfirmStatus.CONFIRMED and result.email == "ana@example.mx"
    async with accounts.sessions() as session:
        bound = await session.get(ChatSession, 77)
        account = await session.scalar(select(Account))
    assert bound is not None and account is not None and bound.account_id == account.id
    assert account.confirmed
    again = await accounts.service.confirm(text=code, chat_id=78, user_id=1)
    assert again.status is ConfirmStatus.ALREADY_CONFIRMED
    async with accounts.sessions() as session:
        assert await session.get(ChatSession, 78) is None


async def confirm_all_at_once(world: AccountsWorld, code: str, chats: range) -> list[ConfirmStatus]:
    """Every confirmation reads the code unused before any claims it: the test holds the
    code's row on PostgreSQL until all of them wait for it. (SQLite runs one transaction at
    a time, so there they simply queue.)"""
    async with world.sessions() as holder, holder.begin():
        postgres = holder.get_bind().dialect.name == "postgresql"
        if postgres:
            await holder.execute(select(ConfirmationCode).with_for_update())
        tasks = [
            asyncio.create_task(world.service.confirm(text=code, chat_id=c, user_id=1))
            for c in chats
        ]
        while postgres and await waiting_for_locks(world) < len(tasks):
            assert not any(task.done() for task in tasks)
            await asyncio.sleep(0.01)
    return sorted(result.status for result in await asyncio.gather(*tasks))


async def waiting_for_locks(world: AccountsWorld) -> int:
    async with world.sessions() as session:
        waiting = await session.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return waiting or 0


async def test_simultaneous_confirmations_of_one_code_give_one_success(
    accounts: AccountsWorld,
) -> None:
    await accounts.service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    statuses = await confirm_all_at_once(accounts, code, range(100, 104))
    assert statuses == [ConfirmStatus.ALREADY_CONFIRMED] * 3 + [ConfirmStatus.CONFIRMED]
    assert await count(accounts, ChatSession) == 1  # one chat told "Felicidades"


async def test_code_expires_after_its_ttl(accounts: AccountsWorld) -> None:
    await accounts.service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    accounts.clock.advance(hours=72, seconds=1)
    assert (
        await accounts.service.confirm(text=code, chat_id=1, user_id=1)
    ).status is ConfirmStatus.EXPIRED


async def test_five_wrong_codes_per_chat_per_hour(accounts: AccountsWorld) -> None:
    await accounts.service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    for _ in range(5):
        result = await accounts.service.confirm(text="f" * 40, chat_id=5, user_id=1)
        assert result.status is ConfirmStatus.WRONG
    locked = await accounts.service.confirm(text=code, chat_id=5, user_id=1)
    assert locked.status is ConfirmStatus.TOO_MANY_TRIES
    assert 0 < locked.retry_after.total_seconds() <= 3600
    accounts.clock.advance(hours=1, seconds=1)
    assert (
        await accounts.service.confirm(text=code, chat_id=5, user_id=1)
    ).status is ConfirmStatus.CONFIRMED


async def test_resend_issues_new_code_once_a_minute(accounts: AccountsWorld) -> None:
    resend, confirm = accounts.service.resend_code, accounts.service.confirm
    await accounts.service.register(request(), user_id=1)
    first = mailed_code((await outbox(accounts))[0])
    assert (await resend(email="ana@example.mx", chat_id=1, user_id=1)).retry_after is None
    second = mailed_code((await outbox(accounts))[1])
    waiting = await resend(email="ana@example.mx", chat_id=1, user_id=1)
    assert waiting.retry_after is not None and waiting.retry_after.total_seconds() <= 60
    assert (await confirm(text=first, chat_id=1, user_id=1)).status is ConfirmStatus.WRONG
    assert (await confirm(text=second, chat_id=1, user_id=1)).status is ConfirmStatus.CONFIRMED


async def test_a_stranger_resend_is_answered_alike_and_sends_nothing(
    accounts: AccountsWorld,
) -> None:
    await accounts.service.register(request(), user_id=1)
    result = await accounts.service.resend_code(email="ana@example.mx", chat_id=2, user_id=2)
    assert result.retry_after is None
    assert len(await outbox(accounts)) == 1


async def test_resend_for_unknown_or_confirmed_address_sends_nothing(
    accounts: AccountsWorld,
) -> None:
    await accounts.service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    assert (
        await accounts.service.confirm(text=code, chat_id=1, user_id=1)
    ).status is ConfirmStatus.CONFIRMED
    await accounts.service.register(request(email="beto@example.mx"), user_id=1)
    answers = [
        await accounts.service.resend_code(email=email, chat_id=chat, user_id=1)
        for chat, email in enumerate(["nadie@example.mx", "ana@example.mx", "beto@example.mx"])
    ]
    assert answers[0] == answers[1] == answers[2] == ResendResult()
    recipients = [message.recipient for message in await outbox(accounts)]
    assert recipients == ["ana@example.mx", "beto@example.mx", "beto@example.mx"]


async def test_password_hashes_are_argon2id_and_verify() -> None:
    hasher = PasswordHasher()
    hashed = await hasher.hash("tres tristes tigres")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await hasher.verify(hashed, "tres tristes tigres")
    assert not await hasher.verify(hashed, "otra cosa")
    assert not await hasher.verify("not a hash", "otra cosa")


WRONG_CODE = "0123456789abcdef0123456789abcdef01234567"


async def test_code_owner_names_the_account_a_code_would_sign_in_to_without_using_it(
    accounts: AccountsWorld,
) -> None:
    await accounts.service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    owner = await accounts.service.code_owner(text=code, chat_id=1, user_id=1)
    assert owner is not None and owner.email == "ana@example.mx"
    assert await accounts.service.code_owner(text=code, chat_id=2, user_id=2) is None  # not theirs
    assert await accounts.service.code_owner(text=WRONG_CODE, chat_id=1, user_id=1) is None
    # Looked up, not used: the digest confirms afterwards, once.
    chosen = await accounts.service.confirm_chosen(code_hash=owner.code_hash, chat_id=1, user_id=1)
    assert chosen.status is ConfirmStatus.CONFIRMED
    assert await accounts.service.code_owner(text=code, chat_id=1, user_id=1) is None  # used


async def test_code_owner_finds_nothing_while_the_chat_is_locked_out(
    accounts: AccountsWorld,
) -> None:
    await accounts.service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    for _ in range(5):
        wrong = await accounts.service.confirm(text=WRONG_CODE, chat_id=1, user_id=1)
        assert wrong.status is ConfirmStatus.WRONG
    assert await accounts.service.code_owner(text=code, chat_id=1, user_id=1) is None
    accounts.clock.advance(hours=1, seconds=1)
    assert await accounts.service.code_owner(text=code, chat_id=1, user_id=1) is not None


async def test_code_owner_skips_an_expired_code(accounts: AccountsWorld) -> None:
    await accounts.service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    accounts.clock.advance(hours=73)
    assert await accounts.service.code_owner(text=code, chat_id=1, user_id=1) is None


async def test_a_domain_in_unicode_or_punycode_is_one_address_and_one_inbox(
    accounts: AccountsWorld,
) -> None:
    """ñandú.mx and xn--and-6ma2c.mx are one domain: one account, one mail allowance."""
    spellings = ["ana@ñandú.mx", "ana@xn--and-6ma2c.mx", "ANA+sat@XN--AND-6MA2C.MX", "ana@ñandú.mx"]
    outcomes = [
        (await accounts.service.register(request(email), user_id=1)).outcome for email in spellings
    ]
    assert outcomes == [
        RegisterOutcome.CREATED,
        RegisterOutcome.REPLACED,
        RegisterOutcome.CREATED,  # a +tag is an address of its own, in the same inbox
        RegisterOutcome.SUPPRESSED,  # the fourth email to that inbox from this person
    ]
    assert await count(accounts, Account) == 2
    assert {message.recipient for message in await outbox(accounts)} == {
        "ana@ñandú.mx",
        "ana+sat@ñandú.mx",
    }
    assert len(await outbox(accounts)) == 3
