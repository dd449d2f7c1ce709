"""Changing the account's address from /cuenta: it takes the code mailed to the new
address, which is checked as at sign-up; a taken address is answered alike and its owner
told; what is typed at its steps is read as a person means it."""

from __future__ import annotations

import logging

import pytest

from emulator import Person
from storage.models import EmailChange
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import (
    PASSWORD,
    RFC_MORAL,
    accounts_in,
    chat_account,
    companies_in,
    shift_back,
    text_part,
)


async def code_asked(bot: Harness, smtp) -> tuple[Person, str]:  # type: ignore[no-untyped-def]
    """Ana, signed in, at the question for the code mailed to ana.nueva@; and that code."""
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    code = await journeys.change_code_asked(ana, smtp.mailbox, "ana.nueva@example.mx")
    return ana, code


@pytest.mark.postgres  # the walk of the change, as a smoke test on both databases
async def test_changing_the_email_needs_the_code_sent_to_the_new_address(
    bot: Harness, smtp
) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "ana@example.mx")
    before = len(smtp.mailbox.messages)
    sent = await journeys.request_change(ana, "ana.nueva@example.mx")
    assert "ana.nueva@example.mx" in sent.text
    [mail] = await journeys.mail_after(smtp.mailbox, before)
    assert mail["To"] == "ana.nueva@example.mx"
    code = journeys.one_time_code(mail)
    await ana.expect("código")
    assert [a.email for a in await accounts_in(bot.settings.database_url)] == ["ana@example.mx"]

    await ana.send("no me llegó nada")  # not shaped like a code: help, and not counted
    assert "Spam" in (await ana.expect("no parece el código")).text
    await ana.send("ZZZZ-ZZZ2")
    assert (await ana.reply()).text == "Ese código no es correcto. Te quedan 4 intentos."
    await ana.expect("código")
    await ana.send(f"es {code.lower()}")
    done = await ana.expect("ahora es")
    assert "ana.nueva@example.mx" in done.text
    others = await ana.expect("sigue abierta en otro chat")
    assert any("Cerrar sesión" in b for b in others.button_texts())

    [notice] = await journeys.mail_after(smtp.mailbox, before + 1)
    assert notice["To"] == "ana@example.mx" and notice["Subject"] == "El correo de tu cuenta cambió"
    assert "ana.nueva@example.mx" in text_part(notice) and code not in text_part(notice)
    assert [a.email for a in await accounts_in(bot.settings.database_url)] == [
        "ana.nueva@example.mx"
    ]
    # The other chat stays signed in; sign-in takes the new address, not the old one.
    assert await chat_account(bot.settings.database_url, laptop.chat.id) is not None
    stranger = bot.person()
    assert "incorrectos" in (await journeys.sign_in(stranger, "ana@example.mx")).text
    assert "entraste" in (await journeys.sign_in(stranger, "ana.nueva@example.mx")).text


async def test_a_changed_email_ends_with_the_next_steps(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    done = await journeys.change_email(ana, smtp.mailbox, "ana.nueva@example.mx")
    assert done.button_texts() == ["🏢 Datos de la empresa", "👤 Mi cuenta", "🚪 Salir"]
    await ana.press("Mi cuenta", done)
    assert "ana.nueva@example.mx" in (await ana.expect("Tu cuenta")).text


async def test_an_expired_code_changes_nothing(bot: Harness, smtp) -> None:
    ana, code = await code_asked(bot, smtp)
    await shift_back(bot.settings.database_url, EmailChange, "expires_at", 1)
    await ana.send(code)
    assert "ya venció" in (await ana.expect("venció")).text
    assert [a.email for a in await accounts_in(bot.settings.database_url)] == ["ana@example.mx"]


async def test_an_address_of_another_account_is_answered_alike_and_changes_nothing(
    bot: Harness, smtp
) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "bob@example.mx")
    ana, carol = bot.person(), bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await journeys.confirmed(carol, smtp.mailbox, "carol@example.mx")
    before = len(smtp.mailbox.messages)

    taken = await journeys.request_change(ana, "bob@example.mx")
    taken_prompt = await ana.expect("código")
    free = await journeys.request_change(carol, "libre@example.mx")
    free_prompt = await carol.expect("código")
    assert taken.text.replace("bob@", "X@") == free.text.replace("libre@", "X@")
    assert taken_prompt.text.replace("bob@", "X@") == free_prompt.text.replace("libre@", "X@")

    mail = await journeys.mail_after(smtp.mailbox, before)
    await smtp.mailbox.wait(before + 2)
    to_bob = smtp.mailbox.to("bob@example.mx")[-1]
    assert to_bob["Subject"] == "Alguien intentó usar tu correo en otra cuenta"
    assert not journeys.ONE_TIME_CODE.search(text_part(to_bob))
    assert "ana@example.mx" not in text_part(to_bob)
    assert {m["To"] for m in smtp.mailbox.messages[before:]} == {
        "bob@example.mx",
        "libre@example.mx",
    }
    assert mail

    # No code works: a guess, or the code mailed to the other request, is a wrong code.
    for guess in ("ABCD-EFG2", journeys.one_time_code(smtp.mailbox.to("libre@example.mx")[-1])):
        await ana.send(guess)
        assert (await ana.reply()).text.startswith("Ese código no es correcto")
        await ana.expect("código")
    emails = {a.email for a in await accounts_in(bot.settings.database_url)}
    assert emails == {"bob@example.mx", "ana@example.mx", "carol@example.mx"}
    assert "entraste" in (await journeys.sign_in(bot.person(), "bob@example.mx")).text


async def test_an_address_of_another_account_in_capitals_is_taken_all_the_same(
    bot: Harness, smtp
) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "bob@example.mx")
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    before = len(smtp.mailbox.messages)
    await journeys.request_change(ana, "Bob@Example.MX")
    await ana.expect("código")
    [mail] = await journeys.mail_after(smtp.mailbox, before)
    # Bob is told, and no code reaches anybody.
    assert mail["Subject"] == "Alguien intentó usar tu correo en otra cuenta", mail["Subject"]


@pytest.mark.postgres  # two chats of one account at once
async def test_of_two_chats_changing_the_address_only_the_latest_request_counts(
    bot: Harness, smtp
) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "ana@example.mx")
    code_one = await journeys.change_code_asked(ana, smtp.mailbox, "uno@example.mx")
    code_two = await journeys.change_code_asked(laptop, smtp.mailbox, "dos@example.mx")
    await ana.send(code_one)
    assert "ahora es" not in (await ana.reply()).text
    await laptop.send(code_two)
    await laptop.expect("ahora es")
    assert [a.email for a in await accounts_in(bot.settings.database_url)] == ["dos@example.mx"]


async def ask_new_address(person: Person) -> None:
    await journeys.open_account(person)
    await journeys.type_password(person, "Cambiar correo")
    await person.expect("correo electrónico nuevo")


async def test_a_likely_typo_in_the_new_address_is_offered_a_correction(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await ask_new_address(ana)
    before = len(smtp.mailbox.messages)
    await ana.send("ana@gmial.com")
    question = await ana.expect("¿Quisiste decir")
    assert "ana@gmail.com" in question.text
    assert len(smtp.mailbox.messages) == before  # nothing mailed before the choice
    await ana.press("ana@gmail.com", message=question)
    sent = await ana.expect("Te enviamos un código")
    assert "ana@gmail.com" in sent.text
    [mail] = await journeys.mail_after(smtp.mailbox, before)
    assert mail["To"] == "ana@gmail.com"


async def test_the_typed_new_address_is_kept_when_the_person_says_so(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await ask_new_address(ana)
    before = len(smtp.mailbox.messages)
    await ana.send("ana@hotmial.com")
    question = await ana.expect("¿Quisiste decir")
    await ana.press("No, dejar", message=question)
    await ana.expect("Te enviamos un código")
    [mail] = await journeys.mail_after(smtp.mailbox, before)
    assert mail["To"] == "ana@hotmial.com"


async def test_a_password_typed_at_the_new_address_step_is_deleted(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await ask_new_address(ana)
    typed = await ana.send(PASSWORD)  # sent twice by mistake
    answer = await ana.reply()
    assert PASSWORD not in answer.text, answer.text
    await ana.wait_deleted(typed)
    await ana.expect("correo electrónico nuevo")  # and the question again


async def test_privacidad_and_soporte_at_the_code_step_keep_the_step(bot: Harness, smtp) -> None:
    ana, code = await code_asked(bot, smtp)
    await ana.send("/privacidad")
    await ana.expect("Aviso de privacidad")
    await ana.expect("código")
    await ana.send("/soporte")
    await ana.expect("código")
    await ana.send(code)
    await ana.expect("ahora es")


async def test_words_at_the_code_step_are_not_a_try_and_a_code_among_words_works(
    bot: Harness, smtp
) -> None:
    ana, code = await code_asked(bot, smtp)
    await ana.send("tengo una pregunta")  # eight letters in a row, not a code
    answer = await ana.reply()
    assert "no es correcto" not in answer.text, answer.text
    await ana.send(f"Me lo mandaste, es {code}")
    answer = await ana.reply()
    assert "ahora es" in answer.text, answer.text


async def test_the_logs_hold_no_address_and_no_change_code(bot: Harness, smtp, caplog) -> None:
    caplog.set_level(logging.INFO)  # the default LOG_LEVEL
    bot_packages = ("bot", "chat", "handlers", "services", "storage", "mail.", "telegram")
    ana, code = await code_asked(bot, smtp)
    before = len(smtp.mailbox.messages)
    await ana.send(code)
    await ana.expect("ahora es")
    assert "Eliminamos tu cuenta" in (await journeys.delete_account(ana)).text
    await smtp.mailbox.wait(before + 2)
    logged = "\n".join(
        r.getMessage()
        for r in caplog.records
        if r.name.startswith(bot_packages) and r.name != "mail.log"
    )
    for secret in ("ana@example.mx", "ana.nueva@example.mx", code, code.replace("-", "")):
        assert secret not in logged, secret


async def test_a_contact_email_that_was_the_old_address_is_offered_the_new_one(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, save=True)  # contact: the account's address
    await journeys.change_email(ana, smtp.mailbox, "nuevo@example.mx")
    offer = await ana.expect("correo de contacto de tu empresa")
    assert "empresa@example.mx" in offer.text and "nuevo@example.mx" in offer.text
    [company] = await companies_in(bot.settings.database_url)
    assert company.correo_contacto == "empresa@example.mx"  # not until asked
    await ana.press("Sí, usar el nuevo como correo de contacto", message=offer)
    assert "nuevo@example.mx" in (await ana.expect("ahora es nuevo@example.mx")).text
    [company] = await companies_in(bot.settings.database_url)
    assert company.correo_contacto == "nuevo@example.mx"
