"""Replacing and deleting the stored CSD: both serials shown before a replacement, the
stored one kept on «No», a deletion asked first, /cancelar forgetting the files sent; and
with the account open in two chats, nothing replaced or deleted that the person did not
see, and one CSD per account."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from emulator import Person
from emulator.world import Message
from tests import journeys
from tests.conftest import Mailbox
from tests.e2e.conftest import Harness
from tests.factories import all_rows_text, answer_part, csd_rows
from tests.sat_certs import SAT_CSD_SERIAL, SAT_PASSWORD, make_csd


async def with_sat_csd(bot: Harness, mailbox: Mailbox) -> Person:
    """A person whose account has SAT's test CSD stored."""
    ana = bot.person()
    await journeys.sat_csd_account(ana, mailbox)
    await journeys.sat_csd(ana)
    return ana


async def asked_to_delete(ana: Person) -> Message:
    """/csd's «Eliminar»: the question, which names the stored CSD (returned)."""
    await ana.send("/csd")
    await ana.press("Eliminar", await ana.expect("Este es tu"))
    question = await ana.expect("¿Elimino tu CSD")
    assert SAT_CSD_SERIAL in question.text
    return question


async def serials(bot: Harness) -> list[str]:
    return [row["serial"] for row in await csd_rows(bot.settings.database_url)]


async def test_a_new_csd_replaces_the_stored_one_after_showing_both_serials(
    bot: Harness, smtp
) -> None:
    ana = await with_sat_csd(bot, smtp.mailbox)
    renewed = make_csd()
    await ana.send("/csd")
    await ana.press("Reemplazar", await ana.expect("Este es tu"))
    await ana.expect("Envíame como archivos")
    await ana.send_document("nuevo.cer", renewed.cer)
    await ana.expect("Recibí el certificado")
    await ana.send_document("nuevo.key", renewed.key)
    question = await ana.expect("¿Lo reemplazo")
    assert SAT_CSD_SERIAL in question.text and renewed.serial in question.text
    await ana.press("Sí, reemplazarlo")
    await ana.expect("contraseña de tu clave privada")
    await ana.send(renewed.password)
    assert renewed.serial in (await ana.expect("Guardé tu")).text
    assert SAT_CSD_SERIAL in (await ana.expect("Reemplazó a tu CSD anterior")).text
    assert await serials(bot) == [renewed.serial]


async def test_keeping_the_stored_one_changes_nothing(bot: Harness, smtp) -> None:
    ana = await with_sat_csd(bot, smtp.mailbox)
    renewed = make_csd()
    question = await journeys.csd_replacement(ana, renewed.cer, renewed.key)
    await ana.press("No, conservar el actual", question)
    await ana.expect("sigue igual")
    assert await serials(bot) == [SAT_CSD_SERIAL]


@pytest.mark.postgres
async def test_deleting_the_csd_asks_first(bot: Harness, smtp) -> None:
    ana = await with_sat_csd(bot, smtp.mailbox)
    question = await asked_to_delete(ana)
    assert len(await csd_rows(bot.settings.database_url)) == 1  # not before the answer
    await ana.press("Sí, eliminarlo", question)
    await ana.expect("Eliminé tu CSD")
    assert await csd_rows(bot.settings.database_url) == []
    await ana.send("/cuenta")
    assert "sin enviar" in (await ana.expect("Tu cuenta")).text
    await journeys.open_csd(ana)


async def test_cancel_at_the_password_and_replacement_steps_forgets_the_files(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.sat_csd_files(ana)
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await journeys.open_csd(ana)  # both files asked again: nothing kept
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await journeys.sat_csd(ana)
    renewed = make_csd()
    await journeys.csd_replacement(ana, renewed.cer, renewed.key)
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await ana.send("/csd")
    shown = await ana.expect("Este es tu")  # the stored one, not the files sent
    assert SAT_CSD_SERIAL in shown.text
    await ana.send("/salir")  # after a lock or session end the draft would stay: not here
    await ana.expect("Cerraste la sesión")
    await bot.stop()
    assert renewed.serial not in await all_rows_text(bot.settings.database_url)


# Two chats of one account


@pytest.mark.postgres
async def test_two_chats_of_one_account_storing_at_once_keep_one_csd(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    laptop = bot.person()
    assert "entraste" in (await journeys.sign_in(laptop, "kemper@example.mx")).text.lower()
    other = make_csd()
    await journeys.sat_csd_files(ana)
    await journeys.csd_files(laptop, other.cer, other.key)
    await laptop.expect("contraseña de tu clave privada")
    await asyncio.gather(ana.send(SAT_PASSWORD), laptop.send(other.password))
    # Each is stored, or, when the other was stored first, offered as its replacement.
    await asyncio.gather(ana.expect("guard"), laptop.expect("guard"))
    stored = await serials(bot)
    assert len(stored) == 1 and stored[0] in (SAT_CSD_SERIAL, other.serial)


async def replaced_on_the_laptop(bot: Harness) -> str:
    """Meanwhile, another chat of the account replaces the stored CSD; its serial."""
    laptop = bot.person()
    await journeys.sign_in(laptop, "kemper@example.mx")
    renewed = make_csd()
    question = await journeys.csd_replacement(laptop, renewed.cer, renewed.key)
    await laptop.press("Sí, reemplazarlo", question)
    await laptop.expect("contraseña de tu clave privada")
    await laptop.send(renewed.password)
    await laptop.expect("Guardé tu")
    return renewed.serial


@pytest.mark.postgres
async def test_delete_confirmed_after_another_chat_replaced_it_deletes_nothing_unseen(
    bot: Harness, smtp
) -> None:
    ana = await with_sat_csd(bot, smtp.mailbox)
    question = await asked_to_delete(ana)
    laptops = await replaced_on_the_laptop(bot)
    # Back on the phone, the old question is answered.
    await ana.press("Sí, eliminarlo", question)
    await ana.reply()
    assert await serials(bot) == [laptops]


@pytest.mark.postgres
async def test_replace_agreed_after_another_chat_replaced_it_asks_again(bot: Harness, smtp) -> None:
    """«Sí, reemplazarlo» agrees to replace the CSD the question named; one stored from
    another chat since is named and asked about before anything is replaced."""
    ana = await with_sat_csd(bot, smtp.mailbox)
    phone_new = make_csd()
    question = await journeys.csd_replacement(ana, phone_new.cer, phone_new.key)
    assert SAT_CSD_SERIAL in question.text
    laptops = await replaced_on_the_laptop(bot)
    # The phone's old question is answered: it is asked again, naming the laptop's CSD.
    await ana.press("Sí, reemplazarlo", question)
    again = await ana.expect("¿Lo reemplazo")
    asked = answer_part(again)  # the question pressed, edited into the answer
    assert laptops in asked and SAT_CSD_SERIAL not in asked
    assert await serials(bot) == [laptops]
    await ana.press("Sí, reemplazarlo", again)
    await ana.expect("contraseña de tu clave privada")
    await ana.send(phone_new.password)
    await ana.expect("Guardé tu")
    assert await serials(bot) == [phone_new.serial]


@pytest.mark.postgres
async def test_a_csd_stored_elsewhere_after_the_replacement_was_agreed_is_not_replaced_unseen(
    bot: Harness, smtp
) -> None:
    """Agreed, then another chat stores a CSD before the password arrives: the password
    replaces nothing; the question names the new one first."""
    ana = await with_sat_csd(bot, smtp.mailbox)
    phone_new = make_csd()
    await ana.press(
        "Sí, reemplazarlo", await journeys.csd_replacement(ana, phone_new.cer, phone_new.key)
    )
    await ana.expect("contraseña de tu clave privada")
    laptops = await replaced_on_the_laptop(bot)
    typed = await ana.send(phone_new.password)
    await ana.wait_deleted(typed)
    again = await ana.expect("¿Lo reemplazo")
    assert laptops in again.text
    assert await serials(bot) == [laptops]


@pytest.mark.postgres
async def test_delete_pressed_twice_and_old_buttons_after_switching_account(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = await with_sat_csd(bot, smtp.mailbox)
    await ana.send("/csd")
    stored = await ana.expect("Este es tu")
    stored_before = dataclasses.replace(stored)  # as a second device still shows it
    await ana.press("Eliminar", stored)
    question = await ana.expect("¿Elimino tu CSD")
    question_before = dataclasses.replace(question)
    await ana.press("Sí, eliminarlo", question)
    await ana.expect("Eliminé tu CSD")
    await ana.press("Sí, eliminarlo", question_before)  # a double tap
    assert "Eliminé" not in (await ana.reply()).text
    await ana.press("Eliminar", stored_before)  # the old message's button
    await ana.expect("No tienes un CSD")
    # Stored again, then the chat switches to another account: the old buttons do nothing.
    await journeys.sat_csd(ana)
    await ana.send("/csd")
    shown = await ana.expect("Este es tu")
    await ana.send("/salir")
    await ana.expect("Cerraste la sesión")
    bob = bot.person()
    await journeys.sat_csd_account(bob, smtp.mailbox, "bob@example.mx")
    await bob.send("/salir")
    await journeys.sign_in(ana, "bob@example.mx")
    await ana.press("Eliminar", shown)
    await ana.expect("era de otra cuenta")
    assert [r["serial"] for r in await csd_rows(database_url)] == [SAT_CSD_SERIAL]
