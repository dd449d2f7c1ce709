"""Guessing passwords: five wrong ones lock the address for a while, for strangers only
(the owner's chat keeps an allowance of its own), and a recovery lifts the lock."""

from __future__ import annotations

import logging

import pytest

from emulator import Person
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import PASSWORD


async def fail_five_times(mallory: Person, email: str) -> None:
    for _ in range(5):
        assert "incorrectos" in (await journeys.sign_in(mallory, email, "adivinando123")).text


@pytest.mark.postgres  # failures counted in the database, in one statement
async def test_strangers_cannot_lock_the_owner_out(bot: Harness, smtp, caplog):
    caplog.set_level(logging.INFO)
    owner = bot.person()
    await journeys.confirmed(owner, smtp.mailbox, "ana@example.mx")
    mallory = bot.person(first_name="Mallory")
    await fail_five_times(mallory, "ana@example.mx")
    await mallory.send("/entrar")
    await mallory.expect("correo electrónico")
    await mallory.send("ana@example.mx")
    locked = await mallory.reply()  # said before any password is typed
    assert "demasiados intentos" in locked.text and "min" in locked.text
    assert "/recuperar" in locked.text
    # The password typed next anyway is not taken as one, nor left in the chat.
    typed = await mallory.send(PASSWORD)
    await mallory.wait_deleted(typed)
    answer = await mallory.reply()
    assert "Borré tu mensaje" in answer.text and "No estoy seguro" in answer.text
    stranger = bot.person()
    await stranger.send("/entrar")
    await stranger.expect("correo electrónico")
    await stranger.send("ana@example.mx")
    assert "demasiados intentos" in (await stranger.reply()).text
    # The owner's own chat has an allowance of its own.
    await owner.send("/salir")
    await owner.expect("Cerraste la sesión")
    assert "entraste como" in (await journeys.sign_in(owner, "ana@example.mx")).text
    events = [r.getMessage() for r in caplog.records if "security event=" in r.getMessage()]
    assert sum(f"event=sign-in-failed user={mallory.user.id}" in e for e in events) == 5
    assert any(f"event=sign-in-locked user={stranger.user.id}" in e for e in events)
    assert not any("adivinando123" in r.getMessage() for r in caplog.records)


async def test_a_successful_reset_lifts_the_sign_in_lock(bot: Harness, smtp):
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    await fail_five_times(bot.person(first_name="Mallory"), "ana@example.mx")
    new_phone = bot.person()  # Ana on a Telegram account that never signed in
    new_password = "una frase nueva y bastante larga"
    done = await journeys.reset_password(new_phone, smtp.mailbox, "ana@example.mx", new_password)
    assert "ha sido actualizada" in done.text
    laptop = bot.person()
    signed = await journeys.sign_in(laptop, "ana@example.mx", "una frase nueva y bastante larga")
    assert "entraste como" in signed.text
