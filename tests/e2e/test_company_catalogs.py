"""The company form with SAT's CFDI 4.0 catalogs (issue 14), through the emulator: régimen
vigencia, postal code 00000, colonias as buttons with their SAT code, estado and municipio
that must fit the postal code, the municipio of a postal code SAT gives none, the lugar de
expedición, and a restart in the middle of the colonias."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import select

from emulator import Person
from emulator.world import Message
from handlers.company.keyboards import COLONIA, PAGE_SIZE
from storage import repositories
from storage.db import create_engine, create_session_factory
from storage.models import Account
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import RFC_FISICA, RFC_MORAL, companies_in

# The answers of these tests where they differ from the journey's: a name without the
# régimen capital's suffix (so no question about it), full-width digits (stored as 123).
PATITO: dict[str, journeys.Answer | None] = {
    "razon_social": "Empresa Patito",
    "capital": None,
    "calle": "Insurgentes Sur",
    "numero_exterior": "１２３",
    "telefono": "+52 1 55 1234 5678",
}
PATITO_FISICA = {k: v for k, v in PATITO.items() if k != "capital"}  # not asked of her


async def at_postal_code(bot: Harness, smtp, rfc: str = RFC_MORAL) -> Person:  # type: ignore[no-untyped-def]
    """A signed-in person whose form waits for the postal code."""
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", rfc)
    persona: journeys.Persona = "moral" if rfc == RFC_MORAL else "fisica"
    answers = PATITO if persona == "moral" else PATITO_FISICA
    await journeys.company(ana, persona, until="codigo_postal", **answers)
    return ana


async def place_refused(ana: Person, postal_code: str, place: str) -> Message:
    """The postal code typed, the `place` proposed for it refused («No»), and the street
    given: the colonia's question (returned); estado and municipio are asked after it."""
    await ana.send(postal_code)
    await ana.expect(place)
    await ana.press("No")
    return await journeys.company(ana, command=None, since="calle", until="colonia", **PATITO)


async def to_colonia(ana: Person, postal_code: str) -> Message:
    """From the postal code, asked, to the colonia's question (returned), the place accepted."""
    await ana.send(postal_code)
    return await journeys.company(ana, command=None, since="place", until="colonia", **PATITO)


async def to_summary(ana: Person) -> Message:
    """From the phone to the summary (returned), issuing from the domicilio's postal code."""
    return await journeys.company(ana, command=None, since="telefono", **PATITO)


async def test_regime_609_is_refused_for_a_persona_moral(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    asked = await journeys.company(ana, until="razon_social")
    assert "exactamente como aparece en tu Constancia de Situación Fiscal" in asked.text
    await ana.send("Empresa Patito | Hermanos")
    assert "«|»" in (await ana.reply()).text
    regimes = await journeys.company(
        ana, command=None, since="razon_social", until="regimen", **PATITO
    )
    assert not any(b.startswith(("609", "628", "629", "630")) for b in regimes.button_texts())
    await ana.send("609")
    assert "ya no está vigente" in (await ana.reply()).text
    again = await ana.expect("régimen fiscal")
    assert again.button_texts() == regimes.button_texts()
    await ana.send("601")
    await ana.expect("código postal")


async def test_postal_code_00000_is_refused_and_foreign_digits_are_read_as_ascii(
    bot: Harness, smtp
) -> None:
    ana = await at_postal_code(bot, smtp)
    await ana.send("00000")
    assert "solo como relleno" in (await ana.reply()).text
    await ana.expect("código postal")
    await ana.send("٠٦٦٠٠")  # Arabic-Indic digits
    await ana.expect("06600 corresponde a Cuauhtémoc, Ciudad de México")
    await ana.press("Sí, es correcto")
    await journeys.company(ana, command=None, since="calle", until="telefono", **PATITO)
    await ana.send("0000000000")
    assert "no parece un teléfono real" in (await ana.reply()).text
    summary = await to_summary(ana)
    assert "Número exterior: 123" in summary.text and "Teléfono: 5512345678" in summary.text
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert (company.codigo_postal, company.numero_exterior) == ("06600", "123")
    assert company.telefono == "5512345678"


async def test_06600_with_jalisco_is_refused_naming_its_estado_and_municipio(
    bot: Harness, smtp
) -> None:
    ana = await at_postal_code(bot, smtp)
    colonias = await place_refused(ana, "06600", "Cuauhtémoc, Ciudad de México")
    await ana.press("Juárez", colonias)
    await ana.expect("estado")
    await ana.send("Jalisco")
    refusal = await ana.reply()
    assert "06600 es de Ciudad de México" in refusal.text, refusal.text
    await ana.expect("estado")
    await ana.send("CDMX")
    municipios = await ana.expect("municipio o alcaldía de Ciudad de México")
    assert "Álvaro Obregón" in municipios.button_texts()[0]
    await ana.send("Coyoacán")
    assert "06600 es del municipio Cuauhtémoc" in (await ana.reply()).text
    await ana.expect("municipio")
    await ana.press("Cuauhtémoc")
    summary = await to_summary(ana)
    assert "Estado: Ciudad de México" in summary.text
    assert "Municipio o alcaldía: Cuauhtémoc" in summary.text


async def test_estado_aliases_are_read_end_to_end(bot: Harness, smtp) -> None:
    ana = await at_postal_code(bot, smtp)
    colonias = await place_refused(ana, "64000", "Nuevo León")
    await ana.press("Monterrey Centro", colonias)
    await ana.expect("estado")
    await ana.send("Q. Roo")  # read as Quintana Roo, which 64000 is not in
    assert "64000 es de Nuevo León" in (await ana.reply()).text
    await ana.send("NL")
    await ana.expect("municipio o alcaldía de Nuevo León")
    await ana.send("monterrey")
    summary = await to_summary(ana)
    assert (
        "Estado: Nuevo León" in summary.text and "Municipio o alcaldía: Monterrey" in summary.text
    )


async def test_a_postal_code_without_municipio_asks_it_from_buttons_and_a_branch_is_asked(
    bot: Harness, smtp
) -> None:
    juan = await at_postal_code(bot, smtp, RFC_FISICA)
    await juan.send("01001")  # SAT gives it an estado, no municipio and no colonias
    await juan.expect("01001 corresponde a Ciudad de México")
    await juan.press("Sí, es correcto")
    asked = await journeys.company(
        juan, "fisica", command=None, since="calle", until="colonia", **PATITO_FISICA
    )
    assert "no registra colonias para el código postal 01001" in asked.text
    await juan.send("Centro")
    first = await juan.expect("municipio o alcaldía de Ciudad de México")
    assert len(first.button_texts()) == PAGE_SIZE + 1  # eight and «Más»
    assert "Xochimilco" not in first.button_texts()
    # The pages turn on the same message; each press waits for its button to be shown.
    await juan.press("Más", message=first)
    await juan.press("Anteriores", message=None)
    await juan.press("Más")
    await juan.press("Xochimilco")
    await juan.expect("teléfono")
    assert first.button_texts() == []  # closed once chosen
    await juan.send("52 55 1234 5678")
    await juan.send("juan@example.mx")
    lugar = await juan.expect("lugar de expedición")
    assert lugar.button_texts() == [
        "Desde mi domicilio fiscal (01001)",
        "Desde otro código postal (sucursal)",
    ]
    await juan.press("Desde otro código postal")
    await juan.expect("desde donde emites tus facturas")
    await juan.send("00000")
    assert "solo como relleno" in (await juan.reply()).text
    await juan.expect("desde donde emites tus facturas")
    await juan.send("44100")
    summary = await juan.expect("Revisa los datos")
    assert "Municipio o alcaldía: Xochimilco" in summary.text
    assert "Lugar de expedición (C.P.): 44100" in summary.text
    await juan.press("Guardar")
    await juan.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert (company.municipio, company.lugar_expedicion) == ("Xochimilco", "44100")
    assert (company.colonia, company.colonia_clave) == ("Centro", None)


async def test_a_postal_code_sat_moved_in_2026_proposes_its_new_municipio_and_keeps_its_code(
    bot: Harness, smtp
) -> None:
    ana = await at_postal_code(bot, smtp)
    await ana.send("80450")  # Culiacán's until SAT created ElDorado in January 2026
    await ana.expect("80450 corresponde a ElDorado, Sinaloa")
    await ana.press("Sí, es correcto")
    summary = await journeys.company(
        ana, command=None, since="calle", **PATITO | {"colonia": "Aviación"}
    )
    assert "Municipio o alcaldía: ElDorado" in summary.text
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert (company.municipio, company.municipio_clave) == ("ElDorado", "019")


async def test_a_new_municipio_for_a_postal_code_of_another_is_refused_naming_it(
    bot: Harness, smtp
) -> None:
    ana = await at_postal_code(bot, smtp)
    colonias = await place_refused(ana, "80000", "Culiacán, Sinaloa")
    await journeys.answer(ana, colonias, journeys.Type("Centro"))
    await ana.expect("estado")
    await ana.send("Sinaloa")
    await ana.expect("municipio o alcaldía de Sinaloa")
    await ana.send("Eldorado")
    assert "80000 es del municipio Culiacán" in (await ana.reply()).text
    await ana.expect("municipio")
    await ana.send("culiacan")
    summary = await to_summary(ana)
    assert "Municipio o alcaldía: Culiacán" in summary.text


async def test_colonias_come_in_pages_and_a_stale_or_forged_page_does_no_harm(
    bot: Harness, smtp
) -> None:
    ana = await at_postal_code(bot, smtp)
    first = await to_colonia(ana, "09800")  # eleven colonias in Iztapalapa
    assert first.button_texts()[0] == "Barrio San Antonio Culhuacán"
    assert first.button_texts()[-2:] == ["Más ▶️", "✏️ Otra"]
    assert "San Simón Culhuacán" not in first.button_texts()
    forged = {
        "id": "forged-page",
        "from": ana.user.to_api(),
        "message": first.to_api(),
        "chat_instance": str(ana.chat.id),
        "data": f"{COLONIA}09800:p99",  # past the last page: shows the last
    }
    ana.bot.open_callbacks["forged-page"] = forged
    await ana.bot.push_update({"callback_query": forged})
    await ana.press("◀️ Anteriores")  # the last page, shown on the same message
    await ana.press("Más ▶️")
    await ana.press("San Simón Culhuacán")
    summary = await to_summary(ana)
    assert "Colonia: San Simón Culhuacán" in summary.text
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert company.colonia == "San Simón Culhuacán" and company.colonia_clave is not None
    assert all("salió mal" not in m.text for m in ana.bot_messages() if m.text)


async def test_otra_colonia_typed_and_the_new_fields_changed_from_the_summary(
    bot: Harness, smtp
) -> None:
    ana = await at_postal_code(bot, smtp)
    await to_colonia(ana, "06600")
    await ana.press("Otra")
    await ana.expect("Escribe el nombre de tu colonia")
    await ana.send("Colonia Que SAT No Lista")
    summary = await to_summary(ana)
    assert "Colonia: Colonia Que SAT No Lista" in summary.text
    await ana.press("✏️ Colonia")
    await ana.expect("Elige tu colonia")
    await ana.send("  JUAREZ ")  # typed, any case or accents: SAT's name and code
    summary = await ana.expect("Revisa los datos")
    assert "Colonia: Juárez" in summary.text
    await ana.press("✏️ Lugar de expedición")
    await ana.press("Desde otro código postal")
    await ana.send("44100")
    summary = await ana.expect("Revisa los datos")
    assert "Lugar de expedición (C.P.): 44100" in summary.text
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert (company.colonia, company.colonia_clave) == ("Juárez", "0930")
    assert company.lugar_expedicion == "44100"


async def at_summary_in_06600(bot: Harness, smtp) -> Person:  # type: ignore[no-untyped-def]
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, **PATITO)
    await ana.press("✏️ C.P.")
    return ana


async def test_a_new_postal_code_from_the_summary_asks_its_street_place_colonia_and_lugar_again(
    bot: Harness, smtp
) -> None:
    ana = await at_summary_in_06600(bot, smtp)
    await ana.send("64000")
    await ana.press("Sí, es correcto")
    await ana.expect("calle")  # the old street was in the old postal code
    await ana.send("Av. Constitución")
    await ana.expect("número exterior")
    await ana.send("400")
    await ana.expect("número interior")
    await ana.send("Local 2")
    await ana.press("Monterrey Centro")
    lugar = await ana.expect("lugar de expedición")
    assert "Desde mi domicilio fiscal (64000)" in lugar.button_texts()
    await ana.press("Desde mi domicilio fiscal")
    summary = await ana.expect("Revisa los datos")
    assert "Colonia: Monterrey Centro" in summary.text and "Estado: Nuevo León" in summary.text
    assert "Calle: Av. Constitución" in summary.text and "Insurgentes" not in summary.text
    assert "Número exterior: 400" in summary.text and "Número interior: Local 2" in summary.text
    assert "Lugar de expedición (C.P.): 64000" in summary.text
    assert "Teléfono: 5512345678" in summary.text  # what did not depend on it is kept
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert (company.calle, company.numero_exterior) == ("Av. Constitución", "400")
    assert (company.colonia, company.codigo_postal) == ("Monterrey Centro", "64000")


async def test_the_same_postal_code_typed_again_keeps_the_street(bot: Harness, smtp) -> None:
    ana = await at_summary_in_06600(bot, smtp)
    await ana.send("06600")
    await ana.press("Sí, es correcto")
    await ana.press("Juárez")
    summary = await ana.expect("Revisa los datos")
    assert "Calle: Insurgentes Sur" in summary.text and "Número exterior: 123" in summary.text


@pytest.mark.postgres
async def test_restart_in_the_middle_of_the_colonias_keeps_the_page_and_the_draft(
    harness: Harness, smtp
) -> None:
    await harness.spawn()
    ana = await at_postal_code(harness, smtp)
    await to_colonia(ana, "09800")

    assert await harness.terminate(signal.SIGTERM) == 0
    await harness.spawn()

    await ana.press("Más")  # a button sent before the restart still means the same
    await ana.press("San Simón Culhuacán")
    summary = await to_summary(ana)
    assert "Colonia: San Simón Culhuacán" in summary.text and "EMPRESA PATITO" in summary.text


async def saved_before_a_migration(bot: Harness, smtp, values: dict[str, str]) -> Person:  # type: ignore[no-untyped-def]
    """A confirmed account whose company was saved by an older version: `values` only."""
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    engine = create_engine(bot.settings.database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            [account] = (await session.scalars(select(Account))).all()
            await repositories.save_company(session=session, account_id=account.id, values=values)
    finally:
        await engine.dispose()
    await ana.send("/empresa")
    await ana.expect("ahora pide el SAT")
    return ana


async def test_data_saved_before_the_lugar_de_expedicion_asks_it_at_the_next_empresa(
    bot: Harness, smtp
) -> None:
    old = {
        "razon_social": "EMPRESA PATITO",
        "regimen_fiscal": "601",
        "codigo_postal": "06600",
        "calle": "Reforma",
        "numero_exterior": "1",
        "colonia": "Juárez",
        "estado": "Ciudad de México",
        "municipio": "Cuauhtémoc",
        "telefono": "5512345678",
        "correo_contacto": "empresa@example.mx",
    }  # as saved before migration 0008: no colonia_clave, no lugar_expedicion
    ana = await saved_before_a_migration(bot, smtp, old)
    await ana.expect("lugar de expedición")
    await ana.press("Desde mi domicilio fiscal (06600)")
    summary = await ana.expect("Revisa los datos")
    assert "EMPRESA PATITO" in summary.text and "Lugar de expedición (C.P.): 06600" in summary.text
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert company.lugar_expedicion == "06600" and company.calle == "Reforma"
    assert company.municipio_clave == "015"  # found from its name and postal code


async def test_data_saved_with_a_municipio_its_postal_code_lacks_asks_it_at_the_next_empresa(
    bot: Harness, smtp
) -> None:
    """Until SAT's 2026 postal codes were shipped, any new municipio of the estado was taken:
    22000 (Tijuana) with San Quintín has no SAT code to find, so it is asked again."""
    old = {
        "razon_social": "EMPRESA PATITO",
        "regimen_fiscal": "601",
        "codigo_postal": "22000",
        "calle": "Revolución",
        "numero_exterior": "1",
        "colonia": "Zona Centro",
        "estado": "Baja California",
        "municipio": "San Quintin",
        "telefono": "6641234567",
        "correo_contacto": "empresa@example.mx",
        "lugar_expedicion": "22000",
    }  # as saved before migration 0010: no municipio_clave
    ana = await saved_before_a_migration(bot, smtp, old)
    await ana.expect("municipio o alcaldía de Baja California")
    await ana.send("San Quintín")
    assert "22000 es del municipio Tijuana" in (await ana.reply()).text
    await ana.press("Tijuana")
    summary = await ana.expect("Revisa los datos")
    assert "Municipio o alcaldía: Tijuana" in summary.text
    await ana.press("Guardar")
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert (company.municipio, company.municipio_clave, company.calle) == (
        "Tijuana",
        "004",
        "Revolución",
    )
