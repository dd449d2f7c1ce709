"""Confirmation codes: expiry, single use, attempt limits, and getting a new one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from storage.db import create_engine
from storage.models import ConfirmationCode, utcnow
from tests.e2e.conftest import Harness
from tests.factories import accounts_in, code_from_email, outbox_rows, sign_up

WRONG = "0123456789abcdef0123456789abcdef01234567"


async def expire_codes(database_url: str) -> None:
    engine = create_engine(database_url)
    async with engine.begin() as connection:
        await connection.execute(
            update(ConfirmationCode).values(expires_at=utcnow() - timedelta(minutes=1))
        )
    await engine.dispose()


async def test_expired_code_is_refused_and_a_new_one_works(bot: Harness, smtp) -> None:
    ana = bot.person()
    await sign_up(ana, "ana@example.mx")
    old_code = code_from_email((await smtp.mailbox.wait(1))[0])
    await expire_codes(bot.settings.database_url)
    await ana.send(old_code)
    assert "venció" in (await ana.reply()).text

    await ana.send("/reenviar")
    sent = await ana.reply()
    assert "ana@example.mx" in sent.text and "código nuevo" in sent.text
    new_code = code_from_email((await smtp.mailbox.wait(2))[1])
    assert new_code != old_code
    await ana.send(new_code)
    assert (await ana.reply()).text.startswith("Felicidades")


async def test_resend_replaces_the_code_and_waits_a_minute(bot: Harness, smtp) -> None:
    ana = bot.person()
    await sign_up(ana, "ana@example.mx")
    first = code_from_email((await smtp.mailbox.wait(1))[0])
    await ana.press("Reenviar código")
    await ana.expect("código nuevo")
    second = code_from_email((await smtp.mailbox.wait(2))[1])
    await ana.send("/reenviar")
    assert "espera" in (await ana.reply()).text
    assert len(smtp.mailbox.messages) == 2

    await ana.send(first)
    assert "incorrecto" in (await ana.reply()).text
    await ana.send(second)
    assert (await ana.reply()).text.startswith("Felicidades")


async def test_resend_from_a_new_chat_asks_the_email_and_answers_alike(bot: Harness, smtp) -> None:
    ana = bot.person()
    await sign_up(ana, "ana@example.mx")
    await smtp.mailbox.wait(1)
    stranger, unknown = bot.person(), bot.person()
    await stranger.send("/reenviar")
    await stranger.expect("correo electrónico")
    await stranger.send("sin arroba")
    await stranger.expect("arroba")
    await stranger.send("ana@example.mx")
    stranger_answer = await stranger.expect("código nuevo")
    await unknown.send("/reenviar")
    await unknown.expect("correo electrónico")
    await unknown.send("nadie@example.mx")
    unknown_answer = await unknown.expect("código nuevo")
    assert stranger_answer.text.replace("ana@example.mx", "X") == unknown_answer.text.replace(
        "nadie@example.mx", "X"
    )
    # Only whoever signed up can have the code sent again; the outbox row would be
    # written before the answer.
    assert len(await outbox_rows(bot.settings.database_url)) == 1
    await ana.send("/reenviar")
    await ana.expect("código nuevo")
    second = (await smtp.mailbox.wait(2))[1]
    assert second["To"] == "ana@example.mx" and "Confirma tu cuenta" in second["Subject"]


async def test_five_wrong_codes_lock_the_chat_for_an_hour(bot: Harness, smtp) -> None:
    ana = bot.person()
    await sign_up(ana, "ana@example.mx")
    code = code_from_email((await smtp.mailbox.wait(1))[0])
    for _ in range(5):
        await ana.send(f"/confirmar {WRONG}")
        assert "incorrecto" in (await ana.reply()).text
    await ana.send(f"/confirmar {code}")
    locked = await ana.reply()
    assert "demasiados intentos" in locked.text and "min" in locked.text
    [account] = await accounts_in(bot.settings.database_url)
    assert not account.confirmed

    other_chat = bot.person()  # the limit is per chat: another is not locked
    await other_chat.send(code)
    assert "otra cuenta de Telegram" in (await other_chat.reply()).text
