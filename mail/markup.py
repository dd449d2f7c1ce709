"""Each email is written once, in a few plain-text marks, and rendered twice: the text
part and the HTML part say the same words because they come from the same source.

Why not Jinja2: the emails need paragraphs, one list, bold, code and one link, and
nothing that a template language adds (loops, conditions, inheritance); a new dependency
and a second syntax in the catalogs would cost more than these sixty lines. The marks:

- blocks are separated by a blank line; a line break inside a block is kept (``<br>``);
- a block whose lines all begin with ``- `` is a list (indented by two spaces in text);
- ``*bold*``, `` `code` `` (``*`code`*`` is both) and ``[label](address)``, a link
  whose text part shows the address (a plain-text reader cannot follow a label);
- values are ``$name`` (string.Template), put in after the marks are read, so nothing a
  person typed can add a mark; in the HTML part every value is HTML-escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from string import Template

_INLINE = re.compile(
    r"\*(?P<bold>[^*]+)\*|`(?P<code>[^`]+)`|\[(?P<label>[^\]]+)\]\((?P<address>[^)\s]+)\)"
)
_ITEM = "- "


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
            html.append(f"<code>{escape(match['code'], quote=False)}</code>")
        else:
            _, label = _inline(match["label"])
            text.append(match["address"])
            html.append(f'<a href="{escape(match["address"])}">{label}</a>')
        last = match.end()
    text.append(source[last:])
    html.append(escape(source[last:], quote=False))
    return "".join(text), "".join(html)


def _block(block: str) -> tuple[str, str]:
    lines = block.splitlines()
    if all(line.startswith(_ITEM) for line in lines):
        items = [_inline(line.removeprefix(_ITEM)) for line in lines]
        return (
            "\n".join(f"  {text}" for text, _ in items),
            "<ul>" + "".join(f"<li>{html}</li>" for _, html in items) + "</ul>",
        )
    parts = [_inline(line) for line in lines]
    return "\n".join(text for text, _ in parts), "<p>" + "<br>".join(h for _, h in parts) + "</p>"


def render(source: str, values: dict[str, str]) -> Rendered:
    """The text and HTML parts of `source` with `values` put in."""
    blocks = [_block(block.strip("\n")) for block in re.split(r"\n\s*\n", source.strip())]
    text = "\n\n".join(text for text, _ in blocks) + "\n"
    html = "".join(html for _, html in blocks)
    escaped = {name: escape(value) for name, value in values.items()}
    return Rendered(text=Template(text).substitute(values), html=Template(html).substitute(escaped))
