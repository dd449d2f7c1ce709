"""/soporte reaches a person: the contact, and the problem written in the chat, stored
(sealed), mailed to SUPPORT_CONTACT and listed for the admins until one marks it handled;
the person is told when to expect the answer."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import SupportRequest
from tests import journeys
from tests.e2e.conftest import SUPPORT_CONTACT, Harness
from tests.factories import PASSWORD, database, text_part

ADMIN_ID = 555_000_222
PROBLEM = "Cambié de celular y no me llega el código; mi teléfono es 81 1234 5678."


async def support_rows(database_url: str) -> list[SupportRequest]:
    async with database(database_url) as session:
        return list((await session.scalars(select(SupportRequest))).all())


async def start_with_admin(harness: Harness) -> Harness:
    harness.settings = harness.settings.model_copy(update={"admin_telegram_ids": (ADMIN_ID,)})
    await harness.start()
    return harness


async def test_a_problem_written_here_is_stored_mailed_and_answered_in_a_day(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await ana.send("/soporte")
    offer = await ana.expect(SUPPORT_CONTACT)
    assert "Escribir mi problema aquí" in str(offer.reply_markup)
    await ana.press("Escribir mi problema aquí")
    await ana.expect("en un solo mensaje")
    await ana.send(PROBLEM)
    told = await ana.expect("Recibimos tu mensaje")
    assert "un día hábil" in told.text
    [row] = await support_rows(bot.settings.database_url)
    assert row.account_id is None and row.language == "es"
    assert "celular" not in row.text_sealed  # sealed at rest
    [mail] = await smtp.mailbox.wait(1)
    assert mail["To"] == SUPPORT_CONTACT
    body = text_part(mail)
    assert PROBLEM in body and f"n.º {row.id}" in mail["Subject"]


async def test_a_signed_in_person_is_answered_at_the_accounts_address(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    before = len(smtp.mailbox.messages)
    told = await journeys.write_problem(
        ana, "No veo mi CSD", asked="te responderemos a ana@example.mx"
    )
    assert "ana@example.mx" in told.text
    [mail] = (await smtp.mailbox.wait(before + 1))[before:]
    assert mail["To"] == SUPPORT_CONTACT and "ana@example.mx" in text_part(mail)


async def test_english_speakers_write_their_problem_in_english(bot: Harness, smtp) -> None:
    bruce = bot.person(language_code="en")
    await journeys.problem_asked(bruce, contact=SUPPORT_CONTACT, language="en")
    await bruce.send("   ")
    await bruce.expect("Your message is empty")
    await bruce.send("The code never arrives")
    told = await bruce.expect("We got your message")
    assert "one business day" in told.text
    [row] = await support_rows(bot.settings.database_url)
    assert row.language == "en"


async def test_an_empty_a_too_long_or_a_garbled_problem_is_refused_and_asked_again(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.problem_asked(ana)
    await ana.send("x" * 2001)
    refused = await ana.expect("2001 caracteres")
    assert "2000" in refused.text
    await ana.expect("en un solo mensaje")
    await ana.send("hola\u202eodot")
    await ana.expect("caracteres invisibles")
    await ana.expect("en un solo mensaje")
    await ana.send("x" * 2000)  # the limit itself fits
    await ana.expect("Recibimos tu mensaje")
    assert len(await support_rows(bot.settings.database_url)) == 1


async def test_five_problems_a_day_then_the_person_is_told_when_to_write_again(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    for number in range(5):
        await journeys.write_problem(ana, f"Problema {number}")
    await ana.send("/soporte")
    await ana.press("Escribir mi problema aquí")  # told before typing a sixth
    answer = await ana.expect("Podrás escribir otro en")
    assert SUPPORT_CONTACT in answer.text
    await ana.send("Problema 5")  # no longer awaited: the chat is out of the flow
    await ana.reply()
    assert len(await support_rows(bot.settings.database_url)) == 5


@pytest.mark.postgres
async def test_admins_list_open_problems_and_mark_them_handled(harness: Harness, smtp) -> None:
    bot = await start_with_admin(harness)
    ana = bot.person()
    await journeys.write_problem(ana, "<b>No</b> puedo entrar")
    stranger = bot.person()
    await stranger.send("/soporte_pendientes")
    assert "No estoy seguro" in (await stranger.reply()).text
    admin = bot.person(user_id=ADMIN_ID)
    await admin.send("/stats")
    assert "Sin atender: 1" in (await admin.expect("Embudo")).text
    await admin.send("/soporte_pendientes")
    assert "1 sin atender" in (await admin.expect("Soporte pendiente")).text
    listing = await admin.expect("puedo entrar")  # one message a request, with its button
    [row] = await support_rows(bot.settings.database_url)
    assert "<b>No</b> puedo entrar" in listing.text and f"n.º {row.id}" in listing.text
    assert "sin cuenta" in listing.text
    await admin.press(f"n.º {row.id} atendido", listing)
    await admin.expect("quedó como atendido")
    [row] = await support_rows(bot.settings.database_url)
    assert row.handled_at is not None
    await admin.send("/support_pending")
    assert "No hay mensajes de soporte pendientes" in (await admin.reply()).text


@pytest.mark.postgres
async def test_deleting_the_account_deletes_the_problems_it_wrote(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await journeys.write_problem(ana, "Quiero cancelar mi cuenta")
    assert len(await support_rows(bot.settings.database_url)) == 1
    assert "Eliminamos tu cuenta" in (await journeys.delete_account(ana)).text
    assert await support_rows(bot.settings.database_url) == []


async def test_soporte_inside_a_flow_gives_the_contact_and_keeps_the_question(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await ana.send("/registro")
    await ana.expect("correo electrónico")
    await ana.send("/soporte")
    answer = await ana.expect(SUPPORT_CONTACT)
    assert "/cancelar" in answer.text
    await ana.expect("correo electrónico")


async def test_a_problem_about_the_missing_confirmation_email_is_stored_while_it_waits(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    await smtp.mailbox.wait(1)
    await journeys.problem_asked(ana, contact=SUPPORT_CONTACT)
    await ana.send("No me llegó el correo de confirmación, ya revisé spam")
    await ana.expect("Recibimos tu mensaje")
    assert len(await support_rows(bot.settings.database_url)) == 1


async def test_admins_list_long_open_problems_and_mark_them_handled(harness: Harness, smtp) -> None:
    bot = await start_with_admin(harness)
    ana = bot.person()
    for number in range(3):
        await journeys.write_problem(
            ana, f"Problema {number}: " + "no puedo timbrar mi factura. " * 65
        )
    admin = bot.person(user_id=ADMIN_ID)
    await admin.send("/soporte_pendientes")
    await admin.expect("Soporte pendiente")
    items = [await admin.expect(f"Problema {number}") for number in (2, 1, 0)]  # newest first
    assert not [m for m in admin.bot_messages() if "Algo salió mal" in m.text]
    assert all(len(item.button_texts()) == 1 for item in items)
    await admin.press(items[1].button_texts()[0], items[1])
    await admin.expect("quedó como atendido")
    await admin.send("/soporte_pendientes")
    assert "2 sin atender" in (await admin.expect("Soporte pendiente")).text


async def test_a_problem_typed_right_after_soporte_is_not_lost(bot: Harness, smtp) -> None:
    ana = bot.person()
    await ana.send("/soporte")
    await ana.expect(SUPPORT_CONTACT)
    await ana.send("No puedo entrar a mi cuenta, ¿me ayudan por favor?")
    assert "No estoy seguro" not in (await ana.reply()).text


async def test_the_accounts_password_sent_as_a_problem_is_not_mailed(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    before = len(smtp.mailbox.messages)
    await journeys.problem_asked(ana, asked="te responderemos a ana@example.mx")
    sent = await ana.send(PASSWORD)
    await ana.reply()
    await ana.wait_deleted(sent)
    await journeys.write_problem(ana, "No veo mi CSD", asked="te responderemos a ana@example.mx")
    mailed = (await smtp.mailbox.wait(before + 1))[before:]
    while not any("No veo mi CSD" in text_part(mail) for mail in mailed):
        mailed = (await smtp.mailbox.wait(before + len(mailed) + 1))[before:]
    assert all(PASSWORD not in text_part(mail) for mail in mailed)
