"""Every email, with values like the real ones: what `python main.py preview-mail` writes
and what the tests of every email read. An email added to the catalogs is added here too
(tests/mail/test_emails.py fails until it is)."""

from __future__ import annotations

from datetime import UTC, datetime

from mail import templates
from mail.templates import Letter

EMAIL = "ana.garcia@example.mx"
RFC = "GODE561231GR8"
CONFIRMATION_CODE = "3f9c2a7d1e8b4c6f0a5d9e2b7c1f4a8d6e3b0c9f"
RESET_CODE = "K7PX-3MQA"
BOT_USERNAME = "cfdi_bot"
BOT_LINK = f"https://t.me/{BOT_USERNAME}?start=c_" + CONFIRMATION_CODE
NEW_EMAIL = "ana@empresa.mx"
WHEN = datetime(2026, 11, 29, 18, 5, tzinfo=UTC)


def sample_letters(language: str) -> list[Letter]:
    """One of each email, in `language`."""
    return [
        templates.confirmation_email(
            language=language,
            email=EMAIL,
            rfc=RFC,
            code=CONFIRMATION_CODE,
            link=BOT_LINK,
            ttl_hours=72,
        ),
        templates.signup_attempt_email(language=language, email=EMAIL),
        templates.reset_code_email(language=language, code=RESET_CODE),
        templates.reset_unknown_email(language=language, email=EMAIL),
        templates.password_changed_email(language=language, when=WHEN),
        templates.email_change_code_email(
            language=language, email=NEW_EMAIL, code=RESET_CODE, ttl_minutes=30
        ),
        templates.email_change_attempt_email(language=language, email=EMAIL),
        templates.email_changed_email(language=language, email=NEW_EMAIL, when=WHEN),
        templates.account_deleted_email(language=language, email=EMAIL, when=WHEN),
        templates.csd_expiring_email(
            language=language,
            serial="30001000000500003416",
            holder="ESCUELA KEMPER URGATE SA DE CV",
            valid_until=datetime(2027, 5, 18, 11, 43, 51, tzinfo=UTC),
            days_left=30,
        ),
        templates.support_request_email(
            language=language,
            number=12,
            when=WHEN,
            email=EMAIL,
            chat_id=123456789,
            user_id=123456789,
            person_language="es",
            text="Cambié de celular y ya no puedo entrar: no me llega el código a mi correo.",
        ),
    ]
