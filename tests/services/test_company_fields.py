"""The company's fields and SAT's catalogs that the bot ships."""

from __future__ import annotations

import pytest

from services.catalogs import SatCatalogs
from services.company_fields import (
    capital_suggestion,
    clean_razon_social,
    clean_text,
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


@pytest.mark.parametrize("typed", ["٥٥١٢٣٤٥٦٧٨", "５５１２３４５６７８"])
def test_phone_takes_only_ascii_digits(typed: str) -> None:
    with pytest.raises(Invalid):
        parse_phone(typed)


def test_only_a_persona_moral_is_offered_its_name_without_the_regime_capital() -> None:
    name = "EMPRESA PATITO, S.A. DE C.V."
    assert capital_suggestion(name, PersonType.MORAL) == "EMPRESA PATITO"
    assert capital_suggestion(name, PersonType.FISICA) is None
    assert capital_suggestion("EMPRESA PATITO", PersonType.MORAL) is None
