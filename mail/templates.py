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
        "password-changed.when": "%d/%m/%Y a las %H:%M",
    },
    "en": {
        "confirmation.subject": "Confirm your $service account",
        "confirmation.text": (
            "Hello,\n\n"
            "Your $service account has been created. These are your details:\n\n"
            "  Username: $email\n"
            "  RFC: $rfc\n"
            "  Confirmation code: $code\n\n"
            "To confirm your account, tap this link and the chat with the bot will open:\n"
            "$link\n\n"
            "Or copy the confirmation code (40 characters) and paste it in the chat.\n"
            "The code expires in $ttl_hours hours and works only once.\n\n"
            "If you did not create this account, ignore this message.\n"
        ),
        "confirmation.html": (
            "<p>Hello,</p>"
            "<p>Your $service account has been created. These are your details:</p>"
            "<ul><li>Username: <b>$email</b></li><li>RFC: <b>$rfc</b></li>"
            "<li>Confirmation code: <code>$code</code></li></ul>"
            '<p><a href="$link">Confirm my account in Telegram</a></p>'
            "<p>Or copy the confirmation code (40 characters) and paste it in the chat. "
            "The code expires in $ttl_hours hours and works only once.</p>"
            "<p>If you did not create this account, ignore this message.</p>"
        ),
        "signup-attempt.subject": "Someone tried to create an account with your email",
        "signup-attempt.text": (
            "Hello,\n\n"
            "Someone tried to create a $service account with this email ($email), but "
            "you already have an account with it, so no other one was created.\n\n"
            "If it was you and you forgot your password, send /recuperar in the bot's chat.\n"
            "If you have not confirmed your account yet, send /reenviar to get a new code.\n"
            "If it wasn't you, you don't need to do anything: your account is unchanged.\n"
        ),
        "signup-attempt.html": (
            "<p>Hello,</p>"
            "<p>Someone tried to create a $service account with this email "
            "(<b>$email</b>), but you already have an account with it, so no other one "
            "was created.</p>"
            "<p>If it was you and you forgot your password, send <code>/recuperar</code> in "
            "the bot's chat. If you have not confirmed your account yet, send "
            "<code>/reenviar</code> to get a new code.</p>"
            "<p>If it wasn't you, you don't need to do anything: your account is "
            "unchanged.</p>"
        ),
        "reset-code.subject": "Your code to recover your password",
        "reset-code.text": (
            "Hello,\n\n"
            "You asked to recover the password of your $service account.\n\n"
            "  Code: $code\n\n"
            "Type it in the bot's chat. It expires in 15 minutes and works only once.\n\n"
            "If you did not ask for it, ignore this message: your password does not change.\n"
        ),
        "reset-code.html": (
            "<p>Hello,</p>"
            "<p>You asked to recover the password of your $service account.</p>"
            "<p>Code: <b><code>$code</code></b></p>"
            "<p>Type it in the bot's chat. It expires in 15 minutes and works only once.</p>"
            "<p>If you did not ask for it, ignore this message: your password does not "
            "change.</p>"
        ),
        "reset-unknown.subject": "Password recovery attempt",
        "reset-unknown.text": (
            "Hello,\n\n"
            "Someone asked to recover the password of a $service account with this email "
            "($email), but there is no account with it.\n\n"
            "If it was you, maybe you signed up with another email. If not, ignore this "
            "message.\n"
        ),
        "reset-unknown.html": (
            "<p>Hello,</p>"
            "<p>Someone asked to recover the password of a $service account with this email "
            "(<b>$email</b>), but there is no account with it.</p>"
            "<p>If it was you, maybe you signed up with another email. If not, ignore this "
            "message.</p>"
        ),
        "password-changed.subject": "Your password changed",
        "password-changed.when": "%d/%m/%Y at %H:%M",
        "password-changed.text": (
            "Hello,\n\n"
            "The password of your $service account was changed on $when (central Mexico "
            "time). For your security, we signed the other chats out.\n\n"
            "If it was you, you don't need to do anything.\n"
            "If it wasn't you, send /recuperar in the bot's chat to choose a new password, "
            "and tell us by replying to this email.\n"
        ),
        "password-changed.html": (
            "<p>Hello,</p>"
            "<p>The password of your $service account was changed on <b>$when</b> (central "
            "Mexico time). For your security, we signed the other chats out.</p>"
            "<p>If it was you, you don't need to do anything.</p>"
            "<p>If it wasn't you, send <code>/recuperar</code> in the bot's chat to choose a "
            "new password, and tell us by replying to this email.</p>"
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
    pattern = _CATALOG.get(language, _CATALOG["es"])["password-changed.when"]
    return _render(language, "password-changed", when=local.strftime(pattern))
