"""Restarts and a mail server that is down: no step, draft or email is lost."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

from services.chats import ChatRecords
from storage import repositories
from storage.crypto import SecretBox
from storage.db import create_engine, create_session_factory
from tests import journeys
from tests.conftest import SmtpServer
from tests.e2e.conftest import DATA_KEY, Harness
from tests.factories import PASSWORD, RFC_FISICA, accounts_in, code_from_email, outbox_when

# Restarts and kills: what survives is what the database kept.
pytestmark = pytest.mark.postgres

NOTHING = object()


async def step_stored(
    harness: Harness, chat_id: int, *, after: object = NOTHING, timeout: float = 3
) -> object:
    """The flow and step the record of `chat_id` holds, once there is one other than
    `after` (the record is written as its update ends, right after the reply)."""
    engine = create_engine(harness.settings.database_url)
    records = ChatRecords(create_session_factory(engine), SecretBox([DATA_KEY]))
    deadline = asyncio.get_running_loop().time() + timeout
    try:
        while True:
            async with records.held(chat_id) as held:
                steps = (held.data or {}).get("flow"), (held.data or {}).get("step")
            if steps[1] is not None and steps != after:
                return steps
            assert asyncio.get_running_loop().time() < deadline, f"still {steps}"
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


async def test_sigterm_mid_sign_up_resumes_at_the_same_step(
    harness: Harness, smtp: SmtpServer
) -> None:
    await harness.spawn()
    ana = harness.person()
    await journeys.sign_up(ana, "ana@example.mx", until="password")

    assert await harness.terminate(signal.SIGTERM) == 0
    await harness.spawn()

    await ana.send(PASSWORD)
    summary = await journeys.sign_up(
        ana, "ana@example.mx", command=None, since="password_again", create=False
    )
    assert "ana@example.mx" in summary.text and RFC_FISICA in summary.text
    await ana.press("Crear cuenta")
    await ana.expect("creada con éxito")
    [email] = await smtp.mailbox.wait(1)
    await ana.send(code_from_email(email))
    await ana.expect("Felicidades")


async def test_hard_kill_once_the_step_is_stored_loses_nothing(
    harness: Harness, smtp: SmtpServer
) -> None:
    await harness.spawn()
    ana = harness.person()
    await ana.send("/registro")
    await ana.expect("correo electrónico")
    asking_email = await step_stored(harness, ana.chat.id)
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    await step_stored(harness, ana.chat.id, after=asking_email)

    assert await harness.terminate(signal.SIGKILL) == -signal.SIGKILL
    await harness.spawn()

    await ana.send(RFC_FISICA)
    await ana.expect("Elige una contraseña")


async def test_mail_waits_for_smtp_to_come_back(harness: Harness, smtp_server: SmtpServer) -> None:
    await harness.start()  # SMTP is down
    ana = harness.person()
    await journeys.sign_up(ana, "ana@example.mx")
    database_url = harness.settings.database_url
    [failed] = await outbox_when(database_url, lambda rows: bool(rows and rows[0].last_error))
    assert failed.sent_at is None and smtp_server.mailbox.messages == []

    smtp_server.start()
    [email] = await smtp_server.mailbox.wait(1, timeout=15)
    assert email["To"] == "ana@example.mx"
    await outbox_when(database_url, lambda rows: rows[0].sent_at is not None)
    assert len(smtp_server.mailbox.messages) == 1  # marked sent: never sent again


async def test_mail_survives_a_restart_while_smtp_is_down(
    harness: Harness, smtp_server: SmtpServer
) -> None:
    await harness.spawn()  # SMTP is down
    ana = harness.person()
    await journeys.sign_up(ana, "ana@example.mx")
    assert await harness.terminate(signal.SIGTERM) == 0
    assert smtp_server.mailbox.messages == []

    smtp_server.start()
    await harness.spawn()
    [email] = await smtp_server.mailbox.wait(1, timeout=15)
    await ana.send(code_from_email(email))
    await ana.expect("Felicidades")
    await outbox_when(harness.settings.database_url, lambda rows: rows[0].sent_at is not None)
    assert len(smtp_server.mailbox.messages) == 1
    [account] = await accounts_in(harness.settings.database_url)
    assert account.confirmed


async def test_debug_log_holds_no_password_code_or_token(
    harness: Harness, smtp: SmtpServer
) -> None:
    harness.log_level = "DEBUG"
    await harness.spawn()
    ana = harness.person()
    await journeys.sign_up(ana, "ana@example.mx")
    code = code_from_email((await smtp.mailbox.wait(1))[0])
    await ana.send(code)
    await ana.expect("Felicidades")
    assert await harness.terminate(signal.SIGTERM) == 0
    log = harness.log.read_text()
    assert "DEBUG" in log and "account 1 confirmed" in log
    assert f"chat {ana.chat.id}: command /registro" in log
    for secret in (PASSWORD, code, harness.environment()["TELEGRAM_BOT_TOKEN"]):
        assert secret not in log


async def test_a_message_the_database_fails_at_each_try_holds_nothing_back_and_is_answered_later(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database fails each time the bot notes a person's message done: her next
    message is answered meanwhile, and the first is tried again after a pause and
    answered then."""
    monkeypatch.setattr("bot.intake.FAILED_PAUSE_SECONDS", 1.0)
    finish = repositories.finish_update
    failures = 3  # the try and the two tries again in its turn

    async def failing(**kwargs: Any) -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise OSError("database unreachable")
        await finish(**kwargs)

    ana = bot.person(patience=15)
    await ana.send("/start")
    await ana.expect("Hola")
    monkeypatch.setattr(repositories, "finish_update", failing)
    await ana.send("/ayuda")
    for _ in range(3):  # answered, then the database fails its end: tried again in turn
        await ana.expect("Esto es lo que puedo hacer")
    await ana.send("/privacidad")
    await ana.expect("aviso de privacidad")  # the next message is not held back
    await ana.expect("Esto es lo que puedo hacer")  # and the first is tried again later
