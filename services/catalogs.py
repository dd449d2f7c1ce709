"""SAT's CFDI 4.0 catalogs that the bot ships (services/data/sat, see SOURCE.md there):
régimen fiscal by person type, and postal code to estado and municipio."""

from __future__ import annotations

import gzip
import json
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from services.validation import PersonType

DATA_DIR = Path(__file__).with_name("data") / "sat"


@dataclass(frozen=True, slots=True)
class Regime:
    code: str
    name: str
    fisica: bool
    moral: bool

    def fits(self, person: PersonType) -> bool:
        return self.fisica if person is PersonType.FISICA else self.moral


@dataclass(frozen=True, slots=True)
class PostalCode:
    code: str
    state_code: str
    state: str
    municipality: str | None


class SatCatalogs:
    """Loaded on first use; the postal codes take a few tens of milliseconds."""

    def __init__(self, directory: Path = DATA_DIR) -> None:
        self._directory = directory

    def _json(self, name: str) -> Any:
        """A catalog file as shipped: the build script writes the shapes read below."""
        return json.loads((self._directory / name).read_text(encoding="utf-8"))

    @cached_property
    def regimes(self) -> dict[str, Regime]:
        return {item["code"]: Regime(**item) for item in self._json("c_RegimenFiscal.json")}

    def regimes_for(self, person: PersonType) -> list[Regime]:
        return [regime for regime in self.regimes.values() if regime.fits(person)]

    @cached_property
    def states(self) -> dict[str, str]:
        states: dict[str, str] = self._json("c_Estado.json")
        return states

    @cached_property
    def _municipalities(self) -> dict[str, str]:
        municipalities: dict[str, str] = self._json("c_Municipio.json")
        return municipalities

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

    def postal_code_count(self) -> int:
        return len(self._postal_codes[0])

    def preload(self) -> None:
        """Load everything now (in a worker thread at start), not on a person's message."""
        _ = self.regimes, self.states, self._municipalities, self._postal_codes

    def postal_code(self, code: str) -> PostalCode | None:
        if not code.isdigit():
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
            municipality=self._municipalities.get(f"{state}-{municipality}"),
        )
