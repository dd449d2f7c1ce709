"""The Constancia de Situación Fiscal (CSF) read from its text, as `pdftotext -raw` gives it
(reading order): no PDF here, only the text.

The layout is read from its labels, not from fixed positions: SAT puts two fields to a line,
sometimes with no space after the colon, an empty field runs straight into the next label,
and a field can go on over a page break. So every known label is found, and a field's value
is the text between its label and the next one, with the page footers taken out. Labels
are matched without regard to accents or case, since older CSFs print them differently.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple


class NotACsf(ValueError):
    """The text is not a Constancia de Situación Fiscal (or lacks its RFC)."""


class Persona(StrEnum):
    MORAL = "moral"
    FISICA = "fisica"


class Regimen(NamedTuple):
    """One row of the CSF's «Regímenes» table: the name as printed and its dates."""

    nombre: str
    fecha_inicio: date
    fecha_fin: date | None


@dataclass(frozen=True)
class Domicilio:
    codigo_postal: str | None = None
    tipo_vialidad: str | None = None
    nombre_vialidad: str | None = None
    numero_exterior: str | None = None
    numero_interior: str | None = None
    colonia: str | None = None
    localidad: str | None = None
    municipio: str | None = None
    entidad_federativa: str | None = None
    correo: str | None = None
    # Ten digits, Lada and Número together; None unless they make ten digits.
    telefono: str | None = None


@dataclass(frozen=True)
class Csf:
    """What a CSF says. Fields the CSF does not print are None."""

    rfc: str
    persona: Persona
    denominacion: str | None
    regimen_capital: str | None
    curp: str | None
    nombre: str | None
    primer_apellido: str | None
    segundo_apellido: str | None
    id_cif: str | None
    estatus: str | None
    domicilio: Domicilio
    regimenes: tuple[Regimen, ...]
    fecha_emision: date | None
    lugar_emision: str | None

    @property
    def nombre_cfdi(self) -> str | None:
        """The name CFDI 4.0 wants: the razón social without its régimen capital, or a
        persona física's nombre, primer apellido and segundo apellido."""
        if self.persona is Persona.MORAL:
            return self.denominacion
        parts = [p for p in (self.nombre, self.primer_apellido, self.segundo_apellido) if p]
        return " ".join(" ".join(parts).split()) or None


# Every label that may appear in the identification and domicilio blocks, with the field it
# fills (None: a label read only so that the field before it ends there).
_LABELS: dict[str, str | None] = {
    "Datos de Identificación del Contribuyente:": None,
    "RFC:": "rfc",
    "CURP:": "curp",
    "Nombre (s):": "nombre",
    "Primer Apellido:": "primer_apellido",
    "Segundo Apellido:": "segundo_apellido",
    "Denominación/Razón Social:": "denominacion",
    "Régimen Capital:": "regimen_capital",
    "Nombre Comercial:": None,
    "Fecha inicio de operaciones:": None,
    "Estatus en el padrón:": "estatus",
    "Fecha de último cambio de estado:": None,
    "Datos del domicilio registrado": None,
    "Datos de Ubicación": None,
    "Código Postal:": "codigo_postal",
    "Tipo de Vialidad:": "tipo_vialidad",
    "Nombre de Vialidad:": "nombre_vialidad",
    "Número Exterior:": "numero_exterior",
    "Número Interior:": "numero_interior",
    "Nombre de la Colonia:": "colonia",
    "Nombre de la Localidad:": "localidad",
    "Nombre del Municipio o Demarcación Territorial:": "municipio",
    "Municipio o Delegación:": "municipio",
    "Nombre de la Entidad Federativa:": "entidad_federativa",
    "Entre Calle:": None,
    "Y Calle:": None,
    "Correo Electrónico:": "correo",
    "Tel. Fijo Lada:": "lada_fijo",
    "Tel. Móvil Lada:": "lada_movil",
    "Número:": "numero",
    "Estado del domicilio:": None,
    "Estado del contribuyente en el domicilio:": None,
}

# Where the identification and domicilio blocks end: the tables that follow them.
_BLOCK_END = ("ACTIVIDADES ECONOMICAS:", "REGIMENES:", "OBLIGACIONES:")
_TABLE_END = ("OBLIGACIONES:", "ACTIVIDADES ECONOMICAS:", "SUS DATOS PERSONALES", "CADENA ORIGINAL")
_MARKERS = ("CONSTANCIA DE SITUACION FISCAL", "CEDULA DE IDENTIFICACION FISCAL")
_PAGE = re.compile(r"^\s*P[AÁ]GINA\s*\[?\s*\d+\s*\]?\s*DE\s*\[?\s*\d+\s*\]?\s*$", re.IGNORECASE)
_RFC = re.compile(r"^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$")
_DATE = r"(\d{2})/(\d{2})/(\d{4})"
_ROW = re.compile(rf"^(.*?)\s*{_DATE}(?:\s+{_DATE})?\s*$")
_MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "ENERO",
            "FEBRERO",
            "MARZO",
            "ABRIL",
            "MAYO",
            "JUNIO",
            "JULIO",
            "AGOSTO",
            "SEPTIEMBRE",
            "OCTUBRE",
            "NOVIEMBRE",
            "DICIEMBRE",
        ],
        start=1,
    )
}
_ISSUED = re.compile(r"^(.*?)\s+A\s+(\d{1,2})\s+DE\s+([A-Z]+)\s+DE\s+(\d{4})\b")


def _fold(text: str) -> str:
    """The text upper-cased and without accents, one character for one (so that a position
    found in it is the same position in the original)."""
    out = []
    for ch in text:
        base = unicodedata.normalize("NFD", ch)[0]
        upper = base.upper()
        out.append(upper if len(upper) == 1 else base)
    return "".join(out)


def _label_pattern(label: str) -> str:
    folded = _fold(label).rstrip(":")
    words = [re.escape(w) for w in folded.replace("(", " (").split()]
    tail = r"\s*:" if label.endswith(":") else ""
    return r"(?<![A-Z0-9])" + r"\s*".join(words) + tail


# Longest first: at one position the alternation takes the first that matches. With every
# label ending in its colon none of today's is the start of another; this keeps it so for
# labels added later (a «Nombre:» beside «Nombre de la Colonia:»).
_LABEL_ORDER = sorted(_LABELS, key=len, reverse=True)
_LABEL_RE = re.compile("|".join(f"({_label_pattern(label)})" for label in _LABEL_ORDER))


def _clean(value: str) -> str | None:
    value = " ".join(value.split())
    return value or None


def _label_of(match: re.Match[str]) -> str:
    return _LABEL_ORDER[(match.lastindex or 1) - 1]


def _fields(block: str) -> tuple[dict[str, list[str | None]], list[str]]:
    """Each field of the block with its values in order (a label may repeat: «Número:»),
    and the fields in the order their labels appear."""
    matches = list(_LABEL_RE.finditer(_fold(block)))
    found: dict[str, list[str | None]] = {}
    order = []
    for i, match in enumerate(matches):
        field = _LABELS[_label_of(match)]
        if field is None:
            continue
        end = matches[i + 1].start() if i + 1 < len(matches) else len(block)
        found.setdefault(field, []).append(_clean(block[match.end() : end]))
        order.append(field)
    return found, order


def _first(fields: dict[str, list[str | None]], name: str) -> str | None:
    values = fields.get(name) or [None]
    return values[0]


def _telefono(fields: dict[str, list[str | None]], labels: list[str]) -> str | None:
    """Lada and the «Número:» that follows it, for the fixed phone first, then the mobile."""
    numeros = fields.get("numero", [])
    ladas = [label for label in labels if label in ("lada_fijo", "lada_movil")]
    for index, kind in enumerate(ladas):
        lada = _first(fields, kind) or ""
        numero = (numeros[index] if index < len(numeros) else None) or ""
        digits = re.sub(r"\D", "", lada + numero)
        if len(digits) == 10:
            return digits
    return None


def _day(day: str, month: str, year: str) -> date | None:
    """The date of dd/mm/yyyy, or None when the calendar has no such day."""
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return None


def _regimenes(lines: list[str]) -> tuple[Regimen, ...]:
    folded = [_fold(line).strip() for line in lines]
    try:
        start = folded.index("REGIMENES:") + 1
    except ValueError:
        return ()
    rows: list[Regimen] = []
    pending = ""
    for line, key in zip(lines[start:], folded[start:], strict=True):
        if key.startswith(_TABLE_END):
            break
        if key.startswith("REGIMEN FECHA INICIO"):
            continue
        row = _ROW.match(line.strip())
        if row is None:
            pending = f"{pending} {line.strip()}"
            continue
        name = " ".join(f"{pending} {row.group(1)}".split())
        pending = ""
        if not name:
            continue
        inicio = _day(*row.group(2, 3, 4))
        fin = _day(*row.group(5, 6, 7)) if row.group(5) else None
        if inicio is None or (row.group(5) and fin is None):
            continue  # a date no calendar has (an edited table): the row is not offered
        rows.append(Regimen(name, inicio, fin))
    return tuple(rows)


def _emision(lines: list[str]) -> tuple[date | None, str | None]:
    folded = [_fold(line).strip() for line in lines]
    for index, key in enumerate(folded):
        if key.startswith("LUGAR Y FECHA DE EMISION"):
            after = " ".join(lines[index + 1 : index + 5])
            found = _ISSUED.match(_fold(after))
            if found is None or found.group(3) not in _MONTHS:
                return None, None
            place = re.sub(r"\s+,", ",", " ".join(after[: found.end(1)].split()))
            try:
                issued = date(int(found.group(4)), _MONTHS[found.group(3)], int(found.group(2)))
            except ValueError:
                issued = None
            return issued, place or None
    return None, None


def parse_csf_text(text: str) -> Csf:
    """What the CSF's text says; NotACsf when it is not a CSF or has no RFC."""
    text = unicodedata.normalize("NFC", text)
    lines = [line for line in text.splitlines() if not _PAGE.match(line)]
    folded_all = _fold("\n".join(lines))
    if not any(marker in folded_all for marker in _MARKERS):
        raise NotACsf("the text has neither «Constancia de Situación Fiscal» nor «Cédula»")

    folded = [_fold(line).strip() for line in lines]
    start = next(
        (i for i, key in enumerate(folded) if key.startswith("DATOS DE IDENTIFICACION DEL")),
        None,
    )
    if start is None:
        raise NotACsf("the text has no «Datos de Identificación del Contribuyente»")
    end = next(
        (i for i in range(start, len(lines)) if folded[i].startswith(_BLOCK_END)), len(lines)
    )
    block = "\n".join(lines[start:end])
    fields, order = _fields(block)

    rfc = (_first(fields, "rfc") or "").split(" ")[0].upper()
    if not _RFC.match(rfc):
        raise NotACsf("the text has no RFC")

    id_cif = re.search(r"IDCIF\s*:\s*(\d{6,15})", folded_all)
    if _first(fields, "denominacion") or _first(fields, "regimen_capital"):
        persona = Persona.MORAL
    elif any(_first(fields, f) for f in ("curp", "nombre", "primer_apellido")):
        persona = Persona.FISICA
    else:
        persona = Persona.MORAL if len(rfc) == 12 else Persona.FISICA
    issued, place = _emision(lines)
    return Csf(
        rfc=rfc,
        persona=persona,
        denominacion=_first(fields, "denominacion"),
        regimen_capital=_first(fields, "regimen_capital"),
        curp=_first(fields, "curp"),
        nombre=_first(fields, "nombre"),
        primer_apellido=_first(fields, "primer_apellido"),
        segundo_apellido=_first(fields, "segundo_apellido"),
        id_cif=id_cif.group(1) if id_cif else None,
        estatus=_first(fields, "estatus"),
        domicilio=Domicilio(
            codigo_postal=_first(fields, "codigo_postal"),
            tipo_vialidad=_first(fields, "tipo_vialidad"),
            nombre_vialidad=_first(fields, "nombre_vialidad"),
            numero_exterior=_first(fields, "numero_exterior"),
            numero_interior=_first(fields, "numero_interior"),
            colonia=_first(fields, "colonia"),
            localidad=_first(fields, "localidad"),
            municipio=_first(fields, "municipio"),
            entidad_federativa=_first(fields, "entidad_federativa"),
            correo=_first(fields, "correo"),
            telefono=_telefono(fields, order),
        ),
        regimenes=_regimenes(lines),
        fecha_emision=issued,
        lugar_emision=place,
    )
