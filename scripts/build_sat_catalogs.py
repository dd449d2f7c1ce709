"""Rebuild services/data/sat/ from SAT's CFDI 4.0 catalogs (catCFDI_V_4, Anexo 20).

Source: phpcfdi/resources-sat-catalogs, SQL files that its robot rebuilds row by row from
SAT's catCFDI_V_4 workbook whenever SAT publishes a change (one commit per change). Give
it a clone or a bare mirror, and the commit to read:

    git clone https://github.com/phpcfdi/resources-sat-catalogs /tmp/resources-sat-catalogs
    python scripts/build_sat_catalogs.py /tmp/resources-sat-catalogs --rev 675be01

A copy that lacks the two largest files (cfdi_40_codigos_postales.sql and
cfdi_40_colonias.sql, over 4 MiB) can take them from the catalogs database that the
satcfdi wheel ships, built from the same workbook: `--satcfdi satcfdi-26.10.1-py3-none-any.whl`
(`pip download --no-deps satcfdi==26.10.1`). SOURCE.md says which file came from where.

SAT's January 2026 change of 93 postal codes' municipio (15 municipios created) is applied
from `--moves` (by default ../shared/data/sat/c_CodigoPostal-moves-2026.tsv beside the
clone): a row moves only where the source still gives it the municipio the file says it had
before; any other row stops the build. The moves are shipped too, as the bot still accepts
the former municipio's name for those codes (older Constancias print it).
The output depends only on the inputs: running it twice writes the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import pickle
import sqlite3
import subprocess
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "services" / "data" / "sat"
MOVES_NAME = "c_CodigoPostal-moves-2026.tsv"
MOVES = ROOT.parent / "shared" / "data" / "sat" / MOVES_NAME
MOVES_HEADER = "cp\testado\tmunicipio_before\tmunicipio_after"
REPOSITORY = "https://github.com/phpcfdi/resources-sat-catalogs"
# Where the moves come from (../shared/data/sat/README.md): SAT's workbooks diffed.
DIFFS_REPOSITORY = "https://github.com/phillipmex/latam-gov-diffs"
DIFFS_PATH = "diffs/catcfdi/2024-12-04-a4b88178__2026-09-03-a5ce7a60.jsonl"
DIFFS_COMMIT = "947cd7292f59149527b788f9ad38452daf7db886"
# SAT's c_CodigoPostal repeats 00000 for 29 states: a placeholder, not a place.
PLACEHOLDER_POSTAL_CODE = "00000"
TABLES = {
    "regimes": "cfdi_40_regimenes_fiscales",
    "states": "cfdi_40_estados",
    "municipalities": "cfdi_40_municipios",
    "postal_codes": "cfdi_40_codigos_postales",
    "colonias": "cfdi_40_colonias",
}
FROM_SATCFDI = {"postal_codes": "C756_c_CodigoPostal", "colonias": "C756_c_Colonia"}

Row = dict[str, Any]


# --- pure functions: rows in, shipped text out ------------------------------------------


def table_rows(schema_sql: str, data_sql: str) -> list[Row]:
    """The rows of one phpcfdi table: its CREATE TABLE and INSERT files, run in SQLite."""
    connection = sqlite3.connect(":memory:")
    connection.row_factory = sqlite3.Row
    connection.executescript(schema_sql + "\n" + data_sql)
    (name,) = connection.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchone()
    return [dict(row) for row in connection.execute(f'SELECT * FROM "{name}"')]


def in_force(row: Row, as_of: str) -> bool:
    """SAT's vigencia: from vigencia_desde, until vigencia_hasta (empty: no end)."""
    ends = str(row.get("vigencia_hasta") or "")
    return not ends or ends >= as_of


def folded(text: str) -> str:
    """A sort key that puts "Álamo" with the A's and ignores case."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def regimes(rows: Iterable[Row], as_of: str) -> list[Row]:
    return [
        {
            "code": row["id"],
            "name": row["texto"],
            "fisica": bool(row["aplica_fisica"]),
            "moral": bool(row["aplica_moral"]),
            "valid_from": row["vigencia_desde"] or None,
            "valid_until": row["vigencia_hasta"] or None,
        }
        for row in sorted(rows, key=lambda row: str(row["id"]))
        if in_force(row, as_of)
    ]


def states(rows: Iterable[Row], as_of: str) -> dict[str, str]:
    mexican = (r for r in rows if r["pais"] == "MEX" and in_force(r, as_of))
    return {row["estado"]: row["texto"] for row in sorted(mexican, key=lambda r: r["estado"])}


def municipalities(rows: Iterable[Row], known_states: dict[str, str], as_of: str) -> dict[str, str]:
    found = {
        f"{row['estado']}-{row['municipio']}": row["texto"]
        for row in rows
        if row["estado"] in known_states and in_force(row, as_of)
    }
    return dict(sorted(found.items()))


def postal_code_lines(rows: Iterable[Row], known_states: dict[str, str], as_of: str) -> list[str]:
    """`code, estado, municipio` (municipio empty when SAT gives none), by code."""
    kept = {
        row["id"]: f"{row['id']}\t{row['estado']}\t{row['municipio']}"
        for row in rows
        if row["id"] != PLACEHOLDER_POSTAL_CODE
        and row["estado"] in known_states
        and in_force(row, as_of)
    }
    return [kept[code] for code in sorted(kept)]


def colonia_lines(rows: Iterable[Row], postal_codes: set[str]) -> list[str]:
    """`postal code, colonia code, name`, by postal code, then name as a person reads it."""
    kept = [
        (row["codigo_postal"], folded(row["texto"]), row["texto"], row["colonia"])
        for row in rows
        if row["codigo_postal"] in postal_codes
    ]
    return [f"{cp}\t{code}\t{name}" for cp, _, name, code in sorted(kept)]


@dataclass(frozen=True)
class Move:
    """A postal code whose municipio SAT changed: `before` empty where it gave none."""

    code: str
    state: str
    before: str
    after: str


def read_moves(text: str) -> list[Move]:
    header, *rows = text.splitlines()
    if header != MOVES_HEADER:
        raise SystemExit(f"the moves file's header is {header!r}, not {MOVES_HEADER!r}")
    return [Move(*row.split("\t")) for row in rows]


def moves_text(moves: list[Move]) -> str:
    rows = (f"{m.code}\t{m.state}\t{m.before}\t{m.after}" for m in moves)
    return "\n".join([MOVES_HEADER, *rows]) + "\n"


def apply_moves(cp_lines: list[str], moves: Iterable[Move]) -> list[str]:
    """The postal-code lines with each move applied; a line that no longer says what the
    move expects before it (the source changed, or already carries the move) stops the
    build rather than be overwritten unseen."""
    at = {line[:5]: index for index, line in enumerate(cp_lines)}
    moved = list(cp_lines)
    for move in moves:
        expected = f"{move.code}\t{move.state}\t{move.before}"
        found = cp_lines[at[move.code]] if move.code in at else None
        if found != expected:
            raise SystemExit(
                f"c_CodigoPostal {move.code}: the moves expect {expected!r}, the source "
                f"gives {found!r}; check the moves against the source before building"
            )
        moved[at[move.code]] = f"{move.code}\t{move.state}\t{move.after}"
    return moved


def json_text(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=0) + "\n"


def gzip_bytes(lines: list[str]) -> bytes:
    """No file name and no time in the gzip header, so the same lines give the same bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as file:
        file.write(("\n".join(lines) + "\n").encode("utf-8"))
    return buffer.getvalue()


# --- reading the sources -----------------------------------------------------------------


@dataclass
class Phpcfdi:
    """A clone or bare mirror of phpcfdi/resources-sat-catalogs, read at one commit."""

    path: Path
    rev: str

    def git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", f"--git-dir={self.git_dir}", *args], capture_output=True, text=True
        )

    @property
    def git_dir(self) -> Path:
        return self.path / ".git" if (self.path / ".git").exists() else self.path

    def commit(self, path: str = "") -> tuple[str, str]:
        """The full hash and date (YYYY-MM-DD) of rev, or of the last commit changing path."""
        out = self.git("log", "-1", "--format=%H %cs", self.rev, "--", *filter(None, [path]))
        full, day = out.stdout.split()
        return full, day

    def show(self, path: str) -> str | None:
        out = self.git("show", f"{self.rev}:{path}")
        return out.stdout if out.returncode == 0 else None

    def rows(self, table: str) -> list[Row] | None:
        schema = self.show(f"database/schemas/{table}.sql")
        data = self.show(f"database/data/{table}.sql")
        return None if schema is None or data is None else table_rows(schema, data)


def release(source: Phpcfdi) -> str:
    """phpcfdi's release number (`database/version.txt`: major.build.YYYYMMDD of SAT's update)."""
    return (source.show("database/version.txt") or "unknown").strip()


class PlainUnpickler(pickle.Unpickler):
    """satcfdi stores pickled values; only plain strings, tuples and lists may come out."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing {module}.{name}")


def satcfdi_rows(wheel: Path, key: str) -> list[Row]:
    """The table as phpcfdi's columns, from the catalogs.db inside satcfdi's wheel."""
    plain = lambda data: PlainUnpickler(io.BytesIO(data)).load()  # noqa: E731
    with tempfile.TemporaryDirectory() as folder, zipfile.ZipFile(wheel) as archive:
        database = Path(archive.extract("satcfdi/catalogs/catalogs.db", folder))
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        pairs = [
            (plain(k), plain(v))
            for k, v in connection.execute(f"SELECT key, value FROM {FROM_SATCFDI[key]}")
        ]
        connection.close()
    if key == "postal_codes":
        return [{"id": cp, "estado": v[0], "municipio": v[1]} for cp, v in pairs]
    return [{"colonia": k[0], "codigo_postal": k[1], "texto": v} for k, v in pairs]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the shipped files -------------------------------------------------------------------


def build(source: Phpcfdi, satcfdi: Path | None, moves_file: Path = MOVES) -> dict[str, bytes]:
    head, as_of = source.commit()
    rows: dict[str, list[Row]] = {}
    origin: dict[str, str] = {}
    from_satcfdi: set[str] = set()
    for key, table in TABLES.items():
        found = source.rows(table)
        if found is not None:
            rows[key] = found
            full, day = source.commit(f"database/data/{table}.sql")
            origin[key] = f"`{table}.sql`, last changed by {full[:7]} ({day})"
        elif key in FROM_SATCFDI and satcfdi is not None:
            rows[key] = satcfdi_rows(satcfdi, key)
            origin[key] = f"`{FROM_SATCFDI[key]}` of {satcfdi.name}"
            from_satcfdi.add(key)
        else:
            raise SystemExit(f"{table}.sql is not in {source.path} at {source.rev}: --satcfdi")
    regime_rows = regimes(rows["regimes"], as_of)
    state_names = states(rows["states"], as_of)
    municipality_names = municipalities(rows["municipalities"], state_names, as_of)
    moves = read_moves(moves_file.read_text(encoding="utf-8"))
    cp_lines = apply_moves(postal_code_lines(rows["postal_codes"], state_names, as_of), moves)
    colonias = colonia_lines(rows["colonias"], {line[:5] for line in cp_lines})
    missing = {
        f"{state}-{municipality}"
        for _, state, municipality in (line.split("\t") for line in cp_lines)
        if municipality
    } - set(municipality_names)
    if missing:
        raise SystemExit(f"postal codes name municipios that c_Municipio lacks: {missing}")
    counts = {
        "regimes": len(regime_rows),
        "states": len(state_names),
        "municipalities": len(municipality_names),
        "postal_codes": len(cp_lines),
        "without_municipality": sum(1 for line in cp_lines if line.endswith("\t")),
        "colonias": len(colonias),
        "colonia_postal_codes": len({line[:5] for line in colonias}),
    }
    newest_from = max(str(r["vigencia_desde"]) for r in rows["municipalities"])
    newest = {
        f"{r['estado']}-{r['municipio']}": r["texto"]
        for r in rows["municipalities"]
        if r["vigencia_desde"] == newest_from
    }
    counts.update(newest_count=len(newest), moves=len(moves))
    note = ""
    if satcfdi is not None and "postal_codes" in from_satcfdi:
        note = SATCFDI_NOTE.format(
            wheel=f"{satcfdi.name}\n(sha256 {sha256(satcfdi)})",
            colonias_changed=source.commit("database/data/cfdi_40_colonias.sql")[1],
            postal_codes_changed=source.commit("database/data/cfdi_40_codigos_postales.sql")[1],
            newest_from=newest_from,
            newest_names=", ".join(sorted(newest.values())),
        )
    return {
        "c_RegimenFiscal.json": json_text(regime_rows).encode(),
        "c_Estado.json": json_text(state_names).encode(),
        "c_Municipio.json": json_text(municipality_names).encode(),
        "c_CodigoPostal.tsv.gz": gzip_bytes(cp_lines),
        "c_Colonia.tsv.gz": gzip_bytes(colonias),
        MOVES_NAME: moves_text(moves).encode(),
        "SOURCE.md": source_md(
            head, as_of, origin, counts, newest_from, note, release(source)
        ).encode(),
    }


SOURCE_MD = """\
# SAT catalogs shipped with the bot

SAT's CFDI 4.0 catalogs (catCFDI_V_4, Anexo 20 de la RMF), rebuilt by
`scripts/build_sat_catalogs.py` from [phpcfdi/resources-sat-catalogs]({repository}) at
commit `{head}` ({as_of}, phpcfdi's release `{release}`),
whose robot turns SAT's workbook into SQL row by row.

SAT's version and revision of the workbook are not carried by that source (its robot keeps
the rows, not the sheets' headings): the list below gives, per file, the commit that last
brought a change from SAT. The newest rows are {newest_count} municipios in force from
{newest_from}. Rows whose vigencia ended by {as_of} are left out.

- `c_RegimenFiscal.json`: {regimes} regímenes (code, name, física, moral, vigencia);
  from {origin_regimes}.
- `c_Estado.json`: the {states} estados of MEX; from {origin_states}.
- `c_Municipio.json`: {municipalities} municipios keyed `ESTADO-MUNICIPIO`;
  from {origin_municipalities}.
- `c_CodigoPostal.tsv.gz`: {postal_codes} postal codes (code, estado, municipio), of which
  {without_municipality} have no municipio; 00000, SAT's placeholder, is left out;
  from {origin_postal_codes}.
- `c_Colonia.tsv.gz`: {colonias} colonias of {colonia_postal_codes} postal codes (postal
  code, SAT code, name); from {origin_colonias}.
- `c_CodigoPostal-moves-2026.tsv`: the {moves} postal codes whose municipio SAT changed
  when it created the municipios in force from {newest_from} (code, estado, municipio
  before, empty where SAT gave none, and after), applied to `c_CodigoPostal.tsv.gz` where
  the source still gave the municipio before (any other row stops the build), and shipped
  because the bot still accepts the former municipio's name for those codes. SAT's codes
  and names are kept where INEGI's differ (SAT calls GRO-084 "Ñuu Savi" and GRO-085
  "Santa Cruz del Rincón"): invoices are validated by code. From the public repository
  [phillipmex/latam-gov-diffs]({diffs}), which commits the differences between SAT's
  official workbooks: `{diffs_path}`
  at commit `{diffs_commit}`, comparing `catCFDI_V_4_20241204.xls`
  (sha256 a4b88178fd0261be…) with `catCFDI_V_4_20260903.xls` (sha256 a5ce7a602726f08a…);
  only `c_municipio` changed in those rows.
{note}
Rebuild (the same inputs give the same bytes):

    git clone {repository}
    pip download --no-deps satcfdi==26.10.1   # only if the clone lacks a file
    python scripts/build_sat_catalogs.py resources-sat-catalogs --rev {head_short} \\
        --satcfdi satcfdi-26.10.1-py3-none-any.whl \\
        --moves {moves_file}
"""

SATCFDI_NOTE = """
The copy of phpcfdi's repository this was built from lacked its two largest files
(`cfdi_40_codigos_postales.sql`, `cfdi_40_colonias.sql`), so those two came from the
catalogs database in {wheel}.
phpcfdi's history dates SAT's last change of each: colonias
{colonias_changed}, postal codes {postal_codes_changed}. That wheel's c_CodigoPostal
predates the municipios in force from {newest_from}
({newest_names}):
the moves above bring its postal codes to them.
"""


def source_md(
    head: str,
    as_of: str,
    origin: dict[str, str],
    counts: dict[str, int],
    newest_from: str,
    note: str,
    release: str,
) -> str:
    return SOURCE_MD.format(
        release=release,
        repository=REPOSITORY,
        head=head,
        head_short=head[:7],
        as_of=as_of,
        newest_from=newest_from,
        note=note,
        diffs=DIFFS_REPOSITORY,
        diffs_path=DIFFS_PATH,
        diffs_commit=DIFFS_COMMIT,
        moves_file=f"../shared/data/sat/{MOVES_NAME}",
        **{f"origin_{key}": value for key, value in origin.items()},
        **counts,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("phpcfdi", type=Path, help="clone or bare mirror of resources-sat-catalogs")
    parser.add_argument("--rev", default="HEAD", help="commit to read (HEAD)")
    parser.add_argument("--satcfdi", type=Path, help="satcfdi wheel, for files the clone lacks")
    parser.add_argument("--moves", type=Path, default=MOVES, help=f"({MOVES})")
    parser.add_argument("--out", type=Path, default=OUT)
    arguments = parser.parse_args()
    source = Phpcfdi(arguments.phpcfdi, arguments.rev)
    files = build(source, arguments.satcfdi, arguments.moves)
    arguments.out.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (arguments.out / name).write_bytes(content)
    print(f"wrote {len(files)} files to {arguments.out}")


if __name__ == "__main__":
    main()
