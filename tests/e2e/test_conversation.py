"""Every message gets an answer: bad values are explained and asked again, anything
unexpected gets a hint, and nothing already given is lost."""

from __future__ import annotations

import pytest

from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import (
    PASSWORD,
    RFC_FISICA,
    RFC_MORAL,
    accounts_in,
    chat_account,
    expect_text,
    said_to,
)


def said_to_when_answered(person, message, answer):  # type: ignore[no-untyped-def]
    """What the bot sent in answer to `message`, up to its `answer` (awaited already)."""
    messages = person.messages
    return [m for m in messages[messages.index(message) + 1 : messages.index(answer) + 1]]


async def start_sign_up(person) -> None:  # type: ignore[no-untyped-def]
    await person.send("/registro")
    await person.expect("correo electrónico")


async def test_bad_email_gets_reason_and_same_question(bot: Harness) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    await ana.send("ana.example.mx")
    assert "le falta la arroba" in (await ana.reply()).text
    assert "correo electrónico" in (await ana.reply()).text
    await ana.send("ana@example")
    assert "después de la arroba" in (await ana.reply()).text
    await ana.expect("correo electrónico")
    await ana.send("ana@example.mx")
    await ana.expect("RFC")


async def test_bad_rfcs_get_reasons_and_same_question(bot: Harness) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    cases = {
        "ABC12": "12 caracteres",
        "XAXX010101000": "RFC genérico",
        "GODE561331GR8": "fecha",
        "1234567890123": "formato",
    }
    for typed, reason in cases.items():
        await ana.send(typed)
        assert reason in (await ana.reply()).text, typed
        assert "escribe el RFC" in (await ana.reply()).text
    await ana.send("gode-561231-gr8")
    await ana.expect("contraseña")


async def test_rfc_with_failing_check_digit_can_be_vouched_for(bot: Harness, smtp) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    await ana.send("GODE561231GR9")
    question = await ana.expect("dígito verificador")
    assert "GODE561231GR9" in question.text
    await ana.send("una foto no")  # typed text is taken as a new RFC
    await ana.expect("12 caracteres")
    await ana.expect("escribe el RFC")
    await ana.send("GODE561231GR9")
    await ana.expect("dígito verificador")
    await ana.press("Sí, está bien escrito")
    await ana.expect("contraseña")
    await ana.send(PASSWORD)
    await ana.expect("otra vez")
    await ana.send(PASSWORD)
    summary = await ana.expect("Revisa tus datos")
    assert "GODE561231GR9" in summary.text


async def test_weak_and_mismatched_passwords_are_refused(bot: Harness) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    await ana.send(RFC_MORAL)
    await ana.expect("contraseña")
    for typed, reason in {
        "corta": "muy corta",
        "password1": "más usadas",
        "ana@example.mx": "no puede ser tu correo",
        RFC_MORAL.lower(): "ni tu RFC",
        "x" * 129: "muy larga",
    }.items():
        message = await ana.send(typed)
        refused = await ana.expect(reason)
        assert "Borré tu mensaje" in refused.text and "Elige una contraseña" in refused.text
        await ana.wait_deleted(message)
    await ana.send(PASSWORD)
    await ana.expect("otra vez")
    await ana.send(PASSWORD + " distinta")
    differ = await ana.expect("no coinciden")
    assert "Elige una contraseña" in differ.text  # the question again, in the same message
    await ana.send(PASSWORD)
    await ana.expect("otra vez")
    await ana.send(PASSWORD)
    await ana.expect("Revisa tus datos")


@pytest.mark.parametrize(
    ("language", "short", "why", "deleted"),
    [("es", "corta", "muy corta", "Borré tu mensaje"), ("en", "short", "too short", "I deleted")],
)
async def test_a_refused_password_is_answered_in_one_message(
    bot: Harness, language: str, short: str, why: str, deleted: str
) -> None:
    ana = bot.person(language_code=language)
    await ana.send("/registro")
    await expect_text(ana, language, "signup.ask-email")
    await ana.send("ana@example.mx")
    await expect_text(ana, language, "signup.ask-rfc")
    await ana.send(RFC_MORAL)
    question = await expect_text(ana, language, "signup.ask-password")
    refused = await ana.send(short)
    await ana.expect(why)
    await ana.send(PASSWORD)
    await expect_text(ana, language, "signup.ask-password-again")
    [answer] = said_to(ana, refused)
    assert deleted in answer.text
    assert why in answer.text and question.text.split("\n")[0] in answer.text


async def test_unexpected_input_mid_flow_gets_a_hint_and_keeps_the_step(bot: Harness) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    await ana.send_sticker()
    hint = await ana.reply()
    assert "solo entiendo mensajes de texto" in hint.text and "RFC" in hint.text
    await ana.send_photo()
    assert "RFC" in (await ana.reply()).text
    await ana.send("/confirmar")
    assert "¿Dejamos lo que estábamos haciendo?" in (await ana.reply()).text
    await ana.press("No, seguir")
    assert "RFC" in (await ana.expect("Seguimos donde íbamos")).text
    await ana.send("/ayuda")
    assert "/registro" in (await ana.reply()).text
    assert "RFC" in (await ana.reply()).text
    await ana.send(RFC_FISICA)
    await ana.expect("Elige una contraseña")


async def test_a_command_at_the_password_step_is_not_taken_as_a_password(bot: Harness) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    await ana.send("ana@example.mx")
    await ana.send(RFC_FISICA)
    await ana.expect("Elige una contraseña")
    message = await ana.send("/registro")
    assert "No esperaba eso" in (await ana.reply()).text
    assert not message.deleted


async def test_a_command_of_another_flow_asks_once_and_yes_starts_it(bot: Harness, smtp) -> None:
    ana = bot.person()
    await ana.send("/confirmar")
    await ana.expect("Pega aquí")
    command = await ana.send("/registro")
    [question] = said_to_when_answered(ana, command, await ana.expect("¿Dejamos"))
    assert question.text.startswith("¿Dejamos lo que estábamos haciendo?")
    assert "/registro" in question.text and "Primero terminemos" not in question.text
    assert question.button_texts() == ["Sí, dejarlo", "No, seguir"]
    await ana.press("Sí, dejarlo")
    await ana.expect("Escribe tu correo electrónico")
    await ana.send("ana@example.mx")  # the sign-up is the flow in hand now
    await ana.expect("RFC")


async def test_no_keeps_the_draft_and_asks_the_same_question_again(bot: Harness) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    await ana.send("/empresa")  # a flow registered after the sign-up's
    question = await ana.expect("¿Dejamos lo que estábamos haciendo?")
    assert "/empresa" in question.text
    await ana.press("No, seguir")
    again = await ana.expect("Seguimos donde íbamos")
    assert "escribe el RFC" in again.text
    await ana.send(RFC_FISICA)
    await ana.expect("Elige una contraseña")
    await ana.send(PASSWORD)
    await ana.expect("otra vez")
    await ana.send(PASSWORD)
    summary = await ana.expect("Revisa tus datos")
    assert "ana@example.mx" in summary.text  # nothing typed before was lost


async def test_a_command_of_another_flow_at_the_password_step_is_kept_and_asked_about(
    bot: Harness,
) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    await ana.send("ana@example.mx")
    await ana.send(RFC_FISICA)
    await ana.expect("Elige una contraseña")
    command = await ana.send("/entrar")
    await ana.expect("¿Dejamos lo que estábamos haciendo?")
    assert not command.deleted
    await ana.press("Sí, dejarlo")
    await ana.expect("correo electrónico")
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await ana.send("/registro")  # the sign-up left behind starts anew
    await ana.expect("Escribe tu correo electrónico")


async def test_a_command_of_another_flow_asks_in_english(bot: Harness) -> None:
    bruce = bot.person(first_name="Bruce", language_code="en")
    await bruce.send("/signup")
    await bruce.expect("email address")
    await bruce.send("/login")
    question = await bruce.expect("Shall we leave what we were doing?")
    assert "/login" in question.text
    await bruce.press("No, carry on")
    assert "email address" in (await bruce.expect("carry on where we were")).text
    await bruce.send("/reset")
    await bruce.expect("Shall we leave")
    await bruce.press("Yes, leave it")
    await bruce.expect("a quick check")


async def test_old_buttons_say_they_are_stale(bot: Harness) -> None:
    ana = bot.person()
    await ana.send("/start")
    menu = await ana.reply()
    await ana.press("Crear cuenta", message=menu)
    await ana.expect("correo electrónico")
    query = await ana.press("Confirmar cuenta", message=menu)
    hint = await ana.reply()
    assert "Seguimos en lo que estábamos" in hint.text
    assert "correo electrónico" in hint.text
    assert "ya no está activo" in ana.callback_answer(query)["text"]


async def test_cancel_leaves_the_flow_and_nothing_is_created(bot: Harness) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    await ana.send("/cancelar")
    assert "lo dejamos aquí" in (await ana.reply()).text
    await ana.send(RFC_FISICA)
    assert "No estoy seguro" in (await ana.reply()).text
    await ana.send("/cancelar")
    assert "No hay nada que cancelar" in (await ana.reply()).text
    assert await accounts_in(bot.settings.database_url) == []


async def test_every_message_outside_a_flow_gets_an_answer(bot: Harness) -> None:
    ana = bot.person()
    for act in (ana.send("hola"), ana.send_sticker(), ana.send_photo(), ana.send("/foo")):
        await act
        reply = await ana.reply()
        assert "/ayuda" in reply.text
        assert any("Crear cuenta" in b for b in reply.button_texts())
    await ana.send("/ayuda")
    assert "/confirmar" in (await ana.reply()).text


async def test_an_error_is_reported_and_the_step_is_kept(bot: Harness, smtp, monkeypatch) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx", create=False)
    accounts = bot.runtime.services.accounts
    real_register = accounts.register
    calls = []

    async def failing_once(request, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(request)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return await real_register(request, **kwargs)

    monkeypatch.setattr(accounts, "register", failing_once)
    await ana.press("Crear cuenta")
    assert "Algo salió mal" in (await ana.expect("Algo salió mal")).text
    await ana.send("hola")
    assert "Revisa tus datos" in (await ana.expect("No esperaba eso")).text
    await ana.press("Crear cuenta")
    await ana.expect("creada con éxito")
    assert len(await accounts_in(bot.settings.database_url)) == 1


async def test_an_edited_message_is_not_taken_as_the_next_answer(bot: Harness) -> None:
    ana = bot.person()
    await start_sign_up(ana)
    email = await ana.send("ana@example.mx")
    await ana.expect("RFC")
    await ana.edit(email, "otra@example.mx")
    hint = await ana.reply()
    assert "editaste" in hint.text and "RFC" in hint.text
    await ana.send(RFC_FISICA)
    await ana.expect("Elige una contraseña")


async def test_salir_in_the_middle_of_a_flow_signs_the_chat_out(bot: Harness, smtp):
    """On a shared computer, Ana types /salir while /empresa waits for her full name."""
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await journeys.company(ana, "fisica", until="razon_social")
    await ana.send("/salir")
    answer = await ana.reply()
    assert await chat_account(bot.settings.database_url, ana.chat.id) is None, answer.text


async def test_a_photo_at_a_question_with_buttons_asks_it_again_with_its_buttons(
    bot: Harness, smtp
):
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    asked = await journeys.company(ana, "fisica", razon_social="JUAN PEREZ LOPEZ", until="regimen")
    assert asked.button_texts()
    await ana.send_photo()
    again = await ana.expect("régimen fiscal")
    assert again.button_texts() == asked.button_texts(), again.button_texts()
