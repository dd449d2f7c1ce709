"""The next step, always: what each flow offers when it ends, a signed-in /start, help at
the code prompt, the account switch asked, typo'd addresses, /empresa only looked at, and
English help (issue 13)."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from emulator import Person
from storage.models import RateEvent
from tests import journeys
from tests.e2e.conftest import TOKEN, Harness
from tests.factories import (
    PASSWORD,
    RFC_MORAL,
    accounts_in,
    chat_account,
    companies_in,
    database,
    newest_code,
)

WRONG = "0123456789abcdef0123456789abcdef01234567"
SIGNED_IN_BUTTONS = {"🏢 Datos de la empresa", "👤 Mi cuenta", "🚪 Salir"}


async def wrong_code_tries(database_url: str) -> int:
    """The wrong confirmation codes counted against chats (rows of the rate limiter)."""
    async with database(database_url) as session:
        query = select(func.count()).where(RateEvent.key.startswith("confirm-wrong-chat:"))
        return int(await session.scalar(query) or 0)


# After confirming: the company data, or later


async def test_confirming_offers_the_company_data_and_the_button_starts_it(bot: Harness, smtp):
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    await ana.send(await newest_code(smtp.mailbox, 1))
    confirmed = await ana.expect("Felicidades")
    assert "¿Capturamos los datos de tu empresa?" in confirmed.text
    assert confirmed.button_texts() == [
        "📄 Enviar mi Constancia (PDF)",
        "🏢 Capturarlos ahora",
        "⏰ Más tarde",
    ]
    await ana.press("Capturarlos ahora")
    asked = await ana.expect("Tu RFC es")
    assert "Escribe tu nombre completo" in asked.text  # a persona física (13-character RFC)
    # Chosen once: no second «Capturar datos / Omitir» question.
    assert not [m for m in ana.bot_messages() if "Capturar datos" in " ".join(m.button_texts())]
    assert not [m for m in ana.bot_messages() if "datos fiscales de tu empresa" in m.text]


async def test_enter_them_now_starts_the_company_form_at_once_in_english(bot: Harness, smtp):
    bruce = bot.person(first_name="Bruce", language_code="en")
    await journeys.sign_up(bruce, "bruce@example.com", language="en")
    await bruce.send(await newest_code(smtp.mailbox, 1))
    await bruce.expect("Congratulations")
    await bruce.press("Enter them now")
    asked = await bruce.expect("Your RFC is")
    assert "Type your full name" in asked.text  # a persona física, in the same message
    assert not [m for m in bruce.bot_messages() if "Skip" in " ".join(m.button_texts())]


async def test_later_answers_kindly_and_empresa_works_afterwards(bot: Harness, smtp):
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    await ana.send(f"/start c_{await newest_code(smtp.mailbox, 1)}")  # the email's link
    await ana.expect("Felicidades")
    await ana.press("Más tarde")
    later = await ana.expect("lo dejamos para después")
    assert "/empresa" in later.text
    await ana.send("/empresa")
    intro = await ana.expect("datos fiscales de tu empresa")
    assert "Paso" not in intro.text  # no step is numbered, so this one is not either


# After saving company data, signing in, a reset


async def test_saving_company_data_offers_the_csd_the_account_and_signing_out(bot: Harness, smtp):
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    saved = await journeys.company(ana, save=True)
    assert "¿Qué sigue?" in saved.text
    assert "Certificado de Sello Digital" in saved.text
    assert saved.button_texts() == ["🔏 Enviar mi CSD", "👤 Mi cuenta", "🚪 Salir"]
    await ana.press("Enviar mi CSD", message=saved)
    await ana.expect("Envíame como archivos")
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await ana.send("/salir")
    await ana.expect("Cerraste la sesión")
    assert await chat_account(bot.settings.database_url, ana.chat.id) is None


async def test_signing_in_and_a_reset_offer_what_a_signed_in_person_can_do(bot: Harness, smtp):
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    laptop = bot.person()
    signed_in = await journeys.sign_in(laptop, "ana@example.mx")
    assert "entraste como ana@example.mx" in signed_in.text
    assert set(signed_in.button_texts()) == SIGNED_IN_BUTTONS
    await laptop.press("Datos de la empresa", message=signed_in)
    await laptop.expect("datos fiscales de tu empresa")

    phone = bot.person()
    done = await journeys.reset_password(phone, smtp.mailbox, "ana@example.mx", "otra frase larga")
    assert "actualizada" in done.text
    assert set(done.button_texts()) == SIGNED_IN_BUTTONS


async def test_company_form_reached_by_signing_in_shows_no_menu_midway(bot: Harness, smtp):
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    laptop = bot.person()
    await laptop.send("/empresa")
    await laptop.expect("correo electrónico")
    await laptop.send("ana@example.mx")
    await laptop.expect("contraseña")
    await laptop.send(PASSWORD)
    signed_in = await laptop.expect("entraste")
    assert signed_in.button_texts() == []  # the form goes on: its intro is next
    await laptop.expect("datos fiscales de tu empresa")


# /start in a signed-in chat


async def test_start_greets_the_signed_in_account_and_offers_what_fits(bot: Harness, smtp):
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await ana.send("/start")
    greeting = await ana.reply()
    assert "Entraste como ana@example.mx" in greeting.text
    assert set(greeting.button_texts()) == SIGNED_IN_BUTTONS
    await ana.send("hola")  # the idle answer offers the same
    assert set((await ana.expect("No estoy seguro")).button_texts()) == SIGNED_IN_BUTTONS

    await ana.press("Salir", message=greeting)
    await ana.expect("Cerraste la sesión")
    await ana.send("/start")
    menu = await ana.reply()
    assert "Entraste" not in menu.text and "ana@example.mx" not in menu.text
    assert "📝 Crear cuenta" in menu.button_texts() and "🚪 Salir" not in menu.button_texts()


# Words at the code prompt get help and are not counted as tries


async def test_words_at_the_code_prompt_get_help_and_do_not_count_as_tries(bot: Harness, smtp):
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    code = await newest_code(smtp.mailbox, 1)
    await ana.send("/confirmar")
    await ana.expect("Pega aquí")
    words = ("no me llegó nada", "ya revisé spam", "ayuda", "hola?", "no llega", "¿y ahora?")
    words += ("ana@example.mx", "GODE561231GR8")  # what else a person may paste there
    for typed in words:
        await ana.send(typed)
        help_ = await ana.expect("no parece un código")
        for advice in ("Spam", "/reenviar", "/soporte", "No cuenta como intento"):
            assert advice in help_.text
        assert help_.text.endswith(
            "Pega aquí el código de confirmación de 40 caracteres que "
            "te llegó por correo (o toca el enlace del correo)."
        )
    for typed in ("mi RFC es GODE561231GR8", "mi cel 5512345678", "ya lo pegué: ABCD-EFGH"):
        await ana.send(typed)
        answer = await ana.reply()
        assert "incorrecto" not in answer.text, (typed, answer.text)
    assert await wrong_code_tries(bot.settings.database_url) == 0
    for _ in range(4):  # a fifth would lock the chat; the words did not bring it closer
        await ana.send(WRONG)
        assert "incorrecto" in (await ana.reply()).text
    assert await wrong_code_tries(bot.settings.database_url) == 4
    await ana.send(code)
    assert (await ana.expect("Felicidades")).text.startswith("Felicidades")
    assert (await accounts_in(bot.settings.database_url))[0].confirmed


# The email's link while the chat is signed in to another account


async def signed_in_with_a_second_sign_up(bot: Harness, smtp) -> tuple[Person, str]:  # type: ignore[no-untyped-def]
    """Ana's chat is signed in to ana@example.mx; she signs up bea@example.mx there too and
    gets its code."""
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await journeys.sign_up(ana, "bea@example.mx")
    return ana, await newest_code(smtp.mailbox, 2)


async def test_the_link_of_another_account_asks_and_staying_changes_nothing(bot: Harness, smtp):
    ana, code = await signed_in_with_a_second_sign_up(bot, smtp)
    [first, _] = await accounts_in(bot.settings.database_url)
    await ana.send(f"/start c_{code}")
    question = await ana.expect("¿Cerramos la sesión")
    assert "ana@example.mx" in question.text and "bea@example.mx" in question.text
    assert question.button_texts() == [
        "🔄 Cambiar a bea@example.mx",
        "↩️ Seguir en ana@example.mx",
    ]
    await ana.press("Seguir en")
    assert "sigues dentro de ana@example.mx" in (await ana.expect("De acuerdo")).text
    assert await chat_account(bot.settings.database_url, ana.chat.id) == first.id
    assert not (await accounts_in(bot.settings.database_url))[1].confirmed

    await ana.send(f"/start c_{code}")  # the code was not spent: the link still works
    await ana.press("Cambiar a bea@example.mx")
    await ana.expect("estaba dentro de la cuenta ana@example.mx")
    await ana.expect("Felicidades")
    [_, second] = await accounts_in(bot.settings.database_url)
    assert second.confirmed
    assert await chat_account(bot.settings.database_url, ana.chat.id) == second.id


async def test_the_link_in_a_signed_out_chat_confirms_at_once(bot: Harness, smtp):
    ana, code = await signed_in_with_a_second_sign_up(bot, smtp)
    await ana.send("/salir")
    await ana.expect("Cerraste")
    await ana.send(f"/start c_{code}")
    assert (await ana.reply()).text.startswith("Felicidades")
    [_, second] = await accounts_in(bot.settings.database_url)
    assert await chat_account(bot.settings.database_url, ana.chat.id) == second.id


async def test_an_old_switch_question_after_the_code_was_used_does_not_switch(
    bot: Harness, smtp
) -> None:
    """Asked whether to switch, Ana pastes the code instead; the question, answered
    later, switches nothing."""
    ana, code = await signed_in_with_a_second_sign_up(bot, smtp)
    await ana.send(f"/start c_{code}")
    await ana.expect("¿Cerramos la sesión")
    [first, _] = await accounts_in(bot.settings.database_url)
    await ana.send(code)
    await ana.reply()
    await ana.send("/salir")
    await ana.reply()
    assert "entraste" in (await journeys.sign_in(ana, "ana@example.mx")).text
    await ana.press("Cambiar a bea@example.mx")
    answer = await ana.reply()
    assert "Felicidades" not in answer.text, answer.text
    assert await chat_account(bot.settings.database_url, ana.chat.id) == first.id


# An address with a likely typo in its domain


async def test_a_typo_in_the_domain_is_suggested_and_the_suggestion_taken(bot: Harness, smtp):
    ana = bot.person()
    await ana.send("/registro")
    await ana.expect("correo electrónico")
    await ana.send("ana@gmial.com")
    question = await ana.expect("¿Quisiste decir")
    assert "ana@gmail.com" in question.text
    await ana.press("Sí, usar ana@gmail.com")
    await ana.expect("RFC")
    await ana.send("GODE561231GR8")
    await ana.expect("contraseña")
    await ana.send(PASSWORD)
    await ana.expect("otra vez")
    await ana.send(PASSWORD)
    summary = await ana.expect("Revisa tus datos")
    assert "ana@gmail.com" in summary.text and "gmial" not in summary.text
    await ana.press("Crear cuenta")
    await ana.expect("creada con éxito")
    assert (await smtp.mailbox.wait(1))[0]["To"] == "ana@gmail.com"


async def test_a_typo_suggestion_can_be_declined_or_answered_with_a_new_address(bot: Harness, smtp):
    bea = bot.person()
    await bea.send("/registro")
    await bea.expect("correo electrónico")
    await bea.send("bea@hotmial.com")
    await bea.expect("¿Quisiste decir bea@hotmail.com?")
    await bea.send("bea@outlok.com")  # typed instead of a button: read as the address
    await bea.expect("¿Quisiste decir bea@outlook.com?")
    await bea.press("No, dejar bea@outlok.com")
    await bea.expect("RFC")
    await bea.send("GODE561231GR8")
    await bea.expect("contraseña")
    await bea.send(PASSWORD)
    await bea.send(PASSWORD)
    summary = await bea.expect("Revisa tus datos")
    assert "bea@outlok.com" in summary.text


async def test_a_known_or_unrelated_domain_goes_straight_on(bot: Harness, smtp):
    ana = bot.person()
    await ana.send("/registro")
    await ana.expect("correo electrónico")
    await ana.send("ana@gmail.com")
    assert "RFC" in (await ana.reply()).text
    await ana.send("/cancelar")
    await ana.reply()
    await ana.send("/registro")
    await ana.expect("correo electrónico")
    await ana.send("ana@acme.com")
    assert "RFC" in (await ana.reply()).text


# /empresa only looked at


async def test_looking_at_stored_company_data_leaves_every_command_free(bot: Harness, smtp):
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, save=True)

    await ana.send("/empresa")
    stored = await ana.expect("tenemos guardados")
    assert "EMPRESA PATITO" in stored.text and "Juárez" in stored.text
    assert "✏️ Teléfono" in stored.button_texts() and "💾 Guardar" not in stored.button_texts()
    for command, answer in (("/entrar", "correo electrónico"), ("/cancelar", "Listo")):
        await ana.send(command)
        assert answer in (await ana.reply()).text
    await ana.send("/empresa")
    await ana.expect("tenemos guardados")
    await ana.send("hola")
    assert "No estoy seguro" in (await ana.reply()).text
    await ana.send("/recuperar")
    assert "recuperar tu contraseña" in (await ana.reply()).text
    await ana.send("/cancelar")
    await ana.reply()

    # a field's button still changes it
    summary = await journeys.change_field(ana, "Teléfono", "81 1234 5678", stored)
    assert "Teléfono: 8112345678" in summary.text and "EMPRESA PATITO" in summary.text
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert company.telefono == "8112345678" and company.colonia == "Juárez"


# English


async def test_english_help_and_command_menu_use_the_english_command_names(bot: Harness):
    bruce = bot.person(first_name="Bruce", language_code="en")
    await bruce.send("/help")
    help_ = await bruce.reply()
    for name in ("/signup", "/confirm", "/resend", "/login", "/company", "/logout", "/reset"):
        assert f"\n{name} — " in help_.text
    for name in ("/registro", "/entrar", "/empresa", "/recuperar", "/ayuda", "/cancelar"):
        assert name not in help_.text
    await bruce.send("/signup")  # and the names it lists work
    await bruce.expect("email address")

    account = bot.emulator.bot(TOKEN)
    default = json.dumps({"type": "default"}, sort_keys=True)
    english = [c["command"] for c in account.commands[(default, "en")]]
    spanish = [c["command"] for c in account.commands[(default, "")]]
    assert english[:4] == ["start", "signup", "confirm", "resend"] and "help" in english
    assert spanish[:4] == ["start", "registro", "confirmar", "reenviar"] and "ayuda" in spanish


async def test_a_typo_at_recuperar_is_suggested_and_the_code_goes_to_the_chosen_address(
    bot: Harness, smtp
):
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@gmail.com")
    phone = bot.person()
    await phone.send("/recuperar")
    await journeys.pass_check(phone)
    await phone.send("ana@gmial.com")
    await phone.expect("¿Quisiste decir ana@gmail.com?")
    await phone.press("Sí, usar ana@gmail.com")
    assert "ana@gmail.com" in (await phone.expect("te enviamos un código")).text
    assert (await smtp.mailbox.wait(2))[1]["To"] == "ana@gmail.com"

    other = bot.person()
    await other.send("/recuperar")
    await journeys.pass_check(other)
    await other.send("bea@hotmial.com")
    await other.press("No, dejar bea@hotmial.com")
    assert "bea@hotmial.com" in (await other.expect("te enviamos un código")).text
