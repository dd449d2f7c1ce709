"""The emails, per language, from the catalogs in mail/locales (one TOML file per
language, Spanish the default). mail/ sits below chat/ and reads its own catalogs, so
that the use cases can write an email without the chat toolkit.

A use case says which email to write, in which language, with which values (a `Letter`);
the outbox renders it for the operator (mail/outbox.py), whose name heads every email and
whose support contact and aviso de privacidad close it. Each email in a catalog has a
`subject`, a `body` and `not_you` (what to do if it was not you), and may have `reply`:
words inviting a reply, said (and the Reply-To header set) only when MAIL_REPLY_TO is set,
since the sender is a no-reply address. The `layout` table holds the footer's words."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cache
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mail.identity import Operator
from mail.layout import document
from mail.markup import Rendered, render

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE = "es"
LAYOUT = "layout"
REQUIRED_PARTS = ("subject", "body", "not_you")
OPTIONAL_PARTS = ("reply",)


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str
    reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class Letter:
    """An email to write: its name in the catalogs, its language and its values."""

    name: str
    language: str
    values: dict[str, str]

    def render(self, operator: Operator, *, bot_username: str | None = None) -> EmailContent:
        """The email as `operator` sends it, naming the bot `bot_username` in its footer:
        subject, text and HTML parts, Reply-To."""
        email = _email(self.language, self.name)
        words = {"service": operator.name, **self.values}
        body = render(email["body"], words)
        invites_reply = "reply" in email and operator.reply_to is not None
        note = render(email["not_you"] + ("\n\n" + email["reply"] if invites_reply else ""), words)
        footer = _footer(self.language, operator, bot_username)
        subject = Template(email["subject"]).substitute(words)
        return EmailContent(
            subject=subject,
            text=f"{operator.name}\n\n{body.text}\n{note.text}\n-- \n{footer.text}",
            html=document(
                language=self.language,
                title=subject,
                header=operator.name,
                body=body.html,
                note=note.html,
                footer=footer.html,
            ),
            reply_to=operator.reply_to if invites_reply else None,
        )


@cache
def catalogs() -> dict[str, dict[str, dict[str, str]]]:
    """Each language's emails by name (`confirmation`), each with its parts (`subject`,
    `body`, `not_you`…), and the footer's words (`layout`); read once, on first use."""
    languages = {}
    for path in sorted(LOCALES_DIR.glob("*.toml")):
        with path.open("rb") as file:
            languages[path.stem] = tomllib.load(file)
    return languages


def _email(language: str, name: str) -> dict[str, str]:
    languages = catalogs()
    return languages.get(language, languages[DEFAULT_LANGUAGE])[name]


def _footer(language: str, operator: Operator, bot_username: str | None) -> Rendered:
    lines = [_email(language, LAYOUT)["automatic"]]
    if bot_username:
        # A wary person can check that the email leads to the bot they spoke with.
        lines.append(_email(language, LAYOUT)["bot"])
    # SUPPORT_CONTACT is required to serve Telegram; without it (a preview), the bot's
    # /soporte still reaches a person.
    if operator.support_contact:
        lines.append(_email(language, LAYOUT)["support"])
    else:
        lines.append(_email(language, LAYOUT)["support_in_bot"])
    if operator.privacy_notice_url:
        lines.append(_email(language, LAYOUT)["privacy"])
    else:
        lines.append(_email(language, LAYOUT)["privacy_in_bot"])
    values = {
        "service": operator.name,
        "support": operator.support_contact or "",
        "bot": bot_username or "",
        "privacy_url": operator.privacy_notice_url or "",
    }
    return render("\n\n".join(lines), values)


def _letter(language: str, name: str, **values: object) -> Letter:
    return Letter(name, language, {key: str(value) for key, value in values.items()})


CODE_GROUP = 8


def grouped(code: str, size: int = CODE_GROUP) -> str:
    """A long code in groups of `size` characters, so that a phone wraps it between groups
    (3f9c2a7d 1e8b4c6f …) and never in the middle of one; the bot takes it back with the
    spaces."""
    return " ".join(code[start : start + size] for start in range(0, len(code), size))


def confirmation_email(
    *, language: str, email: str, rfc: str, code: str, link: str, ttl_hours: float
) -> Letter:
    return _letter(
        language,
        "confirmation",
        email=email,
        rfc=rfc,
        code=grouped(code),
        link=link,
        ttl_hours=f"{ttl_hours:g}",
    )


def signup_attempt_email(*, language: str, email: str) -> Letter:
    return _letter(language, "signup-attempt", email=email)


def reset_code_email(*, language: str, code: str) -> Letter:
    return _letter(language, "reset-code", code=code)


def reset_unknown_email(*, language: str, email: str) -> Letter:
    return _letter(language, "reset-unknown", email=email)


def _local(when: datetime, pattern: str) -> str:
    """`when` in central Mexico's time, as `pattern` (strftime) writes it."""
    try:
        zone: tzinfo = ZoneInfo("America/Mexico_City")
    except ZoneInfoNotFoundError:
        zone = UTC
    return when.astimezone(zone).strftime(pattern)


def password_changed_email(*, language: str, when: datetime) -> Letter:
    pattern = _email(language, "password-changed")["when"]
    return _letter(language, "password-changed", when=_local(when, pattern))


def email_change_code_email(*, language: str, email: str, code: str, ttl_minutes: int) -> Letter:
    return _letter(language, "email-change-code", email=email, code=code, ttl_minutes=ttl_minutes)


def email_change_attempt_email(*, language: str, email: str) -> Letter:
    return _letter(language, "email-change-attempt", email=email)


def email_changed_email(*, language: str, email: str, when: datetime) -> Letter:
    pattern = _email(language, "email-changed")["when"]
    return _letter(language, "email-changed", email=email, when=_local(when, pattern))


def account_deleted_email(*, language: str, email: str, when: datetime) -> Letter:
    pattern = _email(language, "account-deleted")["when"]
    return _letter(language, "account-deleted", email=email, when=_local(when, pattern))


def csd_expiring_email(
    *, language: str, serial: str, holder: str, valid_until: datetime, days_left: int
) -> Letter:
    # "1 día", "5 días", "menos de un día": the number and its noun agree.
    if days_left == 0:
        phrase = _email(language, "csd-expiring")["less_than_a_day"]
    elif days_left == 1:
        phrase = _email(language, "csd-expiring")["one_day"]
    else:
        phrase = _email(language, "csd-expiring")["days"]
    return _letter(
        language,
        "csd-expiring",
        serial=serial,
        holder=holder,
        until=_local(valid_until, _email(language, "csd-expiring")["until"]),
        days_left=phrase.replace("$n", str(days_left)),
    )


def support_request_email(
    *,
    language: str,
    number: int,
    when: datetime,
    email: str | None,
    chat_id: int,
    user_id: int,
    person_language: str,
    text: str,
) -> Letter:
    """A problem written with /soporte, for the support address (whose people read the
    service's own language: the service writes it in DEFAULT_LANGUAGE)."""
    pattern = _email(language, "support-request")["when"]
    nobody = _email(language, "support-request")["no_account"]
    return _letter(
        language,
        "support-request",
        number=number,
        when=_local(when, pattern),
        account=email or nobody,
        chat_id=chat_id,
        user_id=user_id,
        person_language=person_language,
        text=text,
    )
