"""The company form's values from a CSF (services/csf_form.py), matched to SAT's catalogs as
typed answers are, and the checks before a CSF is used."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from services.catalogs import SatCatalogs
from services.company import CompanyData, unanswered
from services.csf import Csf, Domicilio, Persona, Regimen, parse_csf_text
from services.csf_form import (
    CsfRefusal,
    CsfRefused,
    fill,
    months_later,
    qr_record,
    regime_code_of,
    verify,
)
from services.validation import PersonType

FIXTURE = Path(__file__).resolve().parents[3] / "shared/testdata/csf/csf-moral.pdftotext-raw.txt"
MORAL_TEXT = FIXTURE.read_text(encoding="utf-8")
QR = "https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf?D1=10&D2=1&D3={}"
SAMPLE_QR = QR.format("12345678_DIM8701081LA")
TODAY = date(2026, 12, 4)
catalogs = SatCatalogs.shared()

# A persona moral in Ciudad de México whose every field SAT's catalogs take.
MORAL = Csf(
    rfc="EMP010101AB1",
    persona=Persona.MORAL,
    denominacion="EMPRESA PATITO",
    regimen_capital="SOCIEDAD ANONIMA DE CAPITAL VARIABLE",
    curp=None,
    nombre=None,
    primer_apellido=None,
    segundo_apellido=None,
    id_cif="19010203040",
    estatus="ACTIVO",
    domicilio=Domicilio(
        codigo_postal="06600",
        tipo_vialidad="AVENIDA (AV.)",
        nombre_vialidad="PASEO DE LA REFORMA",
        numero_exterior="222",
        numero_interior=None,
        colonia="JUAREZ",  # SAT's c_Colonia writes «Juárez»
        localidad="CIUDAD DE MEXICO",
        municipio="CUAUHTEMOC",
        entidad_federativa="CIUDAD DE MEXICO",
        correo="Contacto@Example.COM",
        telefono="5512345678",
    ),
    regimenes=(Regimen("Régimen General de Ley Personas Morales", date(2010, 1, 1), None),),
    fecha_emision=date(2026, 11, 20),
    lugar_emision="CUAUHTEMOC, CIUDAD DE MEXICO",
)
FISICA = dataclasses.replace(
    MORAL,
    rfc="PELJ800101AB1",
    persona=Persona.FISICA,
    denominacion=None,
    regimen_capital=None,
    curp="PELJ800101HDFRPN09",
    nombre="JUAN CARLOS",
    primer_apellido="PÉREZ",
    segundo_apellido="DE LA O",
    regimenes=(Regimen("Régimen Simplificado de Confianza", date(2022, 1, 1), None),),
)


def with_domicilio(csf: Csf, **changes: str | None) -> Csf:
    return dataclasses.replace(csf, domicilio=dataclasses.replace(csf.domicilio, **changes))


def with_regimenes(csf: Csf, *regimenes: Regimen) -> Csf:
    return dataclasses.replace(csf, regimenes=regimenes)


def test_a_persona_moral_fills_every_field_as_sat_writes_it() -> None:
    filled = fill(MORAL, catalogs, today=TODAY)

    assert filled.values == {
        "razon_social": "EMPRESA PATITO",
        "regimen_fiscal": "601",
        "codigo_postal": "06600",
        "calle": "AVENIDA (AV.) PASEO DE LA REFORMA",
        "numero_exterior": "222",
        "numero_interior": None,  # the CSF says there is none: not asked
        "colonia": "Juárez",  # matched without accents, kept as SAT's c_Colonia has it
        "colonia_clave": "0930",
        "estado": "Ciudad de México",
        "municipio": "Cuauhtémoc",
        "municipio_clave": "015",
        "telefono": "5512345678",
        "correo_contacto": "contacto@example.com",
        "lugar_expedicion": "06600",  # proposed as the domicilio's postal code
    }
    assert unanswered(filled.values) == []  # nothing left to ask
    CompanyData(**filled.values)  # and the model takes them as they are
    assert filled.regimes == ("601",)
    assert filled.regimen_capital == "SOCIEDAD ANONIMA DE CAPITAL VARIABLE"
    assert (filled.inactive_status, filled.stale, filled.unmatched) == (None, False, ())


def test_the_real_csf_keeps_what_fits_and_names_what_does_not() -> None:
    """The sample's postal code 72030 is Puebla's: its CIUDAD DE MEXICO, its SAN JUAN and
    its MI COLONIA are not, so they are asked; its phone has eight digits, not ten."""
    filled = fill(parse_csf_text(MORAL_TEXT), catalogs, today=date(2022, 3, 1))

    assert filled.values == {
        "razon_social": "MI EMPRESA",
        "regimen_fiscal": "601",
        "codigo_postal": "72030",
        "calle": "CALLE MI CALLE",  # tipo CALLE, nombre CALLE MI CALLE: the tipo once
        "numero_exterior": "50",
        "numero_interior": "12 Y 13",
        "correo_contacto": "correo@example.com",
        "lugar_expedicion": "72030",
    }
    assert filled.unmatched == ("colonia", "estado", "municipio")
    assert filled.inactive_status is None  # REACTIVADO
    assert not filled.stale


def test_a_persona_fisica_is_named_by_nombre_and_apellidos() -> None:
    filled = fill(FISICA, catalogs, today=TODAY)

    assert filled.values["razon_social"] == "JUAN CARLOS PÉREZ DE LA O"
    assert filled.values["regimen_fiscal"] == "626"
    assert filled.regimen_capital is None


def test_a_name_the_form_would_refuse_is_asked() -> None:
    filled = fill(
        dataclasses.replace(MORAL, denominacion="EMPRESA | PATITO"), catalogs, today=TODAY
    )

    assert "razon_social" not in filled.values


# Régimenes


@pytest.mark.parametrize(
    ("name", "person", "code"),
    [
        ("Régimen General de Ley Personas Morales", PersonType.MORAL, "601"),
        ("Personas Morales con Fines no Lucrativos", PersonType.MORAL, "603"),
        (
            "Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios",
            PersonType.FISICA,
            "605",
        ),
        ("Régimen de Arrendamiento", PersonType.FISICA, "606"),
        ("Régimen de Enajenación o Adquisición de Bienes", PersonType.FISICA, "607"),
        ("Régimen de los demás ingresos", PersonType.FISICA, "608"),
        ("Régimen de Ingresos por Dividendos (socios y accionistas)", PersonType.FISICA, "611"),
        (
            "Régimen de las Personas Físicas con Actividades Empresariales y Profesionales",
            PersonType.FISICA,
            "612",
        ),
        ("Régimen de los ingresos por intereses", PersonType.FISICA, "614"),
        ("Sin obligaciones fiscales", PersonType.FISICA, "616"),
        ("Régimen de Incorporación Fiscal", PersonType.FISICA, "621"),
        (
            "Régimen de las Actividades Empresariales con ingresos a través de Plataformas "
            "Tecnológicas",
            PersonType.FISICA,
            "625",
        ),
        ("Régimen Simplificado de Confianza", PersonType.FISICA, "626"),
        ("REGIMEN SIMPLIFICADO DE CONFIANZA", PersonType.MORAL, "626"),
        # Words more or fewer than the catalog's: the one name they begin.
        ("Régimen de Arrendamiento de inmuebles", PersonType.FISICA, "606"),
    ],
)
def test_a_regimen_as_the_csf_prints_it_gets_its_code(
    name: str, person: PersonType, code: str
) -> None:
    assert regime_code_of(name, person, catalogs) == code


@pytest.mark.parametrize(
    ("name", "person"),
    [
        ("Régimen de Ingresos", PersonType.FISICA),  # 611 or 614: never a guess
        # Shorter than a catalog name (625's): a guess, though only one name begins so.
        ("Régimen de las Actividades Empresariales", PersonType.FISICA),
        ("Régimen General", PersonType.MORAL),
        ("Régimen de Sueldos y Salarios", PersonType.FISICA),
        ("Régimen", PersonType.FISICA),
        ("Régimen de Pequeños Contribuyentes", PersonType.FISICA),  # not in c_RegimenFiscal
        ("Régimen General de Ley Personas Morales", PersonType.FISICA),  # a moral's
        ("Régimen de Incorporación Fiscal", PersonType.MORAL),  # a física's
    ],
)
def test_a_regimen_that_is_none_or_two_or_not_the_persons_has_no_code(
    name: str, person: PersonType
) -> None:
    assert regime_code_of(name, person, catalogs) is None


def test_several_regimenes_in_force_are_offered_in_the_csfs_order() -> None:
    csf = with_regimenes(
        FISICA,
        Regimen(
            "Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios",
            date(2010, 1, 1),
            date(2015, 12, 31),
        ),
        Regimen("Régimen Simplificado de Confianza", date(2022, 1, 1), None),
        Regimen("Régimen de Arrendamiento", date(2016, 1, 1), None),
        Regimen("Régimen de Incorporación Fiscal", date(2016, 1, 1), date(2021, 12, 31)),
    )

    filled = fill(csf, catalogs, today=TODAY)

    assert filled.regimes == ("626", "606")  # the ended 605 and 621 are not offered
    assert "regimen_fiscal" not in filled.values  # asked with these as buttons
    assert filled.unmatched == ()


def test_one_regimen_in_force_among_ended_ones_is_taken() -> None:
    csf = with_regimenes(
        FISICA,
        Regimen("Régimen de Incorporación Fiscal", date(2016, 1, 1), date(2021, 12, 31)),
        Regimen("Régimen de Arrendamiento", date(2016, 1, 1), None),
    )

    filled = fill(csf, catalogs, today=TODAY)

    assert filled.values["regimen_fiscal"] == "606"
    assert filled.regimes == ("606",)


def test_a_regimen_printed_twice_is_one() -> None:
    csf = with_regimenes(
        FISICA,
        Regimen("Régimen de Sueldos y Salarios e Ingresos Asimilados", date(2010, 1, 1), None),
        Regimen(
            "Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios", date(2016, 1, 1), None
        ),
    )

    filled = fill(csf, catalogs, today=TODAY)

    assert filled.regimes == ("605",) and filled.values["regimen_fiscal"] == "605"


def test_a_regimen_ending_after_today_is_still_in_force() -> None:
    csf = with_regimenes(
        FISICA, Regimen("Régimen de Arrendamiento", date(2016, 1, 1), date(2026, 12, 5))
    )

    assert fill(csf, catalogs, today=TODAY).values["regimen_fiscal"] == "606"
    assert "regimen_fiscal" not in fill(csf, catalogs, today=date(2026, 12, 5)).values


def test_a_regimen_that_does_not_fit_the_person_is_not_offered() -> None:
    csf = with_regimenes(
        MORAL,
        Regimen(
            "Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios", date(2010, 1, 1), None
        ),
        Regimen("Régimen General de Ley Personas Morales", date(2010, 1, 1), None),
    )

    filled = fill(csf, catalogs, today=TODAY)

    assert filled.values["regimen_fiscal"] == "601"
    assert filled.unmatched == ()  # something usable was found


def test_regimenes_that_map_to_nothing_usable_are_named() -> None:
    csf = with_regimenes(
        MORAL,
        Regimen("Régimen de Pequeños Contribuyentes", date(2010, 1, 1), None),
        Regimen("Régimen de Arrendamiento", date(2010, 1, 1), None),  # a física's
    )

    filled = fill(csf, catalogs, today=TODAY)

    assert "regimen_fiscal" not in filled.values and filled.regimes == ()
    assert filled.unmatched == ("regimen_fiscal",)


def test_no_regimen_in_force_is_asked_without_naming_it() -> None:
    csf = with_regimenes(
        FISICA, Regimen("Régimen de Arrendamiento", date(2016, 1, 1), date(2020, 1, 1))
    )

    filled = fill(csf, catalogs, today=TODAY)

    assert "regimen_fiscal" not in filled.values and filled.unmatched == ()


def test_a_regimen_sats_catalog_has_ended_is_not_taken() -> None:
    """parse_regime's rule, as for a typed code: a régimen SAT's catalog ends is refused."""
    ended = SatCatalogs()
    regimes = dict(catalogs.regimes)
    regimes["621"] = dataclasses.replace(regimes["621"], valid_until=date(2025, 12, 31))
    ended.__dict__["regimes"] = regimes  # the cached property, replaced for this copy
    csf = with_regimenes(
        FISICA,
        Regimen("Régimen de Incorporación Fiscal", date(2016, 1, 1), None),
        Regimen("Régimen Simplificado de Confianza", date(2022, 1, 1), None),
    )

    assert fill(csf, catalogs, today=TODAY).regimes == ("621", "626")
    assert fill(csf, ended, today=TODAY).values["regimen_fiscal"] == "626"


# The domicilio


@pytest.mark.parametrize(
    ("tipo", "nombre", "calle"),
    [
        ("CALLE", "CALLE MI CALLE", "CALLE MI CALLE"),
        ("CALLE", "MI CALLE", "CALLE MI CALLE"),
        ("NINGUNO", "CAMINO A LA PRESA", "CAMINO A LA PRESA"),
        ("SIN TIPO", "LA PRESA", "LA PRESA"),
        (None, "LA PRESA", "LA PRESA"),
    ],
)
def test_the_calle_is_tipo_and_nombre_de_vialidad(
    tipo: str | None, nombre: str, calle: str
) -> None:
    csf = with_domicilio(MORAL, tipo_vialidad=tipo, nombre_vialidad=nombre)

    assert fill(csf, catalogs, today=TODAY).values["calle"] == calle


@pytest.mark.parametrize("nombre", [None, "   ", "X" * 101])
def test_an_empty_or_too_long_street_is_asked(nombre: str | None) -> None:
    csf = with_domicilio(MORAL, tipo_vialidad="CALLE", nombre_vialidad=nombre)

    assert "calle" not in fill(csf, catalogs, today=TODAY).values


def test_numbers_as_printed_and_a_missing_exterior_one_asked() -> None:
    csf = with_domicilio(MORAL, numero_exterior=None, numero_interior="PISO 3")

    values = fill(csf, catalogs, today=TODAY).values

    assert "numero_exterior" not in values
    assert values["numero_interior"] == "PISO 3"


def test_a_colonia_not_of_the_postal_code_is_chosen_from_its_list() -> None:
    csf = with_domicilio(MORAL, colonia="ROMA NORTE")

    filled = fill(csf, catalogs, today=TODAY)

    assert "colonia" not in filled.values and "colonia_clave" not in filled.values
    assert filled.unmatched == ("colonia",)


def test_a_colonia_of_a_postal_code_sat_lists_none_for_is_taken_as_printed() -> None:
    """As a typed one is: SAT's c_Colonia has no colonia for 01029, so there is no list to
    choose from and the form takes any."""
    csf = with_domicilio(
        MORAL, codigo_postal="01029", colonia="LAS AGUILAS", municipio="ALVARO OBREGON"
    )

    filled = fill(csf, catalogs, today=TODAY)

    assert (filled.values["colonia"], filled.values["colonia_clave"]) == ("LAS AGUILAS", None)
    assert filled.values["municipio"] == "Álvaro Obregón"
    assert filled.unmatched == ()


def test_a_postal_code_sat_moved_in_2026_with_its_former_municipio_printed() -> None:
    """21850 was Mexicali's (002) until SAT gave it to San Felipe (007) in January 2026:
    an older CSF prints MEXICALI, which the form takes, with the code in force."""
    csf = with_domicilio(
        MORAL,
        codigo_postal="21850",
        colonia="CLUB DE PESCA",
        municipio="MEXICALI",
        entidad_federativa="BAJA CALIFORNIA",
    )

    filled = fill(csf, catalogs, today=TODAY)

    assert (filled.values["municipio"], filled.values["municipio_clave"]) == ("Mexicali", "007")
    assert filled.values["estado"] == "Baja California"
    assert filled.values["colonia"] == "Club de Pesca"
    assert filled.unmatched == ()


def test_a_municipio_and_estado_not_of_the_postal_code_are_asked() -> None:
    """Benito Juárez is a municipio of Ciudad de México, but not 06600's; Puebla is an
    estado, but not 06600's."""
    csf = with_domicilio(MORAL, municipio="BENITO JUAREZ", entidad_federativa="PUEBLA")

    filled = fill(csf, catalogs, today=TODAY)

    for name in ("estado", "municipio", "municipio_clave"):
        assert name not in filled.values
    assert filled.unmatched == ("estado", "municipio")
    assert filled.values["colonia"] == "Juárez"  # the rest is kept


def test_the_localidad_is_not_taken_for_the_municipio() -> None:
    csf = with_domicilio(MORAL, municipio=None, localidad="CUAUHTEMOC")

    filled = fill(csf, catalogs, today=TODAY)

    assert "municipio" not in filled.values and filled.unmatched == ()


def test_an_unknown_postal_code_leaves_out_all_that_depends_on_it() -> None:
    csf = with_domicilio(MORAL, codigo_postal="00001")

    filled = fill(csf, catalogs, today=TODAY)

    for name in ("codigo_postal", "colonia", "estado", "municipio", "lugar_expedicion"):
        assert name not in filled.values
    assert filled.values["calle"] == "AVENIDA (AV.) PASEO DE LA REFORMA"
    assert filled.unmatched == ("codigo_postal",)


def test_no_postal_code_is_asked_without_naming_it() -> None:
    filled = fill(with_domicilio(MORAL, codigo_postal=None), catalogs, today=TODAY)

    assert "codigo_postal" not in filled.values and filled.unmatched == ()


@pytest.mark.parametrize(
    ("telefono", "correo"), [(None, None), ("5555555555", "correo@"), ("12345", "sin arroba")]
)
def test_a_missing_or_refused_phone_or_email_is_asked(
    telefono: str | None, correo: str | None
) -> None:
    csf = with_domicilio(MORAL, telefono=telefono, correo=correo)

    values = fill(csf, catalogs, today=TODAY).values

    assert "telefono" not in values and "correo_contacto" not in values


# Status and age


@pytest.mark.parametrize(
    ("estatus", "warned"),
    [
        ("ACTIVO", None),
        ("REACTIVADO", None),
        (None, None),
        ("SUSPENDIDO", "SUSPENDIDO"),
        ("CANCELADO", "CANCELADO"),
    ],
)
def test_a_status_under_which_sat_refuses_invoices_is_warned(
    estatus: str | None, warned: str | None
) -> None:
    csf = dataclasses.replace(MORAL, estatus=estatus)

    assert fill(csf, catalogs, today=TODAY).inactive_status == warned


@pytest.mark.parametrize(
    ("issued", "today", "stale"),
    [
        (date(2026, 2, 10), date(2026, 5, 10), False),
        (date(2026, 2, 10), date(2026, 5, 11), True),
        (date(2025, 11, 30), date(2026, 2, 28), False),
        (date(2025, 11, 30), date(2026, 3, 1), True),
        (None, date(2026, 5, 11), False),
        (date(9999, 12, 31), date(2026, 5, 11), False),  # an edited date: no overflow
    ],
)
def test_a_csf_older_than_three_months_is_stale_but_used(
    issued: date | None, today: date, stale: bool
) -> None:
    filled = fill(dataclasses.replace(MORAL, fecha_emision=issued), catalogs, today=today)

    assert filled.stale is stale
    assert filled.values["razon_social"] == "EMPRESA PATITO"


def test_months_later_keeps_the_day_or_takes_the_months_last() -> None:
    assert months_later(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert months_later(date(2023, 11, 30), 3) == date(2024, 2, 29)
    assert months_later(date(2026, 10, 15), 3) == date(2027, 1, 15)


# verify()


def test_the_accounts_csf_with_its_qr_is_read() -> None:
    csf = verify(MORAL_TEXT, ["https://example.com/other", SAMPLE_QR], " dim8701081la ")

    assert (csf.rfc, csf.id_cif) == ("DIM8701081LA", "12345678")


def refusal(text: str, qr_codes: list[str], account_rfc: str = "DIM8701081LA") -> CsfRefused:
    with pytest.raises(CsfRefused) as raised:
        verify(text, qr_codes, account_rfc)
    return raised.value


def test_a_text_that_is_not_a_csf_is_refused() -> None:
    assert refusal("Factura\nRFC: DIM8701081LA", [SAMPLE_QR]).refusal is CsfRefusal.NOT_A_CSF


@pytest.mark.parametrize(
    "codes",
    [
        [],
        ["https://verificacfdi.facturaelectronica.sat.gob.mx/?re=DIM8701081LA&id=1"],
        [SAMPLE_QR.replace("siat.sat.gob.mx", "siat.sat.gob.mx.example.com")],
        [SAMPLE_QR.replace("D3=", "D4=")],
        ["not a url at all"],
    ],
)
def test_a_csf_without_its_qr_is_refused(codes: list[str]) -> None:
    assert refusal(MORAL_TEXT, codes).refusal is CsfRefusal.NO_QR


@pytest.mark.parametrize(
    "d3",
    ["12345678_DIM8701081LB", "12345679_DIM8701081LA"],  # another RFC, another idCIF
)
def test_a_qr_naming_another_record_than_the_text_is_refused(d3: str) -> None:
    """An edited PDF: its text says one thing, the QR code SAT printed another."""
    assert refusal(MORAL_TEXT, [QR.format(d3)]).refusal is CsfRefusal.QR_MISMATCH


@pytest.mark.parametrize(
    ("d3", "record"),
    [
        ("12345678_dim8701081la", ("12345678", "DIM8701081LA")),
        ("12345678_GODE561231GR8", ("12345678", "GODE561231GR8")),
        ("1234_5678_DIM8701081LA", None),  # an idCIF is digits
        ("ABC_DIM8701081LA", None),
        ("12345678_NOT-AN-RFC", None),
        ("12345678DIM8701081LA", None),
        ("12345678_DIM8701081LA&D3=99999999_GODE561231GR8", None),  # two records: neither
    ],
)
def test_the_qrs_record_is_an_idcif_of_digits_and_an_rfc(
    d3: str, record: tuple[str, str] | None
) -> None:
    assert qr_record(QR.format(d3)) == record


@pytest.mark.parametrize(
    "url",
    [
        QR.format("12345678_DIM8701081LA").replace("siat.", "evil."),
        QR.format("12345678_DIM8701081LA").replace("https://", "ftp://"),
        QR.format("12345678_DIM8701081LA").replace("D3=", "D4="),
        "https://siat.sat.gob.mx/",
        "DIM8701081LA",
        "http://[::1",
    ],
)
def test_what_is_not_sats_qr_names_no_record(url: str) -> None:
    assert qr_record(url) is None


def test_another_accounts_csf_is_refused_naming_both_rfcs() -> None:
    refused = refusal(MORAL_TEXT, [SAMPLE_QR], account_rfc="EMP010101AB1")

    assert refused.refusal is CsfRefusal.OTHER_RFC
    assert refused.values == {"csf_rfc": "DIM8701081LA", "account_rfc": "EMP010101AB1"}
