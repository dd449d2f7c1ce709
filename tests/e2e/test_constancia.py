"""The Constancia de Situación Fiscal fills the company form (/empresa, /constancia): its PDF,
sent right after confirming, from the form's intro, at any of its steps or outside any flow,
is read, checked against the account's RFC and its own QR code, matched to SAT's catalogs
and shown as the form's summary, with only what it lacks asked; what is not a Constancia,
or not this account's, is refused with its reason and the same question again."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from emulator import Person
from services.catalogs import SatCatalogs
from tests import journeys
from tests.csf_pdfs import (
    CsfSpec,
    csf_pdf,
    encrypted_pdf,
    other_pdf,
    pages_pdf,
    photo_pdf,
    truncated_pdf,
)
from tests.e2e.conftest import Harness
from tests.factories import RFC_FISICA, RFC_MORAL, companies_in, label

YESTERDAY = date.today() - timedelta(days=1)
# A Constancia of the account's RFC whose domicilio SAT's catalogs know: 06600 is in
# Cuauhtémoc, Ciudad de México, and SAT writes its colonia «Juárez» (the CSF: JUAREZ).
MORAL = CsfSpec(
    rfc=RFC_MORAL,
    denominacion="EMPRESA PATITO",
    codigo_postal="06600",
    tipo_vialidad="AVENIDA",
    nombre_vialidad="INSURGENTES SUR",
    numero_exterior="123",
    numero_interior="",
    colonia="JUAREZ",
    municipio="CUAUHTEMOC",
    entidad_federativa="CIUDAD DE MEXICO",
    correo="contacto@patito.mx",
    lada="55",
    numero="12345678",
    fecha_emision=YESTERDAY,
)
FISICA = replace(
    MORAL,
    rfc=RFC_FISICA,
    persona="fisica",
    denominacion="",
    regimen_capital="",
    curp="GODE561231MDFRRL09",
    nombre="ELENA",
    primer_apellido="GÓMEZ",
    segundo_apellido="DÍAZ",
    regimenes=(
        ("Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios",
         "01/01/2015", "31/12/2020"),
        ("Régimen de las Personas Físicas con Actividades Empresariales y Profesionales",
         "01/01/2021", None),
        ("Régimen Simplificado de Confianza", "01/01/2022", None),
    ),
)  # fmt: skip
JUAREZ = next(c.code for c in SatCatalogs.shared().colonias_of("06600") if c.name == "Juárez")


async def confirmed(bot: Harness, smtp: Any, rfc: str = RFC_MORAL, language: str = "es") -> Person:
    ana = bot.person(language_code=language)
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", rfc, language=language)
    return ana


@pytest.mark.postgres
async def test_a_constancia_sent_after_confirming_is_saved_in_one_tap(bot: Harness, smtp) -> None:
    """One régimen in force, every field there: the summary comes at once, «Guardar» saves
    it, with SAT's names and codes, the idCIF and the Constancia's date."""
    ana = await confirmed(bot, smtp)
    read = await journeys.constancia(ana, csf_pdf(MORAL), start="Enviar mi Constancia")
    assert "12345678901" in read.text
    summary = read  # the Constancia read, then the summary, in one message
    assert "Revisa los datos de tu empresa" in summary.text
    for shown in (
        "EMPRESA PATITO",
        "601 · General de Ley Personas Morales",
        "AVENIDA INSURGENTES SUR",
    ):
        assert shown in summary.text
    for shown in ("Juárez", "Cuauhtémoc", "Ciudad de México", "5512345678", "contacto@patito.mx"):
        assert shown in summary.text
    await ana.press("Guardar", message=summary)
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert (company.razon_social, company.regimen_fiscal) == ("EMPRESA PATITO", "601")
    assert (company.colonia, company.colonia_clave) == ("Juárez", JUAREZ)
    assert (company.municipio, company.municipio_clave, company.estado) == (
        "Cuauhtémoc",
        "015",
        "Ciudad de México",
    )
    assert (company.calle, company.numero_exterior, company.numero_interior) == (
        "AVENIDA INSURGENTES SUR",
        "123",
        None,
    )
    assert (company.telefono, company.correo_contacto) == ("5512345678", "contacto@patito.mx")
    assert company.lugar_expedicion == "06600"
    assert (company.id_cif, company.csf_emitida) == ("12345678901", YESTERDAY)


async def test_several_regimenes_in_force_are_chosen_among_the_constancias(
    bot: Harness, smtp
) -> None:
    """A persona física with two régimenes in force and one ended: the two are the buttons;
    her name is nombre and apellidos, as CFDI 4.0 wants it."""
    elena = await confirmed(bot, smtp, RFC_FISICA)
    asked = await journeys.constancia(elena, csf_pdf(FISICA))
    assert "2 regímenes vigentes" in asked.text
    assert [b.split(" ·")[0] for b in asked.button_texts()] == ["612", "626"]
    await elena.press("626", message=asked)
    summary = await elena.expect("Revisa los datos de tu empresa")
    assert "ELENA GÓMEZ DÍAZ" in summary.text
    assert "626 · Régimen Simplificado de Confianza" in summary.text


async def test_what_the_constancia_lacks_or_sat_does_not_list_is_asked(bot: Harness, smtp) -> None:
    """No phone on it, and a colonia SAT does not list for its postal code: the colonia is
    asked with the postal code's colonias as buttons, then the phone, then the summary."""
    ana = await confirmed(bot, smtp)
    pdf = csf_pdf(MORAL, colonia="MI COLONIA", lada="", numero="")
    read = await journeys.constancia(ana, pdf)
    assert "Colonia" in read.text  # named among what did not match
    colonias = read
    assert "Elige tu colonia" in colonias.text
    assert "Juárez" in colonias.button_texts()
    await ana.press("Juárez", message=colonias)
    await ana.expect("teléfono")
    await ana.send("55 8765 4321")
    summary = await ana.expect("Revisa los datos de tu empresa")
    assert "5587654321" in summary.text and "Juárez" in summary.text


async def test_a_constancia_mid_form_replaces_what_it_says_and_keeps_the_phone_typed(
    bot: Harness, smtp
) -> None:
    ana = await confirmed(bot, smtp)
    answers = {"razon_social": "Otra Cosa", "capital": None, "telefono": "33 1111 2222"}
    await journeys.company(ana, until="correo", **answers)
    summary = await journeys.constancia(ana, csf_pdf(MORAL, lada="", numero=""), start=None)
    assert "Revisa los datos de tu empresa" in summary.text
    assert "en lugar de los que habías capturado en: Razón social" in summary.text
    assert "EMPRESA PATITO" in summary.text and "Otra Cosa".upper() not in summary.text
    assert "3311112222" in summary.text


async def test_a_constancia_of_another_rfc_or_edited_is_refused_and_asked_again(
    bot: Harness, smtp
) -> None:
    ana = await confirmed(bot, smtp)
    await ana.send("/constancia")
    await ana.expect("Envíame tu Constancia")
    await ana.send_document("Constancia.pdf", csf_pdf(MORAL, rfc="DIM8701081LA"))
    refused = await ana.expect("Esa Constancia es del RFC")
    assert "DIM8701081LA" in refused.text and RFC_MORAL in refused.text
    assert "Envíame tu Constancia" in refused.text  # the same question again
    edited = csf_pdf(MORAL, qr=MORAL.qr_text.replace("12345678901", "99999999999"))  # type: ignore[union-attr]
    await ana.send_document("Constancia.pdf", edited)
    assert "parece modificada" in (await ana.expect("código QR")).text
    await ana.send_document("Constancia.pdf", csf_pdf(MORAL, qr=None))
    await ana.expect("No encontré el código QR")
    read = await journeys.constancia(ana, csf_pdf(MORAL), start=None)  # nothing was lost
    assert "Revisa los datos de tu empresa" in read.text


async def test_what_is_not_a_constancia_is_told_what_it_is(bot: Harness, smtp) -> None:
    """Each with its own reason and the question again: a quote, a scan, a PDF with a
    password, half a PDF, 40 pages, a Word file, 5 MB, a photo, typed text."""
    ana = await confirmed(bot, smtp)
    await ana.send("/constancia")
    await ana.expect("Envíame tu Constancia")
    for name, data, reason in (
        ("cotizacion.pdf", other_pdf(), "no es una Constancia de Situación Fiscal"),
        ("escaneo.pdf", photo_pdf(), "parece una foto o un escaneo"),
        ("Constancia.pdf", encrypted_pdf(), "tiene contraseña"),
        ("Constancia.pdf", truncated_pdf(), "incompleto o dañado"),
        ("Constancia.pdf", pages_pdf(40), "demasiadas páginas"),
        ("Constancia.docx", b"PK\x03\x04", "no es un PDF"),
    ):
        sent = await ana.send_document(name, data)
        answer = await ana.expect(reason)
        assert "Envíame tu Constancia" in answer.text, name
    word = sent
    big = await ana.send_document("grande.pdf", size=5 * 1024 * 1024)
    await ana.expect("pesa más de 3 MB")
    # Refused by what Telegram announces: neither was downloaded, nor even asked for.
    for refused in (word, big):
        assert bot.emulator.files.fetched(refused.extra["document"]["file_id"]) == 0
    await ana.send_photo()
    await ana.expect("Eso es una imagen")
    await ana.send("no la tengo")
    await ana.expect("Estoy esperando el PDF")
    await ana.press("Mejor los escribo")
    await ana.expect("razón social")


async def test_an_old_or_suspended_constancia_is_used_with_a_warning(bot: Harness, smtp) -> None:
    ana = await confirmed(bot, smtp)
    old = YESTERDAY - timedelta(days=120)
    read = await journeys.constancia(ana, csf_pdf(MORAL, estatus="SUSPENDIDO", fecha_emision=old))
    assert "SUSPENDIDO" in read.text and "más de tres meses" in read.text
    assert "Revisa los datos de tu empresa" in read.text


async def test_an_edited_constancias_odd_values_are_read_safely(bot: Harness, smtp) -> None:
    """A status of thousands of characters (Telegram takes 4,096 a message) and a régimen
    dated 31 February: the Constancia is read, the status shown cut, the régimen asked."""
    ana = await confirmed(bot, smtp)
    status = "SUSPENDIDO " + "X" * 4200
    regimen = (("Régimen General de Ley Personas Morales", "31/02/2020", None),)
    read = await journeys.constancia(ana, csf_pdf(MORAL, estatus=status, regimenes=regimen))
    assert "SUSPENDIDO" in read.text and "X" * 100 not in read.text
    assert "régimen fiscal" in read.text


async def test_a_pdf_sent_outside_any_flow_is_read_as_the_constancia(bot: Harness, smtp) -> None:
    ana = await confirmed(bot, smtp)
    read = await journeys.constancia(ana, csf_pdf(MORAL), start=None)
    assert "Revisa los datos de tu empresa" in read.text


async def test_constancia_before_signing_in_asks_for_it_once_signed_in(bot: Harness, smtp) -> None:
    ana = await confirmed(bot, smtp)
    await ana.send("/salir")
    await ana.expect("Cerraste la sesión")
    await ana.send_document("Constancia.pdf", csf_pdf(MORAL))  # not read: said so
    assert "primero entra" in (await ana.expect("no la leí todavía")).text
    await ana.send("/cancelar")
    await ana.send("/constancia")
    await journeys.sign_in(ana, "empresa@example.mx")
    await ana.expect("Envíame tu Constancia")
    read = await journeys.constancia(ana, csf_pdf(MORAL), start=None)
    assert "Revisa los datos de tu empresa" in read.text


async def test_the_constancia_in_english(bot: Harness, smtp) -> None:
    ann = await confirmed(bot, smtp, language="en")
    start = label("en", "company.csf.button-send")
    read = await journeys.constancia(ann, csf_pdf(MORAL), start=start, language="en")
    assert "I read your Constancia" in read.text
    summary = read
    assert "EMPRESA PATITO" in summary.text
    assert "Save" in " ".join(summary.button_texts())


async def test_nothing_of_the_constancia_reaches_the_log(bot: Harness, smtp, caplog) -> None:
    caplog.set_level(logging.INFO)  # the default LOG_LEVEL
    ana = await confirmed(bot, smtp)
    await journeys.constancia(ana, csf_pdf(MORAL))
    await ana.send_document("Constancia.pdf", csf_pdf(MORAL, rfc="DIM8701081LA"))
    await ana.expect("Esa Constancia es del RFC")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "constancia read" in logged  # the outcome is logged, and its size
    for secret in ("12345678901", "PATITO", "INSURGENTES", "contacto@patito.mx", "DIM8701081LA"):
        assert secret not in logged
