"""Telegram's HTML parse mode: plain text plus entities, with offsets in UTF-16 units."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

Json = dict[str, Any]  # a JSON object as Telegram's API sends it

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "code": "code",
    "pre": "pre",
    "a": "text_link",
    "tg-spoiler": "spoiler",
    "blockquote": "blockquote",
}


class EntityParseError(ValueError):
    pass


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.length = 0
        self.open: list[tuple[str, int, Json]] = []
        self.entities: list[Json] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {self.length}')
        extra: Json = {}
        if tag == "a":
            href = dict(attrs).get("href")
            if not href:
                raise EntityParseError("Can't find end of a URL")
            extra["url"] = href
        self.open.append((tag, self.length, extra))

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{tag}"')
        _, start, extra = self.open.pop()
        if self.length > start:
            self.entities.append(
                {"type": _TAGS[tag], "offset": start, "length": self.length - start, **extra}
            )

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        self.length += utf16_length(data)


def parse_html(text: str) -> tuple[str, list[Json]]:
    parser = _Parser()
    parser.feed(text)
    parser.close()
    if parser.open:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{parser.open[-1][0]}"'
        )
    entities = sorted(parser.entities, key=lambda entity: (entity["offset"], -entity["length"]))
    return "".join(parser.parts), entities


def command_entities(text: str) -> list[Json]:
    """What Telegram marks in a message a person sends: a leading /command."""
    if not text.startswith("/"):
        return []
    word = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_length(word)}]
