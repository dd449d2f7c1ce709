"""Signing in, and the company's fiscal data (/empresa): the whole form for a persona moral
and a física, values refused and asked again, a field changed from the summary, the data
shown to another chat, skipping, and a restart mid-form."""

from __future__ import annotations

import signal

import pytest

from emulator import Person
from emulator.world import Message
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import PASSWORD, RFC_FISICA, RFC_MORAL, answer_part, companies_in


def said(person: Person, fragment: str) -> Message:
    """The bot's first message in this chat that contains `fragment`."""
    return next(m for m in person.bot_messages() if fragment in (m.text or ""))


async def test_sign_in_right_and_wrong(bot: Harness, smtp) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    phone = bot.person()
    wrong = await journeys.sign_in(phone, "ana@example.mx", "no es mi contraseña")
    assert wrong.text.startswith("Correo o contraseña incorrectos. Revisa ambos")
    assert "Entrar" in wrong.button_texts()[0]  # the flow ended: its advice works at once
    unknown = await journeys.sign_in(phone, "nadie@example.mx", PASSWORD)
    assert unknown.text == wrong.text
    right = await journeys.sign_in(phone, "ana@example.mx")
    assert "entraste como ana@example.mx" in right.text
    typed = [
        m for m in phone.messages if not m.from_bot and m.text in (PASSWORD, "no es mi contraseña")
    ]
    assert len(typed) == 3 and all(m.deleted for m in typed)
    await phone.send("/salir")
    assert "Cerraste la sesión" in (await phone.reply()).text
    await phone.send("/salir")
    assert "no tiene una sesión abierta" in (await phone.reply()).text


async def test_unconfirmed_account_answers_as_a_wrong_password_and_says_how_to_confirm(
    bot: Harness, smtp
) -> None:
    await journeys.sign_up(bot.person(), "ana@example.mx")
    answer = await journeys.sign_in(bot.person(), "ana@example.mx")
    assert "aún no está confirmada" in answer.text and "/reenviar" in answer.text


@pytest.mark.postgres
async def test_whole_form_for_a_persona_moral(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    regimes = await journeys.company(ana, until="regimen")
    codes = [b.split(" ")[0] for b in regimes.button_texts()]
    assert codes[0] == "601" and "603" in codes and "605" not in codes and "612" not in codes
    await journeys.answer(ana, regimes, journeys.Press("601 ·"))
    colonias = await journeys.company(ana, command=None, since="codigo_postal", until="colonia")
    assert colonias.button_texts() == ["Juárez", "✏️ Otra"]
    await journeys.answer(ana, colonias, "Juárez")
    summary = await journeys.company(ana, command=None, since="telefono")
    assert "timbrar XML" in said(ana, "datos fiscales de tu empresa").text
    assert RFC_MORAL in said(ana, "Tu RFC es").text
    assert "EMPRESA PATITO" in said(ana, "sin el régimen capital").text
    assert "Cuauhtémoc, Ciudad de México" in said(ana, "¿Es correcto?").text
    for shown in (
        "Razón social: EMPRESA PATITO",
        "Régimen fiscal: 601 · General de Ley Personas Morales",
        "Código postal: 06600",
        "Número interior: —",
        "Municipio o alcaldía: Cuauhtémoc",
        "Estado: Ciudad de México",
        "Teléfono: 5512345678",
        "Correo de contacto: empresa@example.mx",
        "Colonia: Juárez",
        "Lugar de expedición (C.P.): 06600",
    ):
        assert shown in summary.text
    await ana.press("Guardar")
    await ana.expect("Datos de la empresa guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert company.razon_social == "EMPRESA PATITO" and company.regimen_fiscal == "601"
    assert company.numero_interior is None
    assert (company.colonia, company.colonia_clave) == ("Juárez", "0930")
    assert company.lugar_expedicion == "06600"


async def test_persona_fisica_gets_its_regimes_and_bad_values_are_asked_again(
    bot: Harness, smtp
) -> None:
    juan = bot.person()
    await journeys.confirmed(juan, smtp.mailbox, "juan@example.mx", RFC_FISICA)
    asked = await journeys.company(juan, "fisica", until="razon_social")
    question = answer_part(asked)  # the intro pressed, edited into the question
    assert "razón social" not in question and "Constancia de Situación Fiscal" in question
    await juan.send("juan pérez, s.a.")  # a persona física is not offered the suffix drop
    regimes = await juan.expect("régimen fiscal")
    codes = [b.split(" ")[0] for b in regimes.button_texts()]
    assert codes[:2] == ["626", "612"] and "601" not in codes
    assert codes[-2:] == ["605", "616"]  # a receptor's régimenes in practice, last
    await juan.send("601")
    assert "no aplica a una persona física" in (await juan.reply()).text
    await juan.expect("régimen fiscal")
    await juan.send("612")
    await juan.expect("código postal")
    # 6600 is not taken for 06600: a postal code has five digits, as SAT writes it.
    refused = (("6600", "5 dígitos"), ("00001", "No encuentro ese código postal"))
    for typed, reason in refused:
        await juan.send(typed)
        assert reason in (await juan.reply()).text
        await juan.expect("código postal")
    await juan.send("01001")  # SAT gives it an estado but no municipio
    await juan.expect("corresponde a Ciudad de México")
    await juan.press("No")
    await juan.expect("calle")
    # What is typed, then what the bot says, in order: a refused value gets its reason
    # and the same question again.
    for typed, *said in (
        ("Reforma", "número exterior"),
        ("S/N", "número interior"),
        ("Depto 4", "no registra colonias para el código postal 01001"),
        ("Centro", "estado"),
        ("Narnia", "No reconozco ese estado", "estado"),
        ("cdmx", "municipio"),
        ("Cuauhtémoc", "teléfono"),
        ("12345", "10 dígitos", "teléfono"),
        ("+52 55 9876 5432", "correo de contacto"),
        ("contabilidad@example.mx", "lugar de expedición"),
    ):
        await juan.send(typed)
        for words in said:
            await juan.expect(words)
    await juan.press("Desde mi domicilio fiscal")
    summary = await juan.expect("Revisa los datos")
    assert "JUAN PÉREZ, S.A." in summary.text and "612 · Personas Físicas" in summary.text
    assert "Número interior: Depto 4" in summary.text and "Teléfono: 5598765432" in summary.text
    assert "Estado: Ciudad de México" in summary.text


async def test_one_field_changed_from_the_summary(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    summary = await journeys.change_field(
        ana, "Teléfono", "8112345678", await journeys.company(ana)
    )
    assert "Teléfono: 8112345678" in summary.text and "Calle: Av. Insurgentes Sur" in summary.text
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert company.telefono == "8112345678"


async def test_empresa_without_sign_in_asks_for_it_and_shows_stored_data(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, save=True)

    laptop = bot.person()
    await laptop.send("/empresa")
    await laptop.expect("primero entra")
    await laptop.expect("correo electrónico")
    await laptop.send("empresa@example.mx")
    await laptop.send(PASSWORD)
    await laptop.expect("entraste")
    stored = await laptop.expect("datos de tu empresa que tenemos guardados")
    assert "EMPRESA PATITO" in stored.text and "Juárez" in stored.text
    assert "✏️ Razón social" in stored.button_texts()


async def test_skipping_says_how_to_come_back(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await ana.press("Omitir por ahora", await journeys.company(ana, until="start"))
    assert "/empresa" in (await ana.expect("lo dejamos para después")).text
    assert await companies_in(bot.settings.database_url) == []


@pytest.mark.postgres
async def test_restart_mid_form_resumes_at_the_same_field(harness: Harness, smtp) -> None:
    await harness.spawn()
    ana = harness.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    monterrey: dict[str, journeys.Answer | None] = {
        "razon_social": "Empresa Patito",
        "capital": None,
        "codigo_postal": "64000",
        "numero_exterior": "10",
        "colonia": journeys.Type("Centro"),
        "telefono": "8180001234",
    }
    await journeys.company(ana, until="calle", **monterrey)

    assert await harness.terminate(signal.SIGTERM) == 0
    await harness.spawn()

    await ana.send("Morelos")
    summary = await journeys.company(ana, command=None, since="numero_exterior", **monterrey)
    assert "Monterrey" in summary.text and "Nuevo León" in summary.text
    assert "EMPRESA PATITO" in summary.text


async def test_hidden_characters_are_refused_and_the_form_still_completes(
    bot: Harness, smtp
) -> None:
    """NUL, a right-to-left override or a zero-width space get the reason and the same
    question; a line break is just a space. Nothing hidden reaches the database."""
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, until="razon_social")
    for typed in ("Empresa\x00 Patito", "\u202eotitaP aserpmE", "Empresa\u200b Patito"):
        await ana.send(typed)
        assert "caracteres invisibles" in (await ana.reply()).text, repr(typed)
        await ana.expect("razón social")
    await ana.send("Empresa Patito")
    await journeys.company(ana, command=None, since="regimen", until="calle")
    await ana.send("Av. Insurgentes\x00")
    assert "caracteres invisibles" in (await ana.reply()).text
    await ana.expect("calle")
    await ana.send("Av. Insurgentes\nSur")
    roma = journeys.Type("Roma Norte")
    await journeys.company(ana, command=None, since="numero_exterior", until="correo", colonia=roma)
    await ana.send("conta\u202e@example.mx")
    assert "caracteres invisibles" in (await ana.reply()).text
    await ana.expect("correo de contacto")
    await ana.send("conta@example.mx")
    summary = await journeys.company(ana, command=None, since="lugar")
    assert "Calle: Av. Insurgentes Sur" in summary.text
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert company.razon_social == "EMPRESA PATITO" and company.calle == "Av. Insurgentes Sur"
    assert company.correo_contacto == "conta@example.mx"


async def test_persona_fisica_refused_name_is_called_its_name(bot: Harness, smtp) -> None:
    juan = bot.person()
    await journeys.confirmed(juan, smtp.mailbox, "juan@example.mx", RFC_FISICA)
    await journeys.company(juan, "fisica", until="razon_social")
    await juan.send("...")
    refused = await juan.reply()
    assert "razón social" not in refused.text
