"""An email written once reads the same in its text and HTML parts, and nothing a person
typed becomes markup."""

from __future__ import annotations

from mail.markup import render
from tests.mail.reading import read_html

SOURCE = """
Hola:

- Usuario: *$email*
- RFC: *`$rfc`*

Escribe `/recuperar` en el chat o lee [el aviso]($link).
"""


def test_blocks_lists_and_marks_render_in_both_parts() -> None:
    email = render(
        SOURCE, {"email": "ana@example.mx", "rfc": "GODE561231GR8", "link": "https://x.mx"}
    )
    assert email.text == (
        "Hola:\n\n  Usuario: ana@example.mx\n  RFC: GODE561231GR8\n\n"
        "Escribe /recuperar en el chat o lee https://x.mx.\n"
    )
    document = read_html(f"<body>{email.html}</body>")
    assert [p.text() for p in document.root.find_all("p")] == [
        "Hola:",
        "Escribe /recuperar en el chat o lee el aviso.",
    ]
    assert [li.text() for li in document.root.find_all("li")] == [
        "Usuario: ana@example.mx",
        "RFC: GODE561231GR8",
    ]
    assert [b.text() for b in document.root.find_all("b")] == ["ana@example.mx", "GODE561231GR8"]
    assert [c.text() for c in document.root.find_all("code")] == ["GODE561231GR8", "/recuperar"]
    assert document.hrefs() == ["https://x.mx"]
    assert all(element.attrs.get("style") for element in document.root.find_all("p"))


def test_values_are_never_read_as_marks_and_are_escaped_in_html() -> None:
    typed = "*a* `b` [c](d) <i>&$x"
    link = 'https://t.me/b?a=1&b="2"'
    email = render(SOURCE, {"email": typed, "rfc": "x", "link": link})
    assert f"Usuario: {typed}\n" in email.text
    assert "<b>*a* `b` [c](d) &lt;i&gt;&amp;$x</b>" in email.html
    assert 'href="https://t.me/b?a=1&amp;b=&quot;2&quot;"' in email.html
    assert read_html(f"<body>{email.html}</body>").hrefs() == [link]


def test_a_line_of_its_own_ending_in_a_code_is_a_code_box() -> None:
    email = render("Pega el código:\n\nCódigo: `$code`\n\nEscribe `/reenviar`", {"code": "K7PX"})
    assert email.text == "Pega el código:\n\nCódigo: K7PX\n\nEscribe /reenviar\n"
    document = read_html(f"<body>{email.html}</body>")
    [box] = [td for td in document.root.find_all("td") if td.text() == "K7PX"]
    assert "monospace" in box.style()["font-family"] and box.style()["font-size"] == "22px"
    assert box.style()["user-select"] == "all"  # one tap selects the whole code
    assert [p.text() for p in document.root.find_all("p")][1] == "Código:"
    # A sentence that ends in a command is a sentence, not a box.
    assert [c.text() for c in document.root.find_all("code")] == ["/reenviar"]


def test_a_line_that_is_only_a_link_is_a_button() -> None:
    email = render("Toca el botón:\n\n[Confirmar]($link)", {"link": "https://t.me/b?start=c_1"})
    assert email.text == "Toca el botón:\n\nhttps://t.me/b?start=c_1\n"
    document = read_html(f"<body>{email.html}</body>")
    [button] = document.root.find_all("a")
    assert button.attrs["href"] == "https://t.me/b?start=c_1" and button.text() == "Confirmar"
    assert button.style()["display"] == "inline-block" and button.style()["background-color"]
    # Outlook paints the cell, not the link: the colour is on the cell too.
    assert button.parent is not None and button.parent.attrs["bgcolor"]
