"""Checks of the company's fiscal data, one field at a time (CFDI 4.0 issuer)."""

from __future__ import annotations

import re

from services.catalogs import PostalCode, Regime, SatCatalogs, folded
from services.validation import Invalid, PersonType, has_hidden_characters

# A régimen capital at the end of a razón social ("S.A. de C.V.", "S. de R.L.", "A.C." …):
# CFDI 4.0 wants the name exactly as in the Constancia, which leaves it out.
_LETTERS = r"\.?\s*"
_CAPITAL = re.compile(
    r"[\s,]+(?:"
    rf"S{_LETTERS}A{_LETTERS}P{_LETTERS}I|S{_LETTERS}A{_LETTERS}B|S{_LETTERS}A{_LETTERS}S|S{_LETTERS}A|S{_LETTERS}(?:DE\s+)?R{_LETTERS}L|S{_LETTERS}C|A{_LETTERS}C|I{_LETTERS}A{_LETTERS}P|"
    rf"S{_LETTERS}P{_LETTERS}R|S{_LETTERS}(?:EN\s+)?C|S{_LETTERS}N{_LETTERS}C|SOCIEDAD\s+AN[OÓ]NIMA|SOCIEDAD\s+CIVIL|"
    r"ASOCIACI[OÓ]N\s+CIVIL"
    rf")\.?(?:\s+DE\s+(?:C{_LETTERS}V|R{_LETTERS}L|R{_LETTERS}I|R{_LETTERS}S|CAPITAL\s+VARIABLE)\.?)*\s*$"
)
_PHONE_NOISE = re.compile(r"[\s\-().]")


def _visible(text: str) -> str:
    """White space runs (line breaks and tabs included) as one space; any other control or
    format character (NUL, U+202E, U+200B...) is refused, never kept or dropped unseen."""
    value = " ".join(text.split())
    if has_hidden_characters(value):
        raise Invalid("company.hidden-characters")
    return value


def clean_razon_social(text: str) -> str:
    value = _visible(text).upper()
    if not value:
        raise Invalid("company.razon-social-empty")
    if len(value) > 254:
        raise Invalid("company.razon-social-too-long")
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
    return stripped if stripped and stripped != razon_social else None


def parse_regime(text: str, person: PersonType, catalogs: SatCatalogs) -> Regime:
    code = _visible(text).split(" ")[0].strip(".-")
    regime = catalogs.regimes.get(code)
    if regime is None:
        raise Invalid("company.regime-unknown")
    if not regime.fits(person):
        raise Invalid(f"company.regime-not-{person.value}")
    return regime


def parse_postal_code(text: str, catalogs: SatCatalogs) -> PostalCode:
    code = _visible(text).replace(" ", "")
    if not re.fullmatch(r"[0-9]{5}", code):
        raise Invalid("company.postal-code-format")
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


def parse_phone(text: str) -> str:
    digits = _PHONE_NOISE.sub("", _visible(text))
    if digits.startswith("+52"):
        digits = digits[3:]
    # [0-9], not \d: \d also takes Arabic-Indic and full-width digits.
    if not re.fullmatch(r"[0-9]{10}", digits):
        raise Invalid("company.phone")
    return digits
