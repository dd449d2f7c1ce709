"""The company's fields and SAT's catalogs that the bot ships."""

from __future__ import annotations

import unicodedata
from dataclasses import asdict
from datetime import date

import pytest

from services.catalogs import Regime, SatCatalogs
from services.company_fields import (
    capital_suggestion,
    check_state_fits,
    clean_razon_social,
    clean_text,
    match_colonia,
    municipality_code,
    parse_municipality,
    parse_phone,
    parse_postal_code,
    parse_regime,
    parse_state,
    without_capital_regime,
)
from services.validation import Invalid, PersonType

catalogs = SatCatalogs()


def test_catalogs_hold_sat_regimes_by_person_type() -> None:
    moral = {r.code for r in catalogs.regimes_for(PersonType.MORAL)}
    fisica = {r.code for r in catalogs.regimes_for(PersonType.FISICA)}
    assert {"601", "603", "626"} <= moral and "612" not in moral
    assert {"605", "612", "626"} <= fisica and "601" not in fisica
    assert len(catalogs.regimes) == 19
    assert catalogs.regimes["626"].name == "Régimen Simplificado de Confianza"


def test_postal_codes_give_estado_and_municipio() -> None:
    assert catalogs.postal_code_count() > 90_000
    found = catalogs.postal_code("06600")
    assert found and (found.state, found.municipality) == ("Ciudad de México", "Cuauhtémoc")
    monterrey = catalogs.postal_code("64000")
    assert monterrey and monterrey.municipality == "Monterrey" and monterrey.state == "Nuevo León"
    assert catalogs.postal_code("00001") is None
    assert len(catalogs.states) >= 32


@pytest.mark.parametrize(
    ("typed", "without"),
    [
        ("Empresa Patito, S.A. de C.V.", "EMPRESA PATITO"),
        ("EMPRESA PATITO SA DE CV", "EMPRESA PATITO"),
        ("Tacos El Güero S. de R.L. de C.V.", "TACOS EL GÜERO"),
        ("Fundación Luz, A.C.", "FUNDACIÓN LUZ"),
        ("Grupo Uno S.A.P.I. de C.V.", "GRUPO UNO"),
        ("Despacho Contable S.C.", "DESPACHO CONTABLE"),
        ("Comercializadora del Norte", None),
    ],
)
def test_capital_regime_is_found_at_the_end(typed: str, without: str | None) -> None:
    assert without_capital_regime(clean_razon_social(typed)) == without


def test_razon_social_is_upper_case_and_checked() -> None:
    assert clean_razon_social("  mi   empresa  ") == "MI EMPRESA"
    for bad in ("", "...", "x" * 255):
        with pytest.raises(Invalid):
            clean_razon_social(bad)


def test_regime_must_fit_the_person_type() -> None:
    assert parse_regime("601", PersonType.MORAL, catalogs).code == "601"
    assert parse_regime("612 - Personas Físicas", PersonType.FISICA, catalogs).code == "612"
    with pytest.raises(Invalid, match="regime-not-fisica"):
        parse_regime("601", PersonType.FISICA, catalogs)
    with pytest.raises(Invalid, match="regime-unknown"):
        parse_regime("999", PersonType.MORAL, catalogs)


def test_postal_code_format_and_catalog() -> None:
    assert parse_postal_code(" 06600 ", catalogs).code == "06600"
    with pytest.raises(Invalid, match="format"):
        parse_postal_code("6600", catalogs)
    with pytest.raises(Invalid, match="unknown"):
        parse_postal_code("00001", catalogs)


@pytest.mark.parametrize(
    "typed", ["5512345678", "55 1234 5678", "55-1234-5678", "+52 (55) 1234.5678"]
)
def test_phone_takes_ten_digits_with_spaces_and_dashes(typed: str) -> None:
    assert parse_phone(typed) == "5512345678"


@pytest.mark.parametrize("typed", ["12345", "55123456789", "tel 5512345678"])
def test_bad_phones_are_refused(typed: str) -> None:
    with pytest.raises(Invalid):
        parse_phone(typed)


@pytest.mark.parametrize(
    ("typed", "state"),
    [
        ("Ciudad de México", "Ciudad de México"),
        ("ciudad de mexico", "Ciudad de México"),
        ("CDMX", "Ciudad de México"),
        ("nuevo leon", "Nuevo León"),
        ("NLE", "Nuevo León"),
        ("Edomex", "Estado de México"),
        ("Veracruz de Ignacio de la Llave", "Veracruz"),
    ],
)
def test_state_is_recognised_and_given_sat_name(typed: str, state: str) -> None:
    assert parse_state(typed, catalogs) == state


@pytest.mark.parametrize("typed", ["Texas", "Narnia", "   "])
def test_unknown_state_is_refused(typed: str) -> None:
    with pytest.raises(Invalid):
        parse_state(typed, catalogs)


# NUL, the right-to-left override, the zero-width space and the BOM: invisible in a chat,
# they hide what a value says (or, NUL, break PostgreSQL's text columns).
HIDDEN = ["\x00", "\u202e", "\u200b", "\ufeff", "\x1b", "\u2066"]


@pytest.mark.parametrize("hidden", HIDDEN)
def test_hidden_characters_are_refused_in_every_company_field(hidden: str) -> None:
    parsers = [
        lambda t: clean_razon_social(t),
        lambda t: clean_text(t, reason="calle"),
        lambda t: parse_phone(t),
        lambda t: parse_state(t, catalogs),
        lambda t: parse_postal_code(t, catalogs),
        lambda t: parse_regime(t, PersonType.MORAL, catalogs),
    ]
    for parse, typed in zip(
        parsers,
        [
            f"Empresa{hidden} Patito",
            f"Reforma {hidden}",
            f"55 1234{hidden}5678",
            f"Jalisco{hidden}",
            f"06600{hidden}",
            f"601{hidden}",
        ],
        strict=True,
    ):
        with pytest.raises(Invalid) as error:
            parse(typed)
        assert error.value.reason == "company.hidden-characters", typed


def test_line_breaks_and_tabs_in_a_text_field_become_one_space() -> None:
    assert clean_razon_social("Empresa\n Patito\t\r\nS.A.") == "EMPRESA PATITO S.A."
    assert clean_text("Av.\tInsurgentes\nSur", reason="calle") == "Av. Insurgentes Sur"


@pytest.mark.parametrize("typed", ["٥٥١٢٣٤٥٦٧٨", "５５ １２３４ ５６７８", "۵۵۱۲۳۴۵۶۷۸"])
def test_phone_digits_of_other_scripts_are_stored_as_ascii(typed: str) -> None:
    assert parse_phone(typed) == "5512345678"


def test_only_a_persona_moral_is_offered_its_name_without_the_regime_capital() -> None:
    name = "EMPRESA PATITO, S.A. DE C.V."
    assert capital_suggestion(name, PersonType.MORAL) == "EMPRESA PATITO"
    assert capital_suggestion(name, PersonType.FISICA) is None
    assert capital_suggestion("EMPRESA PATITO", PersonType.MORAL) is None


# Issue 14's review: digits, phones, the razón social's pipe, régimen capital, catalogs


@pytest.mark.parametrize("typed", ["０６６００", "٠٦٦٠٠", "۰۶۶۰۰", " 06 600 "])
def test_postal_code_digits_of_other_scripts_are_read_as_ascii(typed: str) -> None:
    assert parse_postal_code(typed, catalogs).code == "06600"


def test_numbers_and_texts_keep_no_digit_as_typed() -> None:
    assert clean_text("１２３-Ｂ", reason="numero") == "123-Ｂ"
    assert clean_text("Local ٤", reason="numero") == "Local 4"


@pytest.mark.parametrize(
    "typed", ["+52 1 55 1234 5678", "+5215512345678", "52 55 1234 5678", "+52 55 1234 5678"]
)
def test_phone_with_mexicos_country_code_and_mobile_prefix_is_ten_digits(typed: str) -> None:
    assert parse_phone(typed) == "5512345678"


@pytest.mark.parametrize("typed", ["0000000000", "55 5555 5555", "+52 1111111111"])
def test_phone_of_one_repeated_digit_is_refused(typed: str) -> None:
    with pytest.raises(Invalid) as error:
        parse_phone(typed)
    assert error.value.reason == "company.phone-filler"


def test_postal_code_00000_is_refused_as_sats_placeholder() -> None:
    for typed in ("00000", "０００００"):
        with pytest.raises(Invalid) as error:
            parse_postal_code(typed, catalogs)
        assert error.value.reason == "company.postal-code-placeholder"


def test_razon_social_refuses_the_pipe_and_keeps_enie_ampersand_accents_in_nfc() -> None:
    with pytest.raises(Invalid) as error:
        clean_razon_social("Patito | Hermanos")
    assert error.value.reason == "company.razon-social-pipe"
    decomposed = "Compan\u0303i\u0301a Ñandú & Asociados"
    assert clean_razon_social(decomposed) == "COMPAÑÍA ÑANDÚ & ASOCIADOS"
    assert unicodedata.is_normalized("NFC", clean_razon_social(decomposed))


@pytest.mark.parametrize(
    "typed",
    [
        "PATITO SOCIEDAD DE RESPONSABILIDAD LIMITADA DE CAPITAL VARIABLE",
        "PATITO SOCIEDAD POR ACCIONES SIMPLIFICADA",
        "PATITO SOCIEDAD ANÓNIMA PROMOTORA DE INVERSIÓN DE CAPITAL VARIABLE",
        "PATITO S.A.B. DE C.V.",
        "PATITO SA DE CV SOFOM ENR",
        "PATITO, S.A. DE C.V., SOFOM, E.N.R.",
        "PATITO S DE PR DE RL",
        "PATITO SOCIEDAD DE PRODUCCIÓN RURAL DE RESPONSABILIDAD LIMITADA",
    ],
)
def test_long_and_newer_capital_regimes_are_found(typed: str) -> None:
    assert capital_suggestion(typed, PersonType.MORAL) == "PATITO"


@pytest.mark.parametrize(
    "typed",
    [
        "PATITO S. EN N.C.",
        "PATITO SOCIEDAD EN NOMBRE COLECTIVO",
        "PATITO S. EN C.",
        "PATITO S. EN C. POR A.",
        "PATITO SOCIEDAD EN COMANDITA POR ACCIONES",
        "PATITO S. DE S.S.",
        "PATITO SOCIEDAD DE SOLIDARIDAD SOCIAL",
        "PATITO S.C.L.",
        "PATITO SOCIEDAD COOPERATIVA DE RESPONSABILIDAD LIMITADA DE CAPITAL VARIABLE",
        "PATITO SOCIEDAD COOPERATIVA DE PRODUCCIÓN",
        "PATITO I.B.P.",
        "PATITO A.B.P.",
        "PATITO S.A. DE C.V., SOFIPO",
        "PATITO S.C. DE A.P. DE R.L. DE C.V.",
        "PATITO SC DE AP DE RL DE CV",
        "PATITO A.R.",
        "PATITO ASOCIACIÓN RELIGIOSA",
        "PATITO, S.A., INSTITUCIÓN DE BANCA MÚLTIPLE",
        "PATITO S.A. INSTITUCIÓN DE BANCA MÚLTIPLE, GRUPO FINANCIERO PATITO",
    ],
)
def test_partnerships_cooperatives_charities_and_banks_are_offered_without_the_form(
    typed: str,
) -> None:
    assert capital_suggestion(typed, PersonType.MORAL) == "PATITO"


@pytest.mark.parametrize(
    "typed",
    [
        "ABARROTES SAC",
        "TALLER PESAC",
        "RADAR",
        "SOCIEDAD COOPERATIVA",
        "PATITO SSS",
        "BANCA MÚLTIPLE",
    ],
)
def test_a_name_that_only_contains_a_forms_letters_is_left_alone(typed: str) -> None:
    assert capital_suggestion(typed, PersonType.MORAL) is None


@pytest.mark.parametrize("code", ["609", "628", "629", "630"])
def test_regimes_only_in_cfdi_33_or_expired_are_refused_as_retired(code: str) -> None:
    for person in PersonType:
        with pytest.raises(Invalid) as error:
            parse_regime(code, person, catalogs)
        assert error.value.reason == "company.regime-retired"


def test_a_regime_past_its_vigencia_is_refused() -> None:
    """SAT's catalog gives no end to the 19 today; one that gets an end date is refused
    after it, as a PAC would."""
    ending = Regime(**{**asdict(catalogs.regimes["601"]), "valid_until": date(2030, 12, 31)})
    later = SatCatalogs()
    later.__dict__["regimes"] = {**catalogs.regimes, "601": ending}  # the cached catalog
    assert parse_regime("601", PersonType.MORAL, later, on=date(2030, 12, 31)).code == "601"
    with pytest.raises(Invalid) as error:
        parse_regime("601", PersonType.MORAL, later, on=date(2031, 1, 1))
    assert error.value.reason == "company.regime-retired"


@pytest.mark.parametrize("typed", ["NL", "BC", "Q. Roo", "qroo", "Edo. Méx.", "CDMX"])
def test_estado_aliases_are_accepted(typed: str) -> None:
    assert parse_state(typed, catalogs) in catalogs.states.values()


def test_the_estado_typed_must_be_the_postal_codes() -> None:
    place = catalogs.postal_code("06600")
    assert place is not None
    check_state_fits("Ciudad de México", place)
    with pytest.raises(Invalid) as error:
        check_state_fits(parse_state("Jalisco", catalogs), place)
    assert error.value.reason == "company.estado-not-of-postal-code"
    assert error.value.values == {"code": "06600", "state": "Ciudad de México"}


def test_the_municipio_typed_must_be_in_the_estado_and_be_the_postal_codes() -> None:
    place = catalogs.postal_code("06600")
    assert place is not None
    assert parse_municipality("cuauhtemoc", place, catalogs) == ("Cuauhtémoc", "015")
    with pytest.raises(Invalid) as error:
        parse_municipality("Coyoacán", place, catalogs)
    assert error.value.values == {"code": "06600", "municipio": "Cuauhtémoc"}
    with pytest.raises(Invalid) as error:
        parse_municipality("Guadalajara", place, catalogs)
    assert error.value.reason == "company.municipio-unknown"
    filler = catalogs.postal_code("01001")  # SAT gives it no municipio: any of the estado's
    assert filler is not None and filler.municipality is None
    assert parse_municipality("Coyoacán", filler, catalogs) == ("Coyoacán", "003")


@pytest.mark.parametrize(
    ("code", "municipio", "clave"),
    [
        ("80450", "ElDorado", "019"),
        ("78421", "Villa de Pozos", "059"),
        ("21850", "San Felipe", "007"),
    ],
)
def test_a_postal_code_sat_moved_in_2026_gives_its_new_municipio(
    code: str, municipio: str, clave: str
) -> None:
    place = parse_postal_code(code, catalogs)
    assert (place.municipality, place.municipality_code) == (municipio, clave)
    assert parse_municipality(municipio, place, catalogs) == (municipio, clave)


@pytest.mark.parametrize(
    ("code", "typed", "municipio"),
    [
        ("22000", "San Quintín", "Tijuana"),
        ("78000", "Villa de Pozos", "San Luis Potosí"),
        ("62000", "Xoxocotla", "Cuernavaca"),
        ("80000", "Eldorado", "Culiacán"),
    ],
)
def test_a_new_municipio_is_refused_for_a_postal_code_of_another(
    code: str, typed: str, municipio: str
) -> None:
    place = parse_postal_code(code, catalogs)
    with pytest.raises(Invalid) as error:
        parse_municipality(typed, place, catalogs)
    assert error.value.reason == "company.municipio-not-of-postal-code"
    assert error.value.values == {"code": code, "municipio": municipio}


@pytest.mark.parametrize(
    ("code", "former", "clave"),
    [("21850", "Mexicali", "007"), ("80450", "culiacan", "019"), ("22930", "Ensenada", "006")],
)
def test_a_moved_postal_code_takes_its_former_municipio_with_sats_code(
    code: str, former: str, clave: str
) -> None:
    """Older Constancias still print the municipio the code had before SAT's 2026 change:
    the name is taken as SAT writes it, the code is the municipio's in force."""
    place = parse_postal_code(code, catalogs)
    found = catalogs.find_municipality(place.state_code, former)
    assert found and parse_municipality(former, place, catalogs) == (found[1], clave)
    with pytest.raises(Invalid):
        parse_municipality("Tijuana", place, catalogs)


def test_a_stored_municipio_gets_its_code_from_its_name_and_postal_code() -> None:
    assert municipality_code("06600", "Cuauhtémoc", catalogs) == "015"
    assert municipality_code("21850", "Mexicali", catalogs) == "007"  # saved before the move
    assert municipality_code("21850", "San Felipe", catalogs) == "007"
    assert municipality_code("22000", "San Quintin", catalogs) is None  # never 22000's
    assert municipality_code("06600", "Roma", catalogs) is None
    assert municipality_code("00001", "Cuauhtémoc", catalogs) is None


def test_a_typed_colonia_gets_sats_name_and_code_when_it_is_the_postal_codes() -> None:
    assert match_colonia("juarez", "06600", catalogs) == ("Juárez", "0930")
    assert match_colonia("  JUÁREZ ", "06600", catalogs) == ("Juárez", "0930")
    assert match_colonia("Roma Norte", "06600", catalogs) == ("Roma Norte", None)
    assert match_colonia("Centro", "01001", catalogs) == ("Centro", None)


@pytest.mark.parametrize(
    "typed",
    [
        "ALIANZA MEXICANA DE LA SOCIEDAD COOPERATIVA",
        "ESTUDIO DE REALIDAD AUMENTADA AR",
        "FORO DE LA SOCIEDAD CIVIL",
        "CENTRO DE ESTUDIOS IBP",
    ],
)
def test_a_name_that_merely_ends_in_a_regime_capital_is_left_whole(typed: str) -> None:
    assert without_capital_regime(clean_razon_social(typed)) is None
