"""Security events: one log line each, naming the event, the Telegram user and the
account, never a password or a code, so that an operator can grep an attack."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from services.human_check import CHOICES, HumanCheckService
from services.passwords import PasswordHasher
from services.reset import ResetPolicy, ResetService
from services.signin import SignInService
from tests.services.conftest import AccountsWorld, mailed_code, outbox, request


def events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "services.security"]


async def test_each_attack_leaves_a_line_without_secrets(
    accounts: AccountsWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    service = accounts.service
    await service.register(request(), user_id=1)
    code = mailed_code((await outbox(accounts))[0])
    for _ in range(6):
        await service.confirm(text="f" * 40, chat_id=7, user_id=7)
    await service.confirm(text=code, chat_id=1, user_id=1)
    for _ in range(6):
        await service.register(request(email="otra@example.mx"), user_id=8)
    hasher = PasswordHasher()
    signin = SignInService(
        sessions=accounts.sessions,
        passwords=hasher,
        idle_timeout=timedelta(hours=24),
        clock=accounts.clock,
    )
    await signin.sign_in(email="ana@example.mx", password="adivina otra", chat_id=9, user_id=9)
    await signin.sign_in(email="ana@example.mx", password="x" * 10, chat_id=1, user_id=1)
    checks = HumanCheckService(sessions=accounts.sessions, clock=accounts.clock)
    challenge = await checks.new_challenge(user_id=9)
    wrong = (challenge.buttons.index(challenge.symbol) + 1) % CHOICES
    await checks.tap(token=challenge.token, position=wrong, user_id=9)
    reset = ResetService(
        sessions=accounts.sessions,
        passwords=hasher,
        policy=ResetPolicy(),
        outbox=accounts.outbox,
        mail_ready=lambda: None,
        clock=accounts.clock,
    )
    await reset.request(email="ana@example.mx", chat_id=9, user_id=9, language="es")
    await reset.check_code(email="ana@example.mx", chat_id=9, text="ABCD-EFG2")

    lines = events(caplog)
    expected = [
        "event=confirmation-code-wrong user=7",
        "event=confirmation-locked user=7",
        "event=sign-up-limited user=8",
        "event=sign-in-failed user=9 account=1",
        "event=human-check-failed user=9",
        "event=reset-requested user=9 account=1",
        "event=reset-code-wrong user=9 account=1",
    ]
    for fragment in expected:
        assert any(fragment in line for line in lines), (fragment, lines)
    everything = " ".join(r.getMessage() for r in caplog.records)
    for secret in (code, "adivina otra", "ABCD-EFG2", "x" * 10):
        assert secret not in everything
