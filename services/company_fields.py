"""Checks of the company's fiscal data, one field at a time (CFDI 4.0 issuer)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from services.catalogs import PostalCode, Regime, SatCatalogs, folded
from services.validation import Invalid, PersonType, ascii_digits, has_hidden_characters

# A régimen capital at the end of a razón social ("S.A. de C.V.", "S. de R.L.", "A.C." …):
# CFDI 4.0 wants the name exactly as in the Constancia, which leaves it out. Abbreviated
# (any dots and spaces) or written out, with its modalities ("de C.V.", "SOFOM, E.N.R.").
_LETTERS = r"\.?\s*"
_DOTTED = r"\.\s*"


def _abbreviation(letters: str, between: str = _LETTERS) -> str:
    return between.join(letters)


_FORMS = [
    # Forms whose letters also spell a word or an unrelated acronym ("AR" for realidad
    # aumentada) count only with their dots ("A.R."); the long-established ones ("SA DE CV",
    # "AC", "SC") also without.
    *(_abbreviation(a, _DOTTED) for a in ("SCL", "IBP", "ABP", "AR")),
    *(_abbreviation(a) for a in ("SAPI", "SAB", "SAS", "SA", "SC", "AC", "IAP", "SNC")),
    rf"S{_LETTERS}(?:DE\s+)?R{_LETTERS}L",  # S. de R.L.
    rf"S{_LETTERS}(?:DE\s+)?P{_LETTERS}R",  # S.P.R., S. de P.R. (de R.L., de R.I.)
    rf"S{_LETTERS}EN\s+N{_LETTERS}C",  # S. en N.C.
    rf"S{_LETTERS}(?:EN\s+)?C(?:{_LETTERS}POR\s+A)?",  # S. en C., S. en C. por A.
    rf"S{_LETTERS}DE\s+S{_LETTERS}S",  # S. de S.S.
    r"SOCIEDAD\s+AN[OÓ]NIMA(?:\s+(?:PROMOTORA\s+DE\s+INVERSI[OÓ]N|BURS[AÁ]TIL))?",
    r"SOCIEDAD\s+DE\s+RESPONSABILIDAD\s+LIMITADA",
    r"SOCIEDAD\s+POR\s+ACCIONES\s+SIMPLIFICADA",
    r"SOCIEDAD\s+DE\s+PRODUCCI[OÓ]N\s+RURAL",
    r"SOCIEDAD\s+EN\s+(?:NOMBRE\s+COLECTIVO|COMANDITA\s+(?:SIMPLE|POR\s+ACCIONES))",
    r"SOCIEDAD\s+DE\s+SOLIDARIDAD\s+SOCIAL",
    r"SOCIEDAD\s+COOPERATIVA",
    r"SOCIEDAD\s+CIVIL",
    r"ASOCIACI[OÓ]N\s+CIVIL",
    r"ASOCIACI[OÓ]N\s+RELIGIOSA",
    r"(?:INSTITUCI[OÓ]N|ASOCIACI[OÓ]N)\s+DE\s+(?:BENEFICENCIA|ASISTENCIA)\s+PRIVADA",
]
_MODALITIES = [
    rf"DE\s+(?:C{_LETTERS}V|R{_LETTERS}L|R{_LETTERS}I|R{_LETTERS}S|CAPITAL\s+VARIABLE)",
    r"DE\s+RESPONSABILIDAD\s+I?LIMITADA",
    # a cooperative's kind: S.C. de A.P. (ahorro y préstamo), de producción, de consumo
    rf"DE\s+(?:A{_LETTERS}P|P|AHORRO\s+Y\s+PR[EÉ]STAMO|PRODUCCI[OÓ]N|CONSUMO)",
    rf"SOFOM(?:\s*,?\s*(?:E{_LETTERS}N{_LETTERS}R|E{_LETTERS}R))?",  # financial companies
    r"SOFIPO|SOCIEDAD\s+FINANCIERA\s+POPULAR",
    # a bank: "S.A., Institución de Banca Múltiple[, Grupo Financiero …]"
    r"INSTITUCI[OÓ]N\s+DE\s+BANCA\s+M[UÚ]LTIPLE"
    r"(?:[\s,]+(?:INTEGRANTE\s+DEL\s+)?GRUPO\s+FINANCIERO\b[^,]*)?",
    rf"P{_LETTERS}I|B",  # "S.A. P.I. de C.V."
]
_CAPITAL = re.compile(
    rf"[\s,]+(?:{'|'.join(_FORMS)})\.?(?:[\s,]+(?:{'|'.join(_MODALITIES)})\.?)*\s*$"
)
# A régimen capital never follows a connecting word: "FORO DE LA SOCIEDAD CIVIL" is a name,
# not "FORO DE LA" of the form Sociedad Civil.
_CONNECTOR_AT_END = re.compile(r"(?:^|[\s,])(?:DE|DEL|LA|LAS|LOS|EL|Y|E|EN|PARA|POR|CON|AL|A)$")
_PHONE_NOISE = re.compile(r"[\s\-().]")


def _visible(text: str) -> str:
    """White space runs (line breaks and tabs included) as one space; any other control or
    format character (NUL, U+202E, U+200B...) is refused, never kept or dropped unseen."""
    value = " ".join(text.split())
    if has_hidden_characters(value):
        raise Invalid("company.hidden-characters")
    # NFC: "Ñ" typed as N + combining tilde is stored as the one letter; digits of any
    # script as ASCII ones.
    return ascii_digits(unicodedata.normalize("NFC", value))


def clean_razon_social(text: str) -> str:
    value = _visible(text).upper()
    if not value:
        raise Invalid("company.razon-social-empty")
    if len(value) > 254:
        raise Invalid("company.razon-social-too-long")
    if "|" in value:  # the cadena original's separator: the XSD's pattern is [^|]{1,254}
        raise Invalid("company.razon-social-pipe")
    if not re.search(r"[A-ZÁÉÍÓÚÜÑ0-9]", value):
        raise Invalid("company.razon-social-invalid")
    return value


def capital_suggestion(razon_social: str, person: PersonType) -> str | None:
    """What to offer instead of the razón social as typed: for a persona moral, the name
    without its régimen capital (CFDI 4.0 wants it so); None when there is nothing to offer
    (a persona física's name has no régimen capital)."""
    if person is not PersonType.MORAL:
        return None
    return without_capital_regime(razon_social)


def without_capital_regime(razon_social: str) -> str | None:
    """The name without its régimen capital, or None when it has none."""
    stripped = _CAPITAL.sub("", razon_social).strip(" ,")
    if not stripped or stripped == razon_social or _CONNECTOR_AT_END.search(stripped):
        return None
    return stripped


# Codes a person may still have on old papers: 609 (Consolidación, ended 2019-12-31) and
# 628-630, which exist only in CFDI 3.3's catalog. A PAC refuses them on every invoice.
RETIRED_REGIMES = frozenset({"609", "628", "629", "630"})


def parse_regime(
    text: str, person: PersonType, catalogs: SatCatalogs, *, on: date | None = None
) -> Regime:
    code = _visible(text).split(" ")[0].strip(".-")
    regime = catalogs.regimes.get(code)
    if code in RETIRED_REGIMES or (regime is not None and not regime.in_force(on or date.today())):
        raise Invalid("company.regime-retired")
    if regime is None:
        raise Invalid("company.regime-unknown")
    if not regime.fits(person):
        raise Invalid(f"company.regime-not-{person.value}")
    return regime


def parse_postal_code(text: str, catalogs: SatCatalogs) -> PostalCode:
    code = _visible(text).replace(" ", "")
    if not re.fullmatch(r"[0-9]{5}", code):
        raise Invalid("company.postal-code-format")
    if code == "00000":  # SAT's file repeats it for 29 estados as a placeholder
        raise Invalid("company.postal-code-placeholder")
    found = catalogs.postal_code(code)
    if found is None:
        raise Invalid("company.postal-code-unknown")
    return found


def text_refusals(reason: str) -> tuple[str, str]:
    """The reasons clean_text may give for a field: empty, too long."""
    return f"company.{reason}-empty", f"company.{reason}-too-long"


def clean_text(text: str, *, reason: str, longest: int = 100) -> str:
    value = _visible(text)
    if not value:
        raise Invalid(f"company.{reason}-empty")  # as text_refusals names them
    if len(value) > longest:
        raise Invalid(f"company.{reason}-too-long")
    return value


def parse_state(text: str, catalogs: SatCatalogs) -> str:
    """SAT's name of the state typed (any case or accents, its code, or a common alias)."""
    value = _visible(text)
    if not folded(value):
        raise Invalid("company.estado-empty")
    code = catalogs.state_code(value)
    if code is None:
        raise Invalid("company.estado-unknown")
    return catalogs.states[code]


def check_state_fits(state: str, postal_code: PostalCode) -> None:
    """The estado typed must be the postal code's: 06600 is in Ciudad de México, whatever
    else is typed."""
    if state != postal_code.state:
        raise Invalid(
            "company.estado-not-of-postal-code", code=postal_code.code, state=postal_code.state
        )


def parse_municipality(
    text: str, postal_code: PostalCode, catalogs: SatCatalogs
) -> tuple[str, str]:
    """SAT's name of the municipio typed and the SAT code to keep: it must be in the postal
    code's estado, and be the postal code's own municipio when SAT gives it one. For a code
    SAT moved to a municipio created in January 2026, the former municipio is taken too
    (older Constancias still print it), with the code of the one in force."""
    value = _visible(text)
    if not folded(value):
        raise Invalid("company.municipio-empty")
    found = catalogs.find_municipality(postal_code.state_code, value)
    if found is None:
        raise Invalid("company.municipio-unknown", state=postal_code.state)
    code, name = found
    if postal_code.municipality_code is None:  # SAT gives none: any of the estado's
        return name, code
    if code not in (postal_code.municipality_code, postal_code.former_municipality_code):
        raise Invalid(
            "company.municipio-not-of-postal-code",
            code=postal_code.code,
            municipio=postal_code.municipality or "",
        )
    return name, postal_code.municipality_code


def municipality_code(postal_code: str, municipio: str, catalogs: SatCatalogs) -> str | None:
    """The SAT code of a municipio stored by name (before its code was kept), when the
    form would take that name for that postal code today; None when it would not."""
    place = catalogs.postal_code(postal_code)
    if place is None:
        return None
    try:
        return parse_municipality(municipio, place, catalogs)[1]
    except Invalid:
        return None


def match_colonia(text: str, postal_code: str, catalogs: SatCatalogs) -> tuple[str, str | None]:
    """The colonia typed and its SAT code: SAT's name and code when it is one of the postal
    code's colonias (any case or accents), else as typed with no code."""
    value = clean_text(text, reason="colonia")
    key = folded(value)
    for colonia in catalogs.colonias_of(postal_code):
        if folded(colonia.name) == key:
            return colonia.name, colonia.code
    return value, None


def parse_phone(text: str) -> str:
    """Ten digits: Mexico's country code (+52, 52) and the old mobile prefix 1 after it are
    dropped, as dialling inside Mexico has no use for them since 2019-2020."""
    digits = _PHONE_NOISE.sub("", _visible(text)).removeprefix("+")
    if len(digits) > 10:
        digits = re.sub(r"^521?(?=[0-9]{10}$)", "", digits)
    # [0-9], not \d: \d also takes Arabic-Indic and full-width digits (made ASCII above).
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise Invalid("company.phone")
    if len(set(digits)) == 1:  # 0000000000, 5555555555: a filler, not a number
        raise Invalid("company.phone-filler")
    return digits
