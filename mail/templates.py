"""Email texts, plain and HTML, per language (Spanish first; English falls back to it
until its catalog exists)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from html import escape
from string import Template
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SERVICE_NAME = "Facturación Electrónica por Internet"


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str


_CATALOG: dict[str, dict[str, str]] = {
    "es": {
        "confirmation.subject": "Confirma tu cuenta de $service",
        "confirmation.text": (
            "Hola:\n\n"
            "Tu cuenta de $service ha sido creada. Estos son tus datos:\n\n"
            "  Usuario: $email\n"
            "  RFC: $rfc\n"
            "  Código de confirmación: $code\n\n"
            "Para confirmar tu cuenta, toca este enlace y se abrirá el chat con el bot:\n"
            "$link\n\n"
            "O copia el código de confirmación (40 caracteres) y pégalo en el chat.\n"
            "El código vence en $ttl_hours horas y solo puede usarse una vez.\n\n"
            "Si tú no creaste esta cuenta, ignora este mensaje.\n"
        ),
        "confirmation.html": (
            "<p>Hola:</p>"
            "<p>Tu cuenta de $service ha sido creada. Estos son tus datos:</p>"
            "<ul><li>Usuario: <b>$email</b></li><li>RFC: <b>$rfc</b></li>"
            "<li>Código de confirmación: <code>$code</code></li></ul>"
            '<p><a href="$link">Confirmar mi cuenta en Telegram</a></p>'
            "<p>O copia el código de confirmación (40 caracteres) y pégalo en el chat. "
            "El código vence en $ttl_hours horas y solo puede usarse una vez.</p>"
            "<p>Si tú no creaste esta cuenta, ignora este mensaje.</p>"
        ),
        "signup-attempt.subject": "Alguien intentó crear una cuenta con tu correo",
        "signup-attempt.text": (
            "Hola:\n\n"
            "Alguien intentó crear una cuenta de $service con este correo ($email), "
            "pero ya tienes una cuenta con él, así que no se creó ninguna otra.\n\n"
            "Si fuiste tú y olvidaste tu contraseña, escribe /recuperar en el chat del bot.\n"
            "Si aún no confirmas tu cuenta, escribe /reenviar para recibir un código nuevo.\n"
            "Si no fuiste tú, no tienes que hacer nada: tu cuenta sigue igual.\n"
        ),
        "signup-attempt.html": (
            "<p>Hola:</p>"
            "<p>Alguien intentó crear una cuenta de $service con este correo "
            "(<b>$email</b>), pero ya tienes una cuenta con él, así que no se creó "
            "ninguna otra.</p>"
            "<p>Si fuiste tú y olvidaste tu contraseña, escribe <code>/recuperar</code> en el "
            "chat del bot. Si aún no confirmas tu cuenta, escribe <code>/reenviar</code> para "
            "recibir un código nuevo.</p>"
            "<p>Si no fuiste tú, no tienes que hacer nada: tu cuenta sigue igual.</p>"
        ),
        "reset-code.subject": "Tu código para recuperar tu contraseña",
        "reset-code.text": (
            "Hola:\n\n"
            "Pediste recuperar la contraseña de tu cuenta de $service.\n\n"
            "  Código: $code\n\n"
            "Escríbelo en el chat del bot. Vence en 15 minutos y solo sirve una vez.\n\n"
            "Si no lo pediste, ignora este mensaje: tu contraseña no cambia.\n"
        ),
        "reset-code.html": (
            "<p>Hola:</p>"
            "<p>Pediste recuperar la contraseña de tu cuenta de $service.</p>"
            "<p>Código: <b><code>$code</code></b></p>"
            "<p>Escríbelo en el chat del bot. Vence en 15 minutos y solo sirve una vez.</p>"
            "<p>Si no lo pediste, ignora este mensaje: tu contraseña no cambia.</p>"
        ),
        "reset-unknown.subject": "Intento de recuperar contraseña",
        "reset-unknown.text": (
            "Hola:\n\n"
            "Alguien pidió recuperar la contraseña de una cuenta de $service con este correo "
            "($email), pero no hay ninguna cuenta con él.\n\n"
            "Si fuiste tú, quizá te registraste con otro correo. Si no, ignora este mensaje.\n"
        ),
        "reset-unknown.html": (
            "<p>Hola:</p>"
            "<p>Alguien pidió recuperar la contraseña de una cuenta de $service con este "
            "correo (<b>$email</b>), pero no hay ninguna cuenta con él.</p>"
            "<p>Si fuiste tú, quizá te registraste con otro correo. Si no, ignora este "
            "mensaje.</p>"
        ),
        "password-changed.subject": "Tu contraseña cambió",
        "password-changed.text": (
            "Hola:\n\n"
            "La contraseña de tu cuenta de $service se cambió el $when (hora del centro "
            "de México). Por seguridad, cerramos la sesión en los demás chats.\n\n"
            "Si fuiste tú, no tienes que hacer nada.\n"
            "Si no fuiste tú, escribe /recuperar en el chat del bot para elegir una "
            "contraseña nueva y avísanos respondiendo a este correo.\n"
        ),
        "password-changed.html": (
            "<p>Hola:</p>"
            "<p>La contraseña de tu cuenta de $service se cambió el <b>$when</b> (hora del "
            "centro de México). Por seguridad, cerramos la sesión en los demás chats.</p>"
            "<p>Si fuiste tú, no tienes que hacer nada.</p>"
            "<p>Si no fuiste tú, escribe <code>/recuperar</code> en el chat del bot para "
            "elegir una contraseña nueva y avísanos respondiendo a este correo.</p>"
        ),
    },
}


def _render(language: str, name: str, **values: object) -> EmailContent:
    catalog = _CATALOG.get(language, _CATALOG["es"])
    values = {"service": SERVICE_NAME, **values}
    escaped = {key: escape(str(value)) for key, value in values.items()}
    return EmailContent(
        subject=Template(catalog[f"{name}.subject"]).substitute(values),
        text=Template(catalog[f"{name}.text"]).substitute(values),
        html=Template(catalog[f"{name}.html"]).substitute(escaped),
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


def password_changed_email(*, language: str, when: datetime) -> EmailContent:
    try:
        zone: tzinfo = ZoneInfo("America/Mexico_City")
    except ZoneInfoNotFoundError:
        zone = UTC
    local = when.astimezone(zone)
    return _render(language, "password-changed", when=local.strftime("%d/%m/%Y a las %H:%M"))
