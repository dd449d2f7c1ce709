"""Checks of what a person types: email, RFC and password. Reasons are codes that the
bot turns into friendly text; nothing here speaks a language."""

from __future__ import annotations

import contextlib
import gzip
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import idna
from email_validator import EmailNotValidError, validate_email
from stdnum import exceptions as stdnum_errors
from stdnum.mx import rfc as stdnum_rfc

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common-passwords.txt.gz"
GENERIC_RFCS = frozenset({"XAXX010101000", "XEXX010101000"})


class Invalid(ValueError):
    """A value refused, with a reason code such as ``"email.no-at"``."""

    def __init__(self, reason: str, **values: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values  # what the reason's text names (the estado a postal code is in)


class PersonType(StrEnum):
    MORAL = "moral"
    FISICA = "fisica"


def person_type_of(rfc: str) -> PersonType:
    """A persona moral's RFC has 12 characters, a persona física's 13."""
    return PersonType.MORAL if len(rfc) == 12 else PersonType.FISICA


@dataclass(frozen=True, slots=True)
class RfcCheck:
    rfc: str
    person_type: PersonType
    check_digit_ok: bool


# Unicode's control (Cc) and format (Cf) characters: NUL, ESC, the right-to-left override
# U+202E, the zero-width space U+200B, the BOM... Invisible in a chat, they can make a value
# read differently from what it is, and PostgreSQL refuses NUL in text outright. Line breaks
# and tabs are controls too, but each field treats white space in its own way first.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf"})


def ascii_digits(text: str) -> str:
    """Every decimal digit as its ASCII digit: full-width "０６６００" and Arabic-Indic "٠٦٦٠٠"
    are read as the number they show, and never stored as typed."""
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c for c in text
    )


def has_hidden_characters(text: str) -> bool:
    """Whether `text` holds a control or format character other than white space."""
    return any(
        unicodedata.category(character) in _HIDDEN_CATEGORIES and not character.isspace()
        for character in text
    )


def parse_email(text: str) -> str:
    """The normalized address, or Invalid. No DNS look-up: the bot must answer at once."""
    value = text.strip().strip("<>").strip()
    if not value:
        raise Invalid("email.empty")
    if "@" not in value:
        raise Invalid("email.no-at")
    if any(character.isspace() for character in value):
        raise Invalid("email.spaces")
    if has_hidden_characters(value):
        raise Invalid("email.hidden-characters")
    if len(value) > 254:
        raise Invalid("email.too-long")
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        local, _, domain = value.rpartition("@")
        if not local:
            raise Invalid("email.no-local") from None
        if "." not in domain:
            raise Invalid("email.bad-domain") from None
        raise Invalid("email.invalid") from None
    return result.normalized.lower()


GMAIL = frozenset({"gmail.com", "googlemail.com"})


def inbox(address: str) -> str:
    """The mailbox an address delivers to, as far as the bot can tell: without its "+tag",
    at Gmail without dots, and with an internationalized domain in one spelling (Unicode,
    as `parse_email` keeps it), whether written in Unicode or punycode (ñandú.mx and
    xn--and-6ma2c.mx are one domain). Every cap and the uniqueness of accounts count it."""
    local, _, domain = address.lower().rpartition("@")
    with contextlib.suppress(idna.IDNAError):  # else not a name IDNA reads: as it is
        domain = idna.decode(domain, uts46=True)
    local = local.split("+", 1)[0]
    if domain in GMAIL:
        local, domain = local.replace(".", ""), "gmail.com"
    return f"{local}@{domain}"


def check_rfc(text: str) -> RfcCheck:
    """Format, date and generic-RFC checks are hard; a failing check digit is soft
    (SAT has issued some such RFCs), reported in ``check_digit_ok``."""
    # NFC: an Ñ typed as N + combining tilde (U+0303) is one letter, as SAT writes it.
    value = re.sub(r"[\s\-_.]", "", unicodedata.normalize("NFC", text)).upper()
    if not value:
        raise Invalid("rfc.empty")
    if has_hidden_characters(value):
        raise Invalid("rfc.hidden-characters")
    if value in GENERIC_RFCS:
        raise Invalid("rfc.generic")
    if len(value) not in (12, 13):
        raise Invalid("rfc.length")
    try:
        stdnum_rfc.validate(value)
    except stdnum_errors.InvalidComponent:
        raise Invalid("rfc.component") from None
    except stdnum_errors.ValidationError:
        raise Invalid("rfc.format") from None
    try:
        stdnum_rfc.validate(value, validate_check_digits=True)
        check_digit_ok = True
    except stdnum_errors.ValidationError:
        check_digit_ok = False
    return RfcCheck(rfc=value, person_type=person_type_of(value), check_digit_ok=check_digit_ok)


@cache
def common_passwords() -> frozenset[str]:
    """The 10,000 most common passwords (zxcvbn's ranked list from real leaks; see
    scripts/build_common_passwords.py)."""
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as file:
        return frozenset(line.rstrip("\n") for line in file if line.strip())


def check_password(password: str, *, email: str, rfc: str) -> None:
    """OWASP ASVS 5.0: 8 to 128 characters, no composition rules, not a common password,
    not the email or RFC. Raises Invalid. Judged in NFKC form, as it is hashed."""
    password = unicodedata.normalize("NFKC", password)
    if len(password) < PASSWORD_MIN_LENGTH:
        raise Invalid("password.too-short")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise Invalid("password.too-long")
    folded = password.casefold()
    if folded in {email.casefold(), rfc.casefold()}:
        raise Invalid("password.is-identity")
    if folded in common_passwords():
        raise Invalid("password.common")


# Mailbox providers people in Mexico use most, by popularity: a domain one or two typing
# slips away from one of them is offered as a correction (one slip for a short name).
# Providers with very short names (me.com, aol.com) are left out: one slip from them is
# most often somebody else's real domain.
PROVIDER_DOMAINS = (
    "gmail.com",
    "hotmail.com",
    "outlook.com",
    "yahoo.com.mx",
    "yahoo.com",
    "live.com.mx",
    "icloud.com",
    "prodigy.net.mx",
    "outlook.es",
    "hotmail.es",
    "live.com",
)
# Real domains close to a provider's: typed on purpose, never "corrected".
OTHER_REAL_DOMAINS = frozenset(
    {
        "mail.com",
        "email.com",
        "me.com",
        "msn.com",
        "aol.com",
        "uol.com",
        "hotmart.com",
        "ymail.com",
        "gmx.com",
        "gmx.net",
        "mac.com",
        "live.com.ar",
        "yahoo.es",
        "yahoo.com.ar",
        "hotmail.fr",
        "hotmail.cl",
        "outlook.cl",
        "protonmail.com",
        "proton.me",
    }
)
# Domains that look right but take no mail for people, mostly an added country suffix.
MISTAKEN_DOMAINS = {"gmail.com.mx": "gmail.com", "icloud.com.mx": "icloud.com"}
_SHORT_DOMAIN = 8  # up to this length, one slip; longer, two


def slips(a: str, b: str) -> int:
    """Typing slips between two words: a letter added, missing, changed, or two swapped
    (the optimal string alignment distance)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def suggest_email(email: str) -> str | None:
    """The address with a likely typo in a common provider's domain corrected
    ("ana@gmial.com" -> "ana@gmail.com"); None when the domain is a known one, or not
    close to any. `email` is a parsed (normalized) address."""
    local, _, domain = email.rpartition("@")
    if domain in PROVIDER_DOMAINS or domain in OTHER_REAL_DOMAINS:
        return None
    if domain in MISTAKEN_DOMAINS:
        return f"{local}@{MISTAKEN_DOMAINS[domain]}"
    best: tuple[int, str] | None = None
    for known in PROVIDER_DOMAINS:
        distance = slips(domain, known)
        allowed = 1 if len(known) <= _SHORT_DOMAIN else 2
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, known)
    return f"{local}@{best[1]}" if best else None
