"""Each email is written once, in a few plain-text marks, and rendered twice: the text
part and the HTML part say the same words because they come from the same source.

Why not Jinja2: the emails need paragraphs, one list, bold, code, a code box and a button,
and nothing that a template language adds (loops, conditions, inheritance); a new
dependency and a second syntax in the catalogs would cost more than these lines. The marks:

- blocks are separated by a blank line; a line break inside a block is kept (``<br>``);
- a block whose lines all begin with ``- `` is a list (indented by two spaces in text);
- ``*bold*``, `` `code` `` (``*`code`*`` is both) and ``[label](address)``, a link
  whose text part shows the address (a plain-text reader cannot follow a label);
- a block that is one line ending in a code (``Código: `$code` ``) is a code box: the
  words above it, the code large, monospace and selected whole with one tap; the text part
  keeps the line as it is (``Código: K7PX-3MQA``);
- a block that is only a link is a button; the text part shows the address;
- values are ``$name`` (string.Template), put in after the marks are read, so nothing a
  person typed can add a mark; in the HTML part every value is HTML-escaped.

The HTML is styled inline (mail apps drop or mangle ``<style>``), with tables where
Outlook's Word engine would ignore a styled ``<div>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from string import Template

_INLINE = re.compile(
    r"\*(?P<bold>[^*]+)\*|`(?P<code>[^`]+)`|\[(?P<label>[^\]]+)\]\((?P<address>[^)\s]+)\)"
)
_CODE_BOX = re.compile(r"(?:(?P<label>[^`]*:)\s+)?`(?P<code>[^`]+)`")
_BUTTON = re.compile(r"\[(?P<label>[^\]]+)\]\((?P<address>[^)\s]+)\)")
_ITEM = "- "

ACCENT = "#0b5cab"
MONOSPACE = "'Courier New',Courier,monospace"
STYLE = {
    "p": "margin:0 0 16px;",
    "ul": "margin:0 0 16px;padding:0 0 0 24px;",
    "li": "margin:0 0 4px;",
    "code": (
        f"font-family:{MONOSPACE};background-color:#eef1f5;padding:1px 4px;border-radius:3px;"
    ),
    "a": f"color:{ACCENT};text-decoration:underline;",
    "box": (
        f"font-family:{MONOSPACE};font-size:22px;line-height:32px;font-weight:bold;"
        "letter-spacing:1px;color:#111827;background-color:#f3f6fa;border:2px dashed #9aa9bc;"
        "border-radius:6px;padding:16px;text-align:center;word-break:normal;"
        "overflow-wrap:anywhere;"
        "-webkit-user-select:all;user-select:all;"
    ),
    "button": (
        f"display:inline-block;padding:14px 28px;font-family:Arial,Helvetica,sans-serif;"
        f"font-size:16px;line-height:20px;font-weight:bold;color:#ffffff;text-decoration:none;"
        f"border-radius:6px;background-color:{ACCENT};"
    ),
}


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    html: str


def _inline(source: str) -> tuple[str, str]:
    """One line's text and HTML, values still as $names."""
    text: list[str] = []
    html: list[str] = []
    last = 0
    for match in _INLINE.finditer(source):
        before = source[last : match.start()]
        text.append(before)
        html.append(escape(before, quote=False))
        if match["bold"] is not None:
            inner_text, inner_html = _inline(match["bold"])
            text.append(inner_text)
            html.append(f"<b>{inner_html}</b>")
        elif match["code"] is not None:
            text.append(match["code"])
            html.append(
                f'<code style="{STYLE["code"]}">{escape(match["code"], quote=False)}</code>'
            )
        else:
            _, label = _inline(match["label"])
            text.append(match["address"])
            html.append(f'<a href="{escape(match["address"])}" style="{STYLE["a"]}">{label}</a>')
        last = match.end()
    text.append(source[last:])
    html.append(escape(source[last:], quote=False))
    return "".join(text), "".join(html)


def _code_box(label: str | None, code: str) -> tuple[str, str]:
    label_text, label_html = _inline(label) if label else ("", "")
    box = (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        f'style="margin:0 0 16px;"><tr><td style="{STYLE["box"]}">'
        f"{escape(code, quote=False)}</td></tr></table>"
    )
    above = f'<p style="margin:0 0 8px;">{label_html}</p>' if label else ""
    return (f"{label_text} {code}" if label else code), above + box


def _button(label: str, address: str) -> tuple[str, str]:
    # A "bulletproof" button: the table cell carries the colour where Outlook ignores the
    # link's padding and background, and the whole coloured area stays tappable elsewhere.
    _, label_html = _inline(label)
    href = escape(address)
    return address, (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
        'style="margin:0 0 16px;"><tr>'
        f'<td align="center" bgcolor="{ACCENT}" style="border-radius:6px;">'
        f'<a href="{href}" target="_blank" style="{STYLE["button"]}">{label_html}</a>'
        "</td></tr></table>"
    )


def _block(block: str) -> tuple[str, str]:
    lines = block.splitlines()
    if all(line.startswith(_ITEM) for line in lines):
        items = [_inline(line.removeprefix(_ITEM)) for line in lines]
        return (
            "\n".join(f"  {text}" for text, _ in items),
            f'<ul style="{STYLE["ul"]}">'
            + "".join(f'<li style="{STYLE["li"]}">{html}</li>' for _, html in items)
            + "</ul>",
        )
    if len(lines) == 1 and (box := _CODE_BOX.fullmatch(lines[0])):
        return _code_box(box["label"], box["code"])
    if len(lines) == 1 and (button := _BUTTON.fullmatch(lines[0])):
        return _button(button["label"], button["address"])
    parts = [_inline(line) for line in lines]
    return "\n".join(text for text, _ in parts), (
        f'<p style="{STYLE["p"]}">' + "<br>".join(h for _, h in parts) + "</p>"
    )


def render(source: str, values: dict[str, str]) -> Rendered:
    """The text and HTML parts of `source` with `values` put in."""
    blocks = [_block(block.strip("\n")) for block in re.split(r"\n\s*\n", source.strip())]
    text = "\n\n".join(text for text, _ in blocks) + "\n"
    html = "\n".join(html for _, html in blocks)
    escaped = {name: escape(value) for name, value in values.items()}
    return Rendered(text=Template(text).substitute(values), html=Template(html).substitute(escaped))
