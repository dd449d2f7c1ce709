"""Confirmation codes: expiry, single use, attempt limits, and getting a new one."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from emulator import Person
from storage.db import create_engine
from storage.models import ConfirmationCode, utcnow
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import (
    accounts_in,
    code_from_email,
    newest_code,
    outbox_rows,
)

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
    await journeys.sign_up(ana, "ana@example.mx")
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
    await journeys.sign_up(ana, "ana@example.mx")
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
    await journeys.sign_up(ana, "ana@example.mx")
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


@pytest.mark.postgres
async def test_five_wrong_codes_lock_the_chat_for_an_hour(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
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


# «No me llegó»: the help about the confirmation email, wherever it is typed


async def test_no_me_llego_after_signing_up_gets_the_help_about_the_email(bot: Harness, smtp):
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    await smtp.mailbox.wait(1)
    for typed in ("no me llegó nada", "no llega el correo", "No me ha llegado el código"):
        await ana.send(typed)
        help_ = await ana.reply()
        for advice in ("Correo no deseado (Spam)", "/reenviar", "/soporte"):
            assert advice in help_.text
        assert "No estoy seguro" not in help_.text
        assert "✉️ Reenviar código" in help_.button_texts()
    await ana.press("Reenviar código")
    await ana.expect("código nuevo")


async def test_didnt_get_it_after_signing_up_gets_the_help_in_english(bot: Harness, smtp):
    bruce = bot.person(first_name="Bruce", language_code="en")
    await journeys.sign_up(bruce, "bruce@example.com", language="en")
    await bruce.send("didn't get it")
    help_ = await bruce.reply()
    for advice in ("Spam", "/resend", "/support"):
        assert advice in help_.text
    assert "✉️ Resend code" in help_.button_texts()


async def test_no_me_llego_inside_another_flow_gets_the_help_and_the_same_question(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    await ana.send("/registro")
    await ana.expect("correo electrónico")
    await ana.send("no me llegó el correo")
    help_ = await ana.reply()
    assert "Correo no deseado (Spam)" in help_.text and "/reenviar" in help_.text
    assert help_.text.endswith("Escribe tu correo electrónico. Será tu usuario para entrar.")
    await ana.send("ana@example.mx")  # the flow goes on where it was
    await ana.expect("RFC")


async def test_no_me_llego_with_no_sign_up_waiting_gets_the_usual_hint(bot: Harness) -> None:
    ana = bot.person()
    await ana.send("no me llegó nada")
    assert "No estoy seguro" in (await ana.reply()).text


async def test_the_sign_up_reply_says_one_thing_about_a_missing_email(bot: Harness, smtp):
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx", create=False)
    await ana.press("Crear cuenta")
    created = await ana.expect("creada con éxito")
    assert "/recuperar" not in created.text
    assert "toca «Reenviar código»" in created.text
    assert "✉️ Reenviar código" in created.button_texts()
    bruce = bot.person(first_name="Bruce", language_code="en")
    created = await journeys.sign_up(bruce, "bruce@example.com", language="en")
    assert "/reset" not in created.text and "tap «Resend code»" in created.text


async def test_reenviar_at_the_code_prompt_goes_straight_to_resending(bot: Harness, smtp):
    ana = bot.person()
    await ana.send("/confirmar")
    await ana.expect("Pega aquí")
    await ana.send("/reenviar")  # as the prompt's help says: no «¿Dejamos…?» first
    asked = await ana.reply()
    assert "con el que creaste tu cuenta" in asked.text
    await ana.send("nadie@example.mx")
    await ana.expect("código nuevo")
    bruce = bot.person(first_name="Bruce", language_code="en")
    await bruce.send("/confirm")
    await bruce.expect("Paste")
    await bruce.send("/resend")
    assert "you created your account with" in (await bruce.reply()).text


# Advice given at a sign-in before confirming works at once


async def signed_up_then_tried_to_sign_in(bot: Harness, smtp) -> tuple[Person, str]:  # type: ignore[no-untyped-def]
    """Ana signs up and, before confirming, tries /entrar with her own credentials: the
    answer says "incorrectos" and tells her to paste the code or use /reenviar."""
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    code = await newest_code(smtp.mailbox, 1)
    wrong = await journeys.sign_in(ana, "ana@example.mx")
    assert "pega aquí el código" in wrong.text and "/reenviar" in wrong.text
    return ana, code


@pytest.mark.parametrize("pasted", ["{code}", "/start c_{code}"])
async def test_the_code_or_its_link_after_a_wrong_sign_in_confirms(bot: Harness, smtp, pasted):
    ana, code = await signed_up_then_tried_to_sign_in(bot, smtp)
    await ana.send(pasted.format(code=code))
    answer = await ana.reply()
    assert "Felicidades" in answer.text, answer.text


async def test_reenviar_after_a_wrong_sign_in_sends_a_code(bot: Harness, smtp):
    ana, _ = await signed_up_then_tried_to_sign_in(bot, smtp)
    await ana.send("/reenviar")
    answer = await ana.reply()
    assert "te enviamos un código nuevo" in answer.text, answer.text
    assert len(await outbox_rows(bot.settings.database_url)) == 2
