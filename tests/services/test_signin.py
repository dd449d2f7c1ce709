"""Signing in, on a real database: limits, idle sessions, password changes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import update

from services.accounts import ConfirmStatus
from services.passwords import PasswordHasher
from services.signin import SignInService, SignInStatus
from storage.models import Account
from tests.services.conftest import AccountsWorld, mailed_code, outbox

# Sign-in's counters and locks are counted by the database: both databases.
pytestmark = pytest.mark.postgres


@pytest.fixture
async def signin(accounts: AccountsWorld) -> SignInService:
    hasher = PasswordHasher()
    service = SignInService(
        sessions=accounts.sessions,
        passwords=hasher,
        idle_timeout=timedelta(hours=24),
        clock=accounts.clock,
    )
    from services.models import SignupRequest

    request = SignupRequest(
        email="ana@example.mx",
        rfc="MAB9307148T4",
        password_hash=await hasher.hash("clave larga uno"),
    )
    await accounts.service.register(request, user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    result = await accounts.service.confirm(text=code, chat_id=1, user_id=1)
    assert result.status is ConfirmStatus.CONFIRMED
    return service


async def test_right_password_signs_the_chat_in(signin: SignInService) -> None:
    result = await signin.sign_in(
        email="ana@example.mx", password="clave larga uno", chat_id=2, user_id=2
    )
    assert result.status is SignInStatus.SIGNED_IN and result.account.rfc == "MAB9307148T4"
    account = await signin.current_account(2)
    assert account is not None and account.person_type.value == "moral"


async def test_wrong_password_and_unknown_email_answer_alike(signin: SignInService) -> None:
    wrong = await signin.sign_in(email="ana@example.mx", password="otra", chat_id=2, user_id=2)
    unknown = await signin.sign_in(email="x@example.mx", password="otra", chat_id=2, user_id=2)
    assert wrong == unknown
    assert await signin.current_account(2) is None


async def test_account_limit_five_per_quarter_hour(signin: SignInService, accounts) -> None:
    for user in range(10, 15):  # strangers: chat 1 signed in when it confirmed
        await signin.sign_in(email="ana@example.mx", password="mal", chat_id=user, user_id=user)
    locked = await signin.sign_in(
        email="ana@example.mx", password="clave larga uno", chat_id=9, user_id=9
    )
    assert locked.status is SignInStatus.LOCKED
    assert timedelta(0) < locked.retry_after <= timedelta(minutes=15)
    accounts.clock.advance(minutes=15, seconds=1)
    ok = await signin.sign_in(
        email="ana@example.mx", password="clave larga uno", chat_id=9, user_id=9
    )
    assert ok.status is SignInStatus.SIGNED_IN


async def test_user_limit_twenty_per_hour_across_addresses(signin: SignInService) -> None:
    for number in range(20):
        await signin.sign_in(email=f"u{number}@example.mx", password="x", chat_id=3, user_id=3)
    locked = await signin.sign_in(
        email="ana@example.mx", password="clave larga uno", chat_id=3, user_id=3
    )
    assert locked.status is SignInStatus.LOCKED


async def test_session_idles_out_a_day_after_its_last_use(signin: SignInService, accounts) -> None:
    assert await signin.current_account(1) is not None  # signed in by confirming
    accounts.clock.advance(hours=23)
    assert await signin.current_account(1) is not None
    accounts.clock.advance(hours=23)  # 46 hours since sign-in, 23 since the last use
    assert await signin.current_account(1) is not None
    accounts.clock.advance(hours=24, seconds=1)
    assert await signin.current_account(1) is None


async def test_session_ends_when_the_password_changes(signin: SignInService, accounts) -> None:
    accounts.clock.advance(minutes=1)
    async with accounts.sessions() as session, session.begin():
        await session.execute(update(Account).values(password_changed_at=accounts.clock.now))
    assert await signin.current_account(1) is None


async def test_sign_out(signin: SignInService) -> None:
    assert await signin.sign_out(1)
    assert not await signin.sign_out(1)
    assert await signin.current_account(1) is None


async def test_simultaneous_wrong_passwords_cannot_pass_the_limit(signin: SignInService) -> None:
    """25 strangers' guesses at the same moment: five are checked, the rest are refused
    before their hash is checked (the attempt is counted in one step with the check)."""
    results = await asyncio.gather(
        *(
            signin.sign_in(email="ana@example.mx", password="mal", chat_id=n, user_id=n)
            for n in range(100, 125)
        )
    )
    statuses = [result.status for result in results]
    assert statuses.count(SignInStatus.WRONG) == 5
    assert statuses.count(SignInStatus.LOCKED) == 20


async def test_a_known_chat_keeps_its_own_allowance(signin: SignInService) -> None:
    for stranger in range(10, 15):
        await signin.sign_in(email="ana@example.mx", password="mal", chat_id=stranger, user_id=9)
    assert await signin.locked_for(email="ana@example.mx", chat_id=20, user_id=20) is not None
    # Chat 1 signed in when it confirmed: strangers' failures do not lock it ...
    assert await signin.locked_for(email="ana@example.mx", chat_id=1, user_id=1) is None
    # ... but its own do.
    for _ in range(5):
        await signin.sign_in(email="ana@example.mx", password="mal", chat_id=1, user_id=1)
    locked = await signin.sign_in(
        email="ana@example.mx", password="clave larga uno", chat_id=1, user_id=1
    )
    assert locked.status is SignInStatus.LOCKED
