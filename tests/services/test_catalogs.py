"""SAT's CFDI 4.0 catalogs as shipped: a few rows of each pinned, and the look-ups the
company form uses (postal code, municipios of an estado, colonias, estado typed)."""

from __future__ import annotations

from datetime import date

import pytest

from services.catalogs import Colonia, Regime, SatCatalogs, reading_key, resolve_state
from services.validation import PersonType

catalogs = SatCatalogs()

IN_FORCE = {
    "601", "603", "605", "606", "607", "608", "610", "611", "612", "614", "615", "616",
    "620", "621", "622", "623", "624", "625", "626",
}  # fmt: skip


def test_regimes_are_exactly_the_19_of_cfdi_4() -> None:
    assert set(catalogs.regimes) == IN_FORCE
    for cfdi_33_only in ("609", "628", "629", "630"):
        assert cfdi_33_only not in catalogs.regimes


@pytest.mark.parametrize(
    ("code", "fisica", "moral"),
    [("601", False, True), ("605", True, False), ("626", True, True), ("610", True, True)],
)
def test_regime_applies_to_the_person_types_sat_says(code: str, fisica: bool, moral: bool) -> None:
    regime = catalogs.regimes[code]
    assert (regime.fisica, regime.moral) == (fisica, moral)
    assert (regime.code in {r.code for r in catalogs.regimes_for(PersonType.FISICA)}) == fisica
    assert (regime.code in {r.code for r in catalogs.regimes_for(PersonType.MORAL)}) == moral


def test_regimes_come_as_small_issuers_use_them_and_a_receptors_last() -> None:
    fisica = [r.code for r in catalogs.regimes_for(PersonType.FISICA)]
    moral = [r.code for r in catalogs.regimes_for(PersonType.MORAL)]
    assert fisica[:2] == ["626", "612"] and fisica[-2:] == ["605", "616"]
    assert moral[:2] == ["601", "626"]
    rest = fisica[5:-2]  # after the usual ones, by code
    assert rest == sorted(rest)


def test_regimes_carry_their_vigencia() -> None:
    simplificado = catalogs.regimes["626"]
    assert simplificado.name == "Régimen Simplificado de Confianza"
    assert (simplificado.valid_from, simplificado.valid_until) == (date(2022, 1, 1), None)
    assert catalogs.regimes_for(PersonType.MORAL, on=date(2021, 12, 31)) == []


def test_a_regime_is_offered_only_while_in_force() -> None:
    ended = Regime("609", "Consolidación", False, True, date(2016, 11, 12), date(2019, 12, 31))
    assert ended.in_force(date(2019, 12, 31)) and not ended.in_force(date(2020, 1, 1))
    assert not ended.in_force(date(2016, 11, 11))


def test_estados_are_the_32_of_mexico_in_cfdi_4() -> None:
    assert len(catalogs.states) == 32
    assert "DIF" not in catalogs.states  # Distrito Federal: a CFDI 3.3 row
    assert catalogs.states["CMX"] == "Ciudad de México"
    assert catalogs.states["NLE"] == "Nuevo León"


def test_municipios_include_sat_update_of_january_2026() -> None:
    assert catalogs.municipality("BCN", "006") == "San Quintin"  # as SAT writes it
    assert catalogs.municipality("BCN", "007") == "San Felipe"
    assert catalogs.municipality("SLP", "059") == "Villa de Pozos"
    assert catalogs.municipality("GRO", "084") == "Ñuu Savi"
    assert catalogs.municipality("CHP", "125") == "Honduras de la Sierra"
    assert catalogs.municipality("BCN", "001") == "Ensenada"


def test_postal_code_gives_estado_and_municipio_with_their_codes() -> None:
    found = catalogs.postal_code("06600")
    assert found is not None
    assert (found.state_code, found.state) == ("CMX", "Ciudad de México")
    assert (found.municipality_code, found.municipality) == ("015", "Cuauhtémoc")
    monterrey = catalogs.postal_code("64000")
    assert monterrey and (monterrey.state, monterrey.municipality) == ("Nuevo León", "Monterrey")
    assert catalogs.postal_code_count() > 95_000


def test_postal_codes_sat_moved_in_2026_name_their_new_municipio_and_the_former_one() -> None:
    """SAT's GRO codes follow its own names (41524: Ñuu Savi), not INEGI's."""
    for code, state, now, before in [
        ("80450", "SIN", "ElDorado", "006"),
        ("78421", "SLP", "Villa de Pozos", "028"),
        ("21850", "BCN", "San Felipe", "002"),
        ("41524", "GRO", "Ñuu Savi", "041"),
        ("22937", "BCN", "San Quintin", None),  # SAT gave it no municipio before
    ]:
        found = catalogs.postal_code(code)
        assert found is not None and (found.state_code, found.municipality) == (state, now)
        assert found.former_municipality_code == before
    unmoved = catalogs.postal_code("22000")
    assert unmoved and (unmoved.municipality, unmoved.former_municipality_code) == ("Tijuana", None)


@pytest.mark.parametrize("code", ["00000", "00001", "０６６００", "6600", "066000", ""])
def test_placeholder_unknown_and_non_ascii_postal_codes_are_not_found(code: str) -> None:
    assert catalogs.postal_code(code) is None


def test_postal_code_without_municipio_lists_its_estados_municipios() -> None:
    filler = catalogs.postal_code("01001")
    assert filler is not None and filler.state_code == "CMX"
    assert (filler.municipality, filler.municipality_code) == (None, None)
    alcaldias = catalogs.municipalities_of("CMX")
    assert len(alcaldias) == 16 and ("015", "Cuauhtémoc") in alcaldias
    assert alcaldias[0] == ("010", "Álvaro Obregón")  # by name, the accent not sorted last
    names = [name for _, name in catalogs.municipalities_of("BCN")]
    assert names == sorted(names, key=reading_key) and "San Quintin" in names


def test_a_typed_municipio_is_found_only_in_its_estado() -> None:
    assert catalogs.find_municipality("CMX", "cuauhtemoc") == ("015", "Cuauhtémoc")
    assert catalogs.find_municipality("CHH", "Cuauhtémoc") == ("017", "Cuauhtémoc")
    assert catalogs.find_municipality("JAL", "Cuauhtémoc") is None
    assert catalogs.find_municipality("CMX", "  ") is None


def test_colonias_of_a_postal_code_with_their_sat_codes() -> None:
    assert catalogs.colonias_of("06600") == [Colonia(code="0930", name="Juárez")]
    assert catalogs.colonia("06600", "0930") == Colonia(code="0930", name="Juárez")
    assert Colonia(code="0001", name="Monterrey Centro") in catalogs.colonias_of("64000")
    many = catalogs.colonias_of("85203")
    assert len(many) > 300
    assert [c.name for c in many] == sorted((c.name for c in many), key=reading_key)
    assert catalogs.colonias_of("01001") == [] and catalogs.colonias_of("０６６００") == []
    assert catalogs.colonia("06600", "9999") is None


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Nuevo León", "NLE"),
        ("nuevo leon", "NLE"),
        ("NLE", "NLE"),
        ("NL", "NLE"),
        ("N.L.", "NLE"),
        ("BC", "BCN"),
        ("B.C.S.", "BCS"),
        ("Q. Roo", "ROO"),
        ("QRoo", "ROO"),
        ("CDMX", "CMX"),
        ("Ciudad de Mexico", "CMX"),
        ("Edomex", "MEX"),
        ("Estado de México", "MEX"),
        ("Veracruz de Ignacio de la Llave", "VER"),
        ("Coahuila de Zaragoza", "COA"),
        ("Edo. Méx.", "MEX"),
    ],
)
def test_estado_typed_as_name_code_or_alias_is_resolved(typed: str, code: str) -> None:
    assert catalogs.state_code(typed) == code


@pytest.mark.parametrize("typed", ["Texas", "Narnia", "", "  ", "DIF", "..."])
def test_unknown_estado_is_not_resolved(typed: str) -> None:
    assert catalogs.state_code(typed) is None


def test_an_alias_never_names_an_estado_the_catalog_lacks() -> None:
    assert resolve_state("NL", {"JAL": "Jalisco"}) is None


def test_preload_loads_every_catalog() -> None:
    fresh = SatCatalogs()
    fresh.preload()
    for name in ("regimes", "states", "_municipalities", "_postal_codes", "_colonias"):
        assert name in fresh.__dict__, name
