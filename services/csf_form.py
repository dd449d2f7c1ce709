"""The company form's values from a Constancia de Situación Fiscal (CSF), and the checks
that come before using one.

A CSF is SAT's own record of the person, so what it says is taken with the checks a typed
answer gets (the same functions of services.company_fields): SAT's catalogs decide, not the
CSF's spelling. What the CSF lacks, or what does not pass, is left out of the values, and
the form asks it with its usual question; what the CSF had but SAT's catalogs did not take
is named in `unmatched`, so that the person is told why it is asked.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar
from urllib.parse import parse_qs, urlsplit

import annotated_types

from services.catalogs import PostalCode, SatCatalogs, folded
from services.company import CompanyData
from services.company_fields import (
    check_state_fits,
    clean_razon_social,
    clean_text,
    match_colonia,
    parse_municipality,
    parse_phone,
    parse_postal_code,
    parse_regime,
    parse_state,
)
from services.csf import Csf, parse_csf_text
from services.validation import Invalid, PersonType, parse_email, person_type_of

# The CSF's QR code: https://siat.sat.gob.mx/app/qr/faces/pages/mobile/validadorqr.jsf
# ?D1=10&D2=1&D3=<idCIF>_<RFC>, SAT's page that shows the record the CSF was printed from.
QR_HOST = "siat.sat.gob.mx"
# The statuses in SAT's padrón under which invoices are issued; any other (SUSPENDIDO,
# CANCELADO...) makes SAT refuse them.
ACTIVE_STATUSES = frozenset({"ACTIVO", "REACTIVADO"})
# A CSF this many months old gets a note to download a fresh one (it is used anyway).
FRESH_MONTHS = 3
# What a CSF prints as Tipo de Vialidad when the street has none (folded).
NO_STREET_TYPE = frozenset({"ninguno", "ninguna", "sintipo", "sintipodevialidad"})
# Words that join «Régimen» to its name («Régimen de las Personas Físicas...»): the
# catalog writes most names without them (folded).
_CONNECTORS = ("de", "del", "las", "los", "la")


class CsfRefusal(StrEnum):
    NOT_A_CSF = "not-a-csf"
    OTHER_RFC = "other-rfc"
    NO_QR = "no-qr"
    QR_MISMATCH = "qr-mismatch"


class CsfRefused(Exception):
    """A CSF that is not used at all: `refusal` says why, `values` what its text names
    (both RFCs for OTHER_RFC)."""

    def __init__(self, refusal: CsfRefusal, **values: str) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal
        self.values = values


def _rfc_key(rfc: str) -> str:
    return "".join(rfc.split()).upper()


def qr_record(url: str) -> tuple[str, str] | None:
    """(idCIF, RFC) of a CSF's QR URL, or None when the URL is not one: another host's
    (a CFDI's QR, a link) or without D3."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or (parts.hostname or "") != QR_HOST:
        return None
    d3 = parse_qs(parts.query).get("D3")
    if d3 is None or len(d3) != 1:  # none, or two records: not SAT's
        return None
    id_cif, separator, rfc = (part.strip() for part in d3[0].rpartition("_"))
    # The idCIF is digits, as the text prints it (services.csf); the RFC 12 or 13 letters
    # and digits. Anything else is not SAT's record.
    if not (separator and re.fullmatch(r"[0-9]{6,15}", id_cif)):
        return None
    if not re.fullmatch(r"[A-ZÑ&0-9]{12,13}", _rfc_key(rfc)):
        return None
    return id_cif, _rfc_key(rfc)


def verify(text: str, qr_codes: Sequence[str], account_rfc: str) -> Csf:
    """The CSF read from its text, once it is shown to be the account's and unedited: its
    QR code (SAT's record, which a PDF editor does not change) must name the same RFC and
    idCIF as the text, and that RFC must be the account's. CsfRefused otherwise."""
    try:
        csf = parse_csf_text(text)
    except ValueError:  # NotACsf, or a text edited past what the reading expects
        raise CsfRefused(CsfRefusal.NOT_A_CSF) from None
    records = [found for found in map(qr_record, qr_codes) if found is not None]
    if not records:
        raise CsfRefused(CsfRefusal.NO_QR, csf_rfc=csf.rfc)
    for id_cif, rfc in records:
        if rfc != _rfc_key(csf.rfc) or id_cif != (csf.id_cif or ""):
            raise CsfRefused(CsfRefusal.QR_MISMATCH, csf_rfc=csf.rfc, qr_rfc=rfc)
    if _rfc_key(csf.rfc) != _rfc_key(account_rfc):
        raise CsfRefused(CsfRefusal.OTHER_RFC, csf_rfc=csf.rfc, account_rfc=_rfc_key(account_rfc))
    return csf


@dataclass(frozen=True)
class Filled:
    """What a CSF gives the company form."""

    # The form's values the CSF gives (only those that passed the same checks as typed
    # answers); a key absent means the form asks it.
    values: dict[str, str | None]
    # Codes of the régimenes in force that fit the person, in the CSF's order: several,
    # the form asks among these; one, it is in values["regimen_fiscal"]; none, asked as usual.
    regimes: tuple[str, ...] = ()
    regimen_capital: str | None = None  # shown, not stored
    inactive_status: str | None = None  # SUSPENDIDO, CANCELADO...: SAT refuses invoices
    stale: bool = False  # issued more than FRESH_MONTHS months before today
    # Fields the CSF had that SAT's catalogs did not take ("colonia", "municipio"...).
    unmatched: tuple[str, ...] = field(default=())


def _words(name: str) -> tuple[str, ...]:
    """A régimen's name as folded words, without a leading «Régimen» and the connecting
    words after it: «Régimen de las Personas Físicas con...» as the catalog's «Personas
    Físicas con...»."""
    words = [w for w in (folded(word) for word in name.split()) if w]
    if words[:1] == ["regimen"]:
        words = words[1:]
        while words[:1] and words[0] in _CONNECTORS:
            words = words[1:]
    return tuple(words)


def regime_code_of(name: str, person: PersonType, catalogs: SatCatalogs) -> str | None:
    """The c_RegimenFiscal code of a régimen as the CSF prints it, when it fits the person:
    the catalog's name with the same words (accents, case, «Régimen de las/los» aside), or
    else the one catalog name the CSF's begins with (the CSF's has trailing words: «de
    inmuebles»). A CSF name shorter than every catalog name is not completed («Actividades
    Empresariales» begins 625's name, but may well mean 612): asked. None when no name or
    two fit: never a guess."""
    wanted = _words(name)
    if not wanted:
        return None
    names = {code: _words(regime.name) for code, regime in catalogs.regimes.items()}
    found = [code for code, words in names.items() if words == wanted]
    if not found:
        found = [code for code, words in names.items() if words and wanted[: len(words)] == words]
    if len(found) != 1 or not catalogs.regimes[found[0]].fits(person):
        return None
    return found[0]


def months_later(day: date, months: int) -> date:
    """The same day `months` calendar months later (the month's last day when it has
    fewer: 30 November and three months is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


T = TypeVar("T")


def _passed(check: Callable[[], T]) -> T | None:
    """The check's result, or None when it refuses the value (Invalid)."""
    try:
        return check()
    except Invalid:
        return None


def _longest(name: str) -> int:
    """The model's max_length for a text field (as the form's words() reads it)."""
    for rule in CompanyData.model_fields[name].metadata:
        if isinstance(rule, annotated_types.MaxLen):
            return int(rule.max_length)
    raise ValueError(f"CompanyData.{name} has no max_length")


def _street(tipo: str | None, nombre: str | None) -> str | None:
    """Tipo and nombre de vialidad as one calle: the tipo once («CALLE MI CALLE», not
    «CALLE CALLE MI CALLE») and none when SAT's is a placeholder («NINGUNO»)."""
    if not nombre or not nombre.strip():
        return None
    tipo_words = [folded(w) for w in (tipo or "").split()]
    nombre_words = [folded(w) for w in nombre.split()]
    placeholder = "".join(tipo_words) in NO_STREET_TYPE
    named_with_it = nombre_words[: len(tipo_words)] == tipo_words
    street = nombre if not tipo_words or placeholder or named_with_it else f"{tipo} {nombre}"
    return _passed(lambda: clean_text(street, reason="calle", longest=_longest("calle")))


def _regimes(csf: Csf, person: PersonType, catalogs: SatCatalogs, today: date) -> list[str]:
    """The codes of the CSF's régimenes in force today (no Fecha Fin, or one to come) that
    fit the person and that the typed form would take (parse_regime), in the CSF's order."""
    codes: list[str] = []
    for regimen in csf.regimenes:
        if regimen.fecha_fin is not None and regimen.fecha_fin <= today:
            continue
        code = regime_code_of(regimen.nombre, person, catalogs)
        if code is None or code in codes:
            continue
        try:
            parse_regime(code, person, catalogs, on=today)
        except Invalid:
            continue
        codes.append(code)
    return codes


def _place(
    csf: Csf, place: PostalCode, catalogs: SatCatalogs
) -> tuple[dict[str, str | None], list[str]]:
    """The colonia, estado and municipio, each only when it fits the postal code as the
    typed form wants; with the names of those the CSF had that did not."""
    domicilio = csf.domicilio
    values: dict[str, str | None] = {}
    unmatched: list[str] = []
    if domicilio.colonia:
        colonia = _passed(lambda: match_colonia(domicilio.colonia or "", place.code, catalogs))
        listed = catalogs.colonias_of(place.code)
        # SAT's code when it is one of the postal code's; when SAT lists none there, the
        # form takes any colonia typed, and so the CSF's.
        if colonia is not None and (colonia[1] is not None or not listed):
            values["colonia"], values["colonia_clave"] = colonia
        else:
            unmatched.append("colonia")
    if domicilio.entidad_federativa:

        def state() -> str:
            name = parse_state(domicilio.entidad_federativa or "", catalogs)
            check_state_fits(name, place)
            return name

        estado = _passed(state)
        if estado is not None:
            values["estado"] = estado
        else:
            unmatched.append("estado")
    if domicilio.municipio:
        municipio = _passed(lambda: parse_municipality(domicilio.municipio or "", place, catalogs))
        if municipio is not None:
            values["municipio"], values["municipio_clave"] = municipio
        else:
            unmatched.append("municipio")
    return values, unmatched


def fill(csf: Csf, catalogs: SatCatalogs, *, today: date) -> Filled:
    """The company form's values from the CSF, each through the check its typed answer
    gets; what does not pass is left out (asked) and, when SAT's catalogs refused it, named
    in `unmatched`."""
    person = person_type_of(csf.rfc)  # as the form decides it, from the account's RFC
    domicilio = csf.domicilio
    values: dict[str, str | None] = {}
    unmatched: list[str] = []

    if csf.nombre_cfdi and (name := _passed(lambda: clean_razon_social(csf.nombre_cfdi or ""))):
        values["razon_social"] = name

    regimes = _regimes(csf, person, catalogs, today)
    if len(regimes) == 1:
        values["regimen_fiscal"] = regimes[0]
    elif not regimes and any(r.fecha_fin is None or r.fecha_fin > today for r in csf.regimenes):
        unmatched.append("regimen_fiscal")

    place: PostalCode | None = None
    if domicilio.codigo_postal:
        place = _passed(lambda: parse_postal_code(domicilio.codigo_postal or "", catalogs))
        if place is None:
            unmatched.append("codigo_postal")
        else:
            values["codigo_postal"] = place.code

    if calle := _street(domicilio.tipo_vialidad, domicilio.nombre_vialidad):
        values["calle"] = calle
    number = _longest("numero_exterior")
    if domicilio.numero_exterior and (
        exterior := _passed(
            lambda: clean_text(domicilio.numero_exterior or "", reason="numero", longest=number)
        )
    ):
        values["numero_exterior"] = exterior
    if not domicilio.numero_interior:
        values["numero_interior"] = None  # the CSF says there is none
    elif interior := _passed(
        lambda: clean_text(
            domicilio.numero_interior or "", reason="numero", longest=_longest("numero_interior")
        )
    ):
        values["numero_interior"] = interior

    if place is not None:
        found, refused = _place(csf, place, catalogs)
        values.update(found)
        unmatched.extend(refused)

    if domicilio.telefono and (phone := _passed(lambda: parse_phone(domicilio.telefono or ""))):
        values["telefono"] = phone
    if domicilio.correo and (email := _passed(lambda: parse_email(domicilio.correo or ""))):
        values["correo_contacto"] = email
    if place is not None:
        values["lugar_expedicion"] = place.code

    status = " ".join((csf.estatus or "").split())
    return Filled(
        values=values,
        regimes=tuple(regimes),
        regimen_capital=csf.regimen_capital,
        inactive_status=status if status and status.upper() not in ACTIVE_STATUSES else None,
        # A date after today (an edited PDF) is no older than three months.
        stale=csf.fecha_emision is not None
        and csf.fecha_emision < today
        and today > months_later(csf.fecha_emision, FRESH_MONTHS),
        unmatched=tuple(unmatched),
    )
