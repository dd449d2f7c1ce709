"""SAT's CFDI 4.0 catalogs that the bot ships (services/data/sat, see SOURCE.md there):
régimen fiscal by person type, estados and municipios, postal code to estado and
municipio, and the colonias of each postal code."""

from __future__ import annotations

import gzip
import json
import unicodedata
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from services.validation import PersonType

DATA_DIR = Path(__file__).with_name("data") / "sat"


# The régimenes small issuers use most, first in the buttons: for a persona física RESICO
# (626) and actividades empresariales y profesionales (612), then arrendamiento (606),
# plataformas tecnológicas (625) and the old RIF (621); for a persona moral the general
# régimen (601), then RESICO (626) and the non-profits (603).
USUAL_REGIMES = {
    PersonType.FISICA: ("626", "612", "606", "625", "621"),
    PersonType.MORAL: ("601", "626", "603"),
}
# Anexo 20 (Guía de llenado del CFDI 4.0, Emisor/RegimenFiscal) and SAT's Matriz de errores
# check only that the emisor's régimen fits its kind of person (física or moral) in
# c_RegimenFiscal; they refuse no régimen of the right kind for an emisor. So 605 (Sueldos
# y Salarios: the employer issues the CFDI de nómina, the employee receives it) and 616 (Sin
# obligaciones fiscales: the régimen of receptors without an activity, and of the generic
# RFCs XAXX010101000 and XEXX010101000) stay choosable, but they are a receptor's in
# practice and go last. No SAT source found says an emisor may not use them; the Matriz's
# rule is quoted e.g. at https://soltum.com.mx/cfdi-4-0-la-relacion-entre-el-regimen-fiscal-
# del-receptor-y-el-uso-del-cfdi ("El régimen fiscal que se registre en este atributo debe
# corresponder con el tipo de persona del emisor").
RECEPTOR_REGIMES = frozenset({"605", "616"})


@dataclass(frozen=True, slots=True)
class Regime:
    code: str
    name: str
    fisica: bool
    moral: bool
    valid_from: date | None = None
    valid_until: date | None = None  # None: no end in SAT's catalog

    def fits(self, person: PersonType) -> bool:
        return self.fisica if person is PersonType.FISICA else self.moral

    def in_force(self, day: date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True, slots=True)
class PostalCode:
    code: str
    state_code: str
    state: str
    municipality: str | None  # None: SAT gives this code no municipio (a range filler)
    municipality_code: str | None = None
    # The municipio SAT gave the code before its January 2026 change (older Constancias
    # still print it); None for the other codes.
    former_municipality_code: str | None = None


@dataclass(frozen=True, slots=True)
class Colonia:
    code: str  # SAT's c_Colonia code, unique within its postal code
    name: str


def folded(text: str) -> str:
    """Letters and digits only, without case or accents: "Q. Roo" and "qroo" match."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def reading_key(text: str) -> str:
    """Sorts names as a person reads a list: "Álamos" among the A's, case aside."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Names people commonly write for an estado, beyond SAT's own names and codes (folded).
STATE_ALIASES = {
    "cdmx": "CMX", "df": "CMX", "distritofederal": "CMX", "mexicodf": "CMX",
    "edomex": "MEX", "mexico": "MEX", "edodemexico": "MEX", "edomexico": "MEX", "mex": "MEX",
    "ags": "AGU", "bc": "BCN", "bcn": "BCN", "bajacalifornianorte": "BCN", "bcs": "BCS",
    "camp": "CAM", "chis": "CHP", "chih": "CHH", "coah": "COA", "coahuiladezaragoza": "COA",
    "col": "COL", "dgo": "DUR", "gto": "GUA", "gro": "GRO", "hgo": "HID", "jal": "JAL",
    "mich": "MIC", "michoacandeocampo": "MIC", "mor": "MOR", "nay": "NAY", "nl": "NLE",
    "oax": "OAX", "pue": "PUE", "qro": "QUE", "queretarodearteaga": "QUE", "qroo": "ROO",
    "qr": "ROO", "slp": "SLP", "sin": "SIN", "son": "SON", "tab": "TAB", "tamps": "TAM",
    "tlax": "TLA", "ver": "VER", "veracruzdeignaciodelallave": "VER", "yuc": "YUC",
    "zac": "ZAC",
}  # fmt: skip


def resolve_state(text: str, states: Mapping[str, str]) -> str | None:
    """The SAT code of the estado typed: its name, its code or a common alias, in any case,
    with or without accents, spaces or dots ("Nuevo León", "nl", "NLE", "Q. Roo"...)."""
    key = folded(text)
    if not key:
        return None
    for code, name in states.items():
        if key in (folded(code), folded(name)):
            return code
    alias = STATE_ALIASES.get(key)
    return alias if alias in states else None


class SatCatalogs:
    """Loaded on first use, or all at once by preload() at start (in a worker thread)."""

    def __init__(self, directory: Path = DATA_DIR) -> None:
        self._directory = directory

    def _json(self, name: str) -> Any:
        """A catalog file as shipped: the build script writes the shapes read below."""
        return json.loads((self._directory / name).read_text(encoding="utf-8"))

    @cached_property
    def regimes(self) -> dict[str, Regime]:
        def regime(item: dict[str, Any]) -> Regime:
            days = {
                k: date.fromisoformat(item[k]) if item[k] else None
                for k in ("valid_from", "valid_until")
            }
            return Regime(**{**item, **days})

        return {item["code"]: regime(item) for item in self._json("c_RegimenFiscal.json")}

    def regimes_for(self, person: PersonType, *, on: date | None = None) -> list[Regime]:
        """The regímenes a person of this type may choose, in force on that day (today),
        the ones small issuers use most first (USUAL_REGIMES), then by code, and last those
        that are a receptor's in practice (RECEPTOR_REGIMES)."""
        day = on or date.today()
        usual = USUAL_REGIMES[person]
        found = [r for r in self.regimes.values() if r.fits(person) and r.in_force(day)]
        return sorted(
            found,
            key=lambda r: (
                r.code in RECEPTOR_REGIMES,
                usual.index(r.code) if r.code in usual else len(usual),
                r.code,
            ),
        )

    @cached_property
    def states(self) -> dict[str, str]:
        """The 32 estados, SAT code to name."""
        states: dict[str, str] = self._json("c_Estado.json")
        return states

    def state_code(self, text: str) -> str | None:
        return resolve_state(text, self.states)

    @cached_property
    def _municipalities(self) -> dict[str, str]:
        municipalities: dict[str, str] = self._json("c_Municipio.json")
        return municipalities

    def municipality(self, state_code: str, code: str) -> str | None:
        return self._municipalities.get(f"{state_code}-{code}")

    def municipalities_of(self, state_code: str) -> list[tuple[str, str]]:
        """(code, name) of the estado's municipios, by name as a person reads it."""
        prefix = f"{state_code}-"
        found = [
            (k[len(prefix) :], n) for k, n in self._municipalities.items() if k.startswith(prefix)
        ]
        return sorted(found, key=lambda pair: (reading_key(pair[1]), pair[1]))

    def find_municipality(self, state_code: str, text: str) -> tuple[str, str] | None:
        """(code, name) of the estado's municipio typed, in any case or accents."""
        key = folded(text)
        matches = [pair for pair in self.municipalities_of(state_code) if folded(pair[1]) == key]
        return matches[0] if key and matches else None

    @cached_property
    def _postal_codes(self) -> tuple[array[int], array[int], list[tuple[str, str]]]:
        """Sorted codes as integers, and per code an index into the few thousand distinct
        (estado, municipio) pairs: about 600 KB instead of a 25 MB dict."""
        codes, places = array("I"), array("H")
        pairs: list[tuple[str, str]] = []
        index: dict[tuple[str, str], int] = {}
        with gzip.open(self._directory / "c_CodigoPostal.tsv.gz", "rt", encoding="utf-8") as file:
            for line in file:
                code, state, municipality = line.rstrip("\n").split("\t")
                pair = (state, municipality)
                if pair not in index:
                    index[pair] = len(pairs)
                    pairs.append(pair)
                codes.append(int(code))
                places.append(index[pair])
        return codes, places, pairs

    @cached_property
    def _former_municipalities(self) -> dict[str, str]:
        """Postal code to the municipio SAT gave it before moving it to one created in
        January 2026 (the moves the build applied, shipped beside the catalogs)."""
        path = self._directory / "c_CodigoPostal-moves-2026.tsv"
        rows = (line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:])
        return {code: before for code, _, before, _ in rows if before}

    def postal_code_count(self) -> int:
        return len(self._postal_codes[0])

    def postal_code(self, code: str) -> PostalCode | None:
        """The postal code's estado and municipio; None when SAT does not list it (00000,
        SAT's placeholder, is not shipped)."""
        if not (len(code) == 5 and code.isascii() and code.isdigit()):
            return None
        codes, places, pairs = self._postal_codes
        position = bisect_left(codes, int(code))
        if position == len(codes) or codes[position] != int(code):
            return None
        state, municipality = pairs[places[position]]
        return PostalCode(
            code=code,
            state_code=state,
            state=self.states[state],
            municipality=self.municipality(state, municipality) if municipality else None,
            municipality_code=municipality or None,
            former_municipality_code=self._former_municipalities.get(code),
        )

    @cached_property
    def _colonias(self) -> bytes:
        """The colonias file as one block of UTF-8 lines, `postal code<TAB>code<TAB>name`
        sorted by postal code: about 3.7 MB and no object per colonia; a postal code is
        found by bisecting the block itself (no index to build, so it loads in milliseconds)."""
        packed = (self._directory / "c_Colonia.tsv.gz").read_bytes()
        # One buffer of the right size (gzip's trailer gives it): gzip.decompress would
        # hold the text twice or more while growing and joining its pieces.
        size = int.from_bytes(packed[-4:], "little")
        return zlib.decompress(packed, wbits=31, bufsize=size)

    def colonias_of(self, postal_code: str) -> list[Colonia]:
        """The postal code's colonias, by name as a person reads it; [] when SAT lists none."""
        if not (len(postal_code) == 5 and postal_code.isascii() and postal_code.isdigit()):
            return []
        block, wanted = self._colonias, postal_code.encode()
        low, high = 0, len(block)  # both always at the start of a line
        while low < high:
            line = block.rfind(b"\n", 0, (low + high) // 2) + 1
            if block[line : line + 5] < wanted:
                low = block.index(b"\n", line) + 1
            else:
                high = line
        colonias: list[Colonia] = []
        while block.startswith(wanted + b"\t", low):
            end = block.index(b"\n", low)
            _, code, name = block[low:end].decode("utf-8").split("\t")
            colonias.append(Colonia(code=code, name=name))
            low = end + 1
        return colonias

    def colonia(self, postal_code: str, code: str) -> Colonia | None:
        return next((c for c in self.colonias_of(postal_code) if c.code == code), None)

    @staticmethod
    @cache
    def shared(directory: Path = DATA_DIR) -> SatCatalogs:
        """One loaded set per process and directory: the catalogs ship with the code and
        are only read, so a bot started again in the same process (local mode, the tests)
        does not read and index them again."""
        return SatCatalogs(directory)

    def preload(self) -> None:
        """Load everything now (in a worker thread at start), not on a person's message."""
        _ = self.regimes, self.states, self._municipalities, self._postal_codes, self._colonias
        _ = self._former_municipalities
