"""A race between a confirmation and a stranger's sign-up, driven step by step."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest

from services import accounts as accounts_module
from services.accounts import ConfirmStatus
from services.models import SignupRequest
from services.passwords import PasswordHasher
from services.signin import SignInService, SignInStatus
from tests.services.conftest import AccountsWorld, mailed_code, outbox

# Races between confirmation and a second sign-up: both databases.
pytestmark = pytest.mark.postgres

ANA, MALLORY = 1, 2


async def test_a_sign_up_that_read_the_account_before_its_confirmation_cannot_replace_its_password(
    accounts: AccountsWorld, monkeypatch
) -> None:
    """Mallory's sign-up reads Ana's pending account as unconfirmed; Ana confirms; then
    Mallory's sign-up writes her password over the now confirmed account (PostgreSQL, read
    committed, no row lock): Mallory signs in to Ana's account."""
    hasher = PasswordHasher()
    await accounts.service.register(
        SignupRequest(
            email="ana@example.mx",
            rfc="GODE561231GR8",
            password_hash=await hasher.hash("de ana 123"),
        ),
        user_id=ANA,
    )
    code = mailed_code((await outbox(accounts))[0])

    read = asyncio.Event()
    confirmed = asyncio.Event()
    real_take = accounts_module.mail_allowance.take

    postgres = accounts.sessions.kw["bind"].dialect.name == "postgresql"

    async def take(**kwargs):  # type: ignore[no-untyped-def]
        if kwargs["user_id"] == MALLORY:
            read.set()  # the account has been read
            if postgres:  # SQLite runs one write transaction at a time: Ana waits for this
                with contextlib.suppress(TimeoutError):  # one that would wait for her
                    await asyncio.wait_for(confirmed.wait(), 2)
        return await real_take(**kwargs)

    monkeypatch.setattr(accounts_module.mail_allowance, "take", take)
    mallorys = SignupRequest(
        email="ana@example.mx", rfc="MAB9307148T4", password_hash=await hasher.hash("de mallory 1")
    )
    signup = asyncio.create_task(accounts.service.register(mallorys, user_id=MALLORY))
    await read.wait()

    async def ana_confirms():  # type: ignore[no-untyped-def]
        try:
            return await accounts.service.confirm(text=code, chat_id=ANA, user_id=ANA)
        finally:
            confirmed.set()

    result = await ana_confirms()
    await signup
    signin = SignInService(
        sessions=accounts.sessions, passwords=hasher, idle_timeout=timedelta(hours=1)
    )
    mallory = await signin.sign_in(
        email="ana@example.mx", password="de mallory 1", chat_id=MALLORY, user_id=MALLORY
    )
    assert mallory.status is not SignInStatus.SIGNED_IN, (result.status, mallory.status)
    if result.status is ConfirmStatus.CONFIRMED:
        ana = await signin.sign_in(
            email="ana@example.mx", password="de ana 123", chat_id=ANA, user_id=ANA
        )
        assert ana.status is SignInStatus.SIGNED_IN
