"""The CSF read from its text (services/csf.py): the real persona moral CSF's text field by
field, and variants made from it by editing the text as SAT's other layouts print it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from services.csf import Csf, Domicilio, NotACsf, Persona, Regimen, parse_csf_text

# The shared test data beside the checkout (../shared/testdata/csf/, see its README).
FIXTURE = Path(__file__).resolve().parents[3] / "shared/testdata/csf/csf-moral.pdftotext-raw.txt"
MORAL = FIXTURE.read_text(encoding="utf-8")


def edited(old: str, new: str, text: str = MORAL) -> str:
    """The text with one passage replaced (which must be there exactly once)."""
    assert text.count(old) == 1, old
    return text.replace(old, new)


def test_the_real_persona_moral_csf_field_by_field() -> None:
    csf = parse_csf_text(MORAL)

    assert csf == Csf(
        rfc="DIM8701081LA",
        persona=Persona.MORAL,
        denominacion="MI EMPRESA",
        regimen_capital="SOCIEDAD ANONIMA DE CAPITAL VARIABLE",
        curp=None,
        nombre=None,
        primer_apellido=None,
        segundo_apellido=None,
        id_cif="12345678",
        estatus="REACTIVADO",
        domicilio=Domicilio(
            codigo_postal="72030",
            tipo_vialidad="CALLE",
            nombre_vialidad="CALLE MI CALLE",
            numero_exterior="50",
            numero_interior="12 Y 13",
            colonia="MI COLONIA",
            localidad=None,
            municipio="SAN JUAN",
            entidad_federativa="CIUDAD DE MEXICO",
            correo="correo@example.com",
            # Lada 55 and Número 123456 make eight digits, not a Mexican phone.
            telefono=None,
        ),
        regimenes=(Regimen("Régimen General de Ley Personas Morales", date(2008, 6, 5), None),),
        fecha_emision=date(2022, 2, 10),
        lugar_emision="BENITO JUAREZ, CIUDAD DE MEXICO",
    )
    # The name CFDI 4.0 wants is the razón social without the régimen capital.
    assert csf.nombre_cfdi == "MI EMPRESA"


def test_a_ten_digit_phone_is_lada_and_numero_together() -> None:
    csf = parse_csf_text(edited("Lada: 55 Número: 123456", "Lada: 55 Número: 12345678"))

    assert csf.domicilio.telefono == "5512345678"


def test_a_mobile_phone_is_read_when_there_is_no_fixed_one() -> None:
    text = edited(
        "Tel. Fijo Lada: 55 Número: 123456",
        "Tel. Fijo Lada: Número: Tel. Móvil Lada: 33 Número: 12345678",
    )

    assert parse_csf_text(text).domicilio.telefono == "3312345678"


def test_a_persona_fisica_has_her_name_in_three_fields_joined_for_cfdi() -> None:
    text = edited(
        "Denominación/Razón Social: MI EMPRESA\n"
        "Régimen Capital: SOCIEDAD ANONIMA DE CAPITAL VARIABLE\n",
        "CURP: PELJ800101HDFRPN09\n"
        "Nombre (s): JUAN  CARLOS\n"
        "Primer Apellido: PÉREZ\n"
        "Segundo Apellido: DE LA O\n",
    )
    text = text.replace("DIM8701081LA", "PELJ800101AB1")

    csf = parse_csf_text(text)

    assert csf.persona is Persona.FISICA
    assert csf.rfc == "PELJ800101AB1"
    assert csf.curp == "PELJ800101HDFRPN09"
    assert (csf.nombre, csf.primer_apellido, csf.segundo_apellido) == (
        "JUAN CARLOS",
        "PÉREZ",
        "DE LA O",
    )
    assert csf.denominacion is None and csf.regimen_capital is None
    assert csf.nombre_cfdi == "JUAN CARLOS PÉREZ DE LA O"
    assert csf.estatus == "REACTIVADO"


def test_a_persona_fisica_without_segundo_apellido() -> None:
    text = edited(
        "Denominación/Razón Social: MI EMPRESA\n"
        "Régimen Capital: SOCIEDAD ANONIMA DE CAPITAL VARIABLE\n",
        "CURP: SMIJ800101HNEXXX09\nNombre (s): JOHN\nPrimer Apellido: SMITH\nSegundo Apellido:\n",
    ).replace("DIM8701081LA", "SMIJ800101AB1")

    csf = parse_csf_text(text)

    assert csf.segundo_apellido is None
    assert csf.nombre_cfdi == "JOHN SMITH"


def test_several_regimenes_with_ended_ones_and_a_name_on_two_lines() -> None:
    text = edited(
        "Régimen General de Ley Personas Morales 05/06/2008\n",
        "Régimen de Sueldos y Salarios e Ingresos Asimilados a\n"
        "Salarios 01/01/2010 31/12/2015\n"
        "Régimen de las Personas Físicas con Actividades Empresariales y Profesionales 01/01/2016\n"
        "Régimen Simplificado de Confianza 01/01/2022\n",
    )

    assert parse_csf_text(text).regimenes == (
        Regimen(
            "Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios",
            date(2010, 1, 1),
            date(2015, 12, 31),
        ),
        Regimen(
            "Régimen de las Personas Físicas con Actividades Empresariales y Profesionales",
            date(2016, 1, 1),
            None,
        ),
        Regimen("Régimen Simplificado de Confianza", date(2022, 1, 1), None),
    )


@pytest.mark.parametrize("dates", ["31/02/2020", "05/06/2008 00/00/0000", "99/99/9999"])
def test_a_regimen_row_with_a_date_no_calendar_has_is_left_out(dates: str) -> None:
    """An edited table must not stop the reading: the row is not offered, the rest is."""
    text = edited(
        "Régimen General de Ley Personas Morales 05/06/2008\n",
        f"Régimen de Arrendamiento {dates}\nRégimen General de Ley Personas Morales 05/06/2008\n",
    )

    assert parse_csf_text(text).regimenes == (
        Regimen("Régimen General de Ley Personas Morales", date(2008, 6, 5), None),
    )


def test_a_field_split_by_a_page_break_is_read_whole() -> None:
    text = edited("Página [2] de [3]\n", "")
    text = edited(
        "Nombre de la Entidad Federativa: CIUDAD DE MEXICO",
        "Nombre de la Entidad Federativa: CIUDAD DE\nPágina [2] de [3]\nMEXICO",
        text,
    )

    assert parse_csf_text(text).domicilio.entidad_federativa == "CIUDAD DE MEXICO"


def test_a_regimen_split_by_a_page_break_is_read_whole() -> None:
    text = edited(
        "Régimen General de Ley Personas Morales 05/06/2008\n",
        "Régimen General de Ley\nPágina [2] de [3]\nPersonas Morales 05/06/2008\n",
    )

    assert parse_csf_text(text).regimenes == (
        Regimen("Régimen General de Ley Personas Morales", date(2008, 6, 5), None),
    )


def test_an_empty_street_runs_into_the_next_label_and_is_none() -> None:
    text = edited("Nombre de Vialidad: CALLE MI CALLE ", "Nombre de Vialidad: ")

    domicilio = parse_csf_text(text).domicilio

    assert domicilio.nombre_vialidad is None
    assert domicilio.numero_exterior == "50"


def test_the_older_municipio_o_delegacion_label() -> None:
    text = edited("Nombre del Municipio o Demarcación Territorial:", "Municipio o Delegación:")

    domicilio = parse_csf_text(text).domicilio

    assert domicilio.municipio == "SAN JUAN"
    assert domicilio.localidad is None


def test_no_space_after_any_colon() -> None:
    text = re.sub(r"(?m):[ \t]+", ":", MORAL)

    assert parse_csf_text(text) == parse_csf_text(MORAL)


def test_labels_printed_without_accents_or_in_other_case() -> None:
    text = edited("Número Exterior: 50", "NUMERO EXTERIOR: 50")
    text = edited("Nombre de la Colonia:", "Nombre de la colonia:", text)

    domicilio = parse_csf_text(text).domicilio

    assert domicilio.numero_exterior == "50"
    assert domicilio.colonia == "MI COLONIA"
    assert domicilio.nombre_vialidad == "CALLE MI CALLE"


INVOICE = """FACTURA
Folio: A-1024
Emisor: MI EMPRESA SA DE CV
RFC: DIM8701081LA
Régimen Fiscal: 601 General de Ley Personas Morales
Receptor: CLIENTE SA
RFC: CLI010101AB1
Código Postal: 72030
Concepto Cantidad Importe
Servicio 1 1,000.00
Total 1,160.00
"""


def test_an_invoice_is_not_a_csf() -> None:
    with pytest.raises(NotACsf):
        parse_csf_text(INVOICE)


def test_a_csf_without_an_rfc_is_refused() -> None:
    text = re.sub(r"RFC: DIM8701081LA", "RFC:", MORAL)

    with pytest.raises(NotACsf):
        parse_csf_text(text)


def test_a_text_naming_the_csf_without_its_data_is_refused() -> None:
    text = "Descarga tu CONSTANCIA DE SITUACIÓN FISCAL en sat.gob.mx\nRFC: DIM8701081LA\n"

    with pytest.raises(NotACsf):
        parse_csf_text(text)


def test_the_data_without_the_csf_title_is_refused() -> None:
    text = edited("CÉDULA DE IDENTIFICACIÓN FISCAL\n", "")
    text = text.replace("CONSTANCIA DE SITUACIÓN FISCAL", "COMPROBANTE")

    with pytest.raises(NotACsf):
        parse_csf_text(text)
