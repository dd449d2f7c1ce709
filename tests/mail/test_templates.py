"""Email texts escape what people typed in their HTML part."""

from __future__ import annotations

from mail.templates import confirmation_email, signup_attempt_email


def test_html_part_escapes_values() -> None:
    content = confirmation_email(
        language="es",
        email="a<b>@example.mx",
        rfc="GODE561231GR8",
        code="c" * 40,
        link="https://t.me/x?start=c_1&y=2",
        ttl_hours=72,
    )
    assert "a&lt;b&gt;@example.mx" in content.html and "a<b>@example.mx" in content.text
    assert "start=c_1&amp;y=2" in content.html
    assert "72 horas" in content.text


def test_signup_attempt_mentions_recovery_and_no_code() -> None:
    content = signup_attempt_email(language="es", email="ana@example.mx")
    assert "/recuperar" in content.text and "/recuperar" in content.html
    assert "ana@example.mx" in content.text
