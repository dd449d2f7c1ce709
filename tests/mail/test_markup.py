"""An email written once reads the same in its text and HTML parts, and nothing a person
typed becomes markup."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mail import templates
from mail.markup import render

SOURCE = """
Hola:

- Usuario: *$email*
- Código: *`$code`*

Toca este enlace:
[Confirmar]($link)
"""


def test_blocks_lists_and_marks_render_in_both_parts() -> None:
    email = render(SOURCE, {"email": "ana@example.mx", "code": "abc", "link": "https://t.me/b"})
    assert email.text == (
        "Hola:\n\n  Usuario: ana@example.mx\n  Código: abc\n\nToca este enlace:\nhttps://t.me/b\n"
    )
    assert email.html == (
        "<p>Hola:</p>"
        "<ul><li>Usuario: <b>ana@example.mx</b></li><li>Código: <b><code>abc</code></b></li></ul>"
        '<p>Toca este enlace:<br><a href="https://t.me/b">Confirmar</a></p>'
    )


def test_values_are_never_read_as_marks_and_are_escaped_in_html() -> None:
    typed = "*a* `b` [c](d) <i>&$x"
    email = render(SOURCE, {"email": typed, "code": "x", "link": 'https://t.me/b?a=1&b="2"'})
    assert f"Usuario: {typed}\n" in email.text
    assert "<b>*a* `b` [c](d) &lt;i&gt;&amp;$x</b>" in email.html
    assert 'href="https://t.me/b?a=1&amp;b=&quot;2&quot;"' in email.html


@pytest.mark.parametrize("language", ["es", "en"])
def test_every_email_renders_in_every_language(language: str) -> None:
    when = datetime(2025, 1, 31, 18, 5, tzinfo=UTC)
    emails = [
        templates.confirmation_email(
            language=language, email="a@b.mx", rfc="R", code="c", link="https://t.me/b", ttl_hours=1
        ),
        templates.signup_attempt_email(language=language, email="a@b.mx"),
        templates.reset_code_email(language=language, code="ABCD-EFGH"),
        templates.reset_unknown_email(language=language, email="a@b.mx"),
        templates.email_change_code_email(
            language=language, email="a@b.mx", code="ABCD-EFGH", ttl_minutes=30
        ),
        templates.email_change_attempt_email(language=language, email="a@b.mx"),
        templates.email_changed_email(language=language, email="a@b.mx", when=when),
        templates.account_deleted_email(language=language, email="a@b.mx", when=when),
        templates.password_changed_email(language=language, when=when),
    ]
    assert len(emails) == len(templates.catalogs()[language])
    for email in emails:
        assert email.subject and "$" not in email.subject + email.text + email.html
        assert "*" not in email.text and "`" not in email.text
    assert "31/01/2025" in emails[-1].text and "12:05" in emails[-1].html
