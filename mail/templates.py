"""The emails, per language, from the catalogs in mail/locales (one TOML file per
language, Spanish the default). mail/ sits below chat/ and reads its own catalogs, so
that the use cases can write an email without the chat toolkit."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mail.identity import SERVICE_NAME
from mail.markup import render

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE = "es"


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str


@cache
def catalogs() -> dict[str, dict[str, dict[str, str]]]:
    """Each language's emails by name (`confirmation`), each with its `subject` and
    `body` (and any other words it needs); read once, on first use."""
    languages = {}
    for path in sorted(LOCALES_DIR.glob("*.toml")):
        with path.open("rb") as file:
            languages[path.stem] = tomllib.load(file)
    return languages


def _email(language: str, name: str) -> dict[str, str]:
    languages = catalogs()
    return languages.get(language, languages[DEFAULT_LANGUAGE])[name]


def _render(language: str, name: str, **values: object) -> EmailContent:
    email = _email(language, name)
    words = {"service": SERVICE_NAME, **{key: str(value) for key, value in values.items()}}
    body = render(email["body"], words)
    return EmailContent(
        subject=Template(email["subject"]).substitute(words), text=body.text, html=body.html
    )


def confirmation_email(
    *, language: str, email: str, rfc: str, code: str, link: str, ttl_hours: float
) -> EmailContent:
    return _render(
        language,
        "confirmation",
        email=email,
        rfc=rfc,
        code=code,
        link=link,
        ttl_hours=f"{ttl_hours:g}",
    )


def signup_attempt_email(*, language: str, email: str) -> EmailContent:
    return _render(language, "signup-attempt", email=email)


def reset_code_email(*, language: str, code: str) -> EmailContent:
    return _render(language, "reset-code", code=code)


def reset_unknown_email(*, language: str, email: str) -> EmailContent:
    return _render(language, "reset-unknown", email=email)


def _local(when: datetime, pattern: str) -> str:
    """`when` in central Mexico's time, as `pattern` (strftime) writes it."""
    try:
        zone: tzinfo = ZoneInfo("America/Mexico_City")
    except ZoneInfoNotFoundError:
        zone = UTC
    return when.astimezone(zone).strftime(pattern)


def password_changed_email(*, language: str, when: datetime) -> EmailContent:
    pattern = _email(language, "password-changed")["when"]
    return _render(language, "password-changed", when=_local(when, pattern))


def email_change_code_email(
    *, language: str, email: str, code: str, ttl_minutes: int
) -> EmailContent:
    return _render(language, "email-change-code", email=email, code=code, ttl_minutes=ttl_minutes)


def email_change_attempt_email(*, language: str, email: str) -> EmailContent:
    return _render(language, "email-change-attempt", email=email)


def email_changed_email(*, language: str, email: str, when: datetime) -> EmailContent:
    pattern = _email(language, "email-changed")["when"]
    return _render(language, "email-changed", email=email, when=_local(when, pattern))


def account_deleted_email(*, language: str, email: str, when: datetime) -> EmailContent:
    pattern = _email(language, "account-deleted")["when"]
    return _render(language, "account-deleted", email=email, when=_local(when, pattern))
