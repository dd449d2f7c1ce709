"""scripts/build_sat_catalogs.py: its steps on a small made-up source, the shipped files'
own invariants, and (where the source is at hand) a rebuild byte for byte."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from services.catalogs import reading_key

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "services" / "data" / "sat"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_sat_catalogs", ROOT / "scripts" / "build_sat_catalogs.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


build = load_script()

REGIMES_SCHEMA = """CREATE TABLE "cfdi_40_regimenes_fiscales"("id" text not null, "texto" text
 not null, "aplica_fisica" int not null, "aplica_moral" int not null, "vigencia_desde" text
 not null, "vigencia_hasta" text not null, PRIMARY KEY("id"));"""
REGIMES_DATA = """INSERT INTO cfdi_40_regimenes_fiscales VALUES('626','Régimen Simplificado de Confianza',1,1,'2022-01-01','');
INSERT INTO cfdi_40_regimenes_fiscales VALUES('609','Consolidación','',1,'2016-11-12','2019-12-31');
INSERT INTO cfdi_40_regimenes_fiscales VALUES('601','General de Ley Personas Morales','',1,'2022-01-01','');
INSERT INTO cfdi_40_regimenes_fiscales VALUES('699','Ends after the source''s date','',1,'2022-01-01','2030-01-01');
"""  # noqa: E501


def test_regimes_come_from_the_rows_and_ended_ones_are_dropped() -> None:
    rows = build.table_rows(REGIMES_SCHEMA, REGIMES_DATA)
    assert build.regimes(rows, "2026-08-06") == [
        {
            "code": "601",
            "name": "General de Ley Personas Morales",
            "fisica": False,
            "moral": True,
            "valid_from": "2022-01-01",
            "valid_until": None,
        },
        {
            "code": "626",
            "name": "Régimen Simplificado de Confianza",
            "fisica": True,
            "moral": True,
            "valid_from": "2022-01-01",
            "valid_until": None,
        },
        {
            "code": "699",
            "name": "Ends after the source's date",
            "fisica": False,
            "moral": True,
            "valid_from": "2022-01-01",
            "valid_until": "2030-01-01",
        },
    ]


def test_only_mexican_estados_in_force_are_kept() -> None:
    rows = [
        {"estado": "NLE", "pais": "MEX", "texto": "Nuevo León", "vigencia_hasta": ""},
        {"estado": "AGU", "pais": "MEX", "texto": "Aguascalientes", "vigencia_hasta": ""},
        {"estado": "TX", "pais": "USA", "texto": "Texas", "vigencia_hasta": ""},
        {"estado": "DIF", "pais": "MEX", "texto": "Distrito Federal", "vigencia_hasta": "2021"},
    ]
    assert build.states(rows, "2026-01-01") == {"AGU": "Aguascalientes", "NLE": "Nuevo León"}


def test_postal_codes_drop_the_placeholder_and_keep_a_missing_municipio_empty() -> None:
    states = {"CMX": "Ciudad de México", "TLA": "Tlaxcala"}
    rows = [
        {"id": "06600", "estado": "CMX", "municipio": "015"},
        {"id": "00000", "estado": "TLA", "municipio": "000"},
        {"id": "01001", "estado": "CMX", "municipio": ""},
        {"id": "77000", "estado": "ROO", "municipio": "004"},  # an estado not shipped
    ]
    assert build.postal_code_lines(rows, states, "2026-01-01") == [
        "01001\tCMX\t",
        "06600\tCMX\t015",
    ]


def test_colonias_are_grouped_by_postal_code_and_sorted_as_read() -> None:
    rows = [
        {"colonia": "0003", "codigo_postal": "01000", "texto": "Zona Centro"},
        {"colonia": "0001", "codigo_postal": "01000", "texto": "Álamos"},
        {"colonia": "0002", "codigo_postal": "01000", "texto": "bosque"},
        {"colonia": "0930", "codigo_postal": "00900", "texto": "Juárez"},
        {"colonia": "0004", "codigo_postal": "99999", "texto": "Sin código postal"},
    ]
    assert build.colonia_lines(rows, {"00900", "01000"}) == [
        "00900\t0930\tJuárez",
        "01000\t0001\tÁlamos",
        "01000\t0002\tbosque",
        "01000\t0003\tZona Centro",
    ]


MOVES = build.read_moves(
    "cp\testado\tmunicipio_before\tmunicipio_after\n21850\tBCN\t002\t007\n22937\tBCN\t\t006\n"
)
LINES = ["21100\tBCN\t002", "21850\tBCN\t002", "22937\tBCN\t"]


def test_the_moves_apply_where_the_source_still_gives_the_municipio_before() -> None:
    assert build.apply_moves(LINES, MOVES) == [
        "21100\tBCN\t002",
        "21850\tBCN\t007",
        "22937\tBCN\t006",
    ]


@pytest.mark.parametrize(
    "source",
    [
        ["21850\tBCN\t001", "22937\tBCN\t"],  # another municipio before
        ["21850\tBCN\t007", "22937\tBCN\t"],  # already moved: the source changed
        ["21850\tSON\t002", "22937\tBCN\t"],  # another estado
        ["22937\tBCN\t"],  # the postal code is gone
    ],
)
def test_a_postal_code_that_differs_from_what_the_moves_expect_stops_the_build(
    source: list[str],
) -> None:
    with pytest.raises(SystemExit, match="21850"):
        build.apply_moves(source, MOVES)


def test_compressed_files_do_not_depend_on_when_they_were_written() -> None:
    first = build.gzip_bytes(["a", "b"])
    assert first == build.gzip_bytes(["a", "b"])
    assert first[4:8] == b"\0\0\0\0"  # gzip's MTIME field
    assert gzip.decompress(first) == b"a\nb\n"


def shipped_lines(name: str) -> list[list[str]]:
    text = gzip.decompress((SHIPPED / name).read_bytes()).decode("utf-8")
    return [line.split("\t") for line in text.splitlines()]


def test_shipped_files_agree_with_each_other_and_with_source_md() -> None:
    states = json.loads((SHIPPED / "c_Estado.json").read_text(encoding="utf-8"))
    municipalities = json.loads((SHIPPED / "c_Municipio.json").read_text(encoding="utf-8"))
    regimes = json.loads((SHIPPED / "c_RegimenFiscal.json").read_text(encoding="utf-8"))
    postal = shipped_lines("c_CodigoPostal.tsv.gz")
    colonias = shipped_lines("c_Colonia.tsv.gz")
    codes = [cp for cp, _, _ in postal]
    assert codes == sorted(set(codes)) and "00000" not in codes
    assert all(re.fullmatch(r"[0-9]{5}", cp) for cp in codes)
    assert all(state in states for _, state, _ in postal)
    assert all(f"{state}-{m}" in municipalities for _, state, m in postal if m)
    assert {cp for cp, _, _ in colonias} <= set(codes)
    assert all(re.fullmatch(r"[0-9]{4}", code) and name for _, code, name in colonias)
    assert colonias == sorted(colonias, key=lambda row: (row[0], reading_key(row[2])))
    source = (SHIPPED / "SOURCE.md").read_text(encoding="utf-8")
    for count, what in [
        (len(regimes), "regímenes"),
        (len(states), "estados of MEX"),
        (len(municipalities), "municipios"),
        (len(postal), "postal codes"),
        (len(colonias), "colonias"),
    ]:
        assert re.search(rf"\b{count} {what}", source), what
    assert re.search(r"commit `[0-9a-f]{40}`", source)
    moves = build.read_moves((SHIPPED / build.MOVES_NAME).read_text(encoding="utf-8"))
    assert re.search(rf"\b{len(moves)} postal codes whose municipio SAT changed", source)
    place = {cp: (state, m) for cp, state, m in postal}
    assert all(place[m.code] == (m.state, m.after) for m in moves)


@pytest.mark.skipif(not build.MOVES.exists(), reason=f"{build.MOVES} not beside the clone")
def test_the_shipped_moves_are_the_shared_ones() -> None:
    assert (SHIPPED / build.MOVES_NAME).read_bytes() == build.MOVES.read_bytes()


@pytest.mark.skipif(
    not os.environ.get("SAT_CATALOGS_SOURCE"),
    reason="SAT_CATALOGS_SOURCE (a clone of phpcfdi/resources-sat-catalogs) not given",
)
def test_the_script_rebuilds_the_shipped_files_byte_for_byte() -> None:
    """SAT_CATALOGS_SOURCE=<clone> [SAT_CATALOGS_SATCFDI=<satcfdi wheel>] pytest ...; the
    moves come from ../shared beside the clone."""
    source = Path(os.environ["SAT_CATALOGS_SOURCE"])
    head = re.search(r"commit `([0-9a-f]{40})`", (SHIPPED / "SOURCE.md").read_text())
    assert head
    wheel = os.environ.get("SAT_CATALOGS_SATCFDI")
    files = build.build(build.Phpcfdi(source, head.group(1)), Path(wheel) if wheel else None)
    assert sorted(files) == sorted(path.name for path in SHIPPED.iterdir())
    for name, content in files.items():
        assert content == (SHIPPED / name).read_bytes(), name
