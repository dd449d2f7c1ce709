"""Reading an email's HTML part as a mail app does: its elements, their inline styles, the
words a reader sees and the addresses a tap opens (html.parser, from the standard library)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

INLINE = {"a", "b", "code", "em", "i", "span", "strong"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None = None
    children: list[Element | str] = field(default_factory=list)

    def iter(self) -> Iterator[Element]:
        """This element and every element inside it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag: str) -> list[Element]:
        return [element for element in self.iter() if element.tag == tag]

    def text(self) -> str:
        """The words inside, as one line (runs of white space made one space)."""
        words: list[str] = []
        for child in self.children:
            if isinstance(child, Element):
                gap = "" if child.tag in INLINE else " "
                words.extend((gap, child.text(), gap))
            else:
                words.append(child)
        return re.sub(r"\s+", " ", "".join(words)).strip()

    def cells(self) -> list[Element]:
        """The innermost table cells: those holding no other cell."""
        return [td for td in self.find_all("td") if len(td.find_all("td")) == 1]

    def first_words(self) -> tuple[Element, str]:
        """The first words a reader sees inside, and the element holding them."""
        for element in self.iter():
            for child in element.children:
                if isinstance(child, str) and child.strip():
                    return element, child.strip()
        raise AssertionError("no words")

    def style(self) -> dict[str, str]:
        """The inline style as property: value."""
        pairs = (part.split(":", 1) for part in self.attrs.get("style", "").split(";"))
        return {name.strip(): value.strip() for name, value in (p for p in pairs if len(p) == 2)}

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


@dataclass
class Document:
    root: Element
    comments: list[str]

    @property
    def body(self) -> Element:
        [body] = self.root.find_all("body")
        return body

    def visible_text(self) -> str:
        return self.body.text()

    def hrefs(self) -> list[str]:
        return [a.attrs["href"] for a in self.root.find_all("a") if "href" in a.attrs]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.current = self.root
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs}, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_endtag(self, tag: str) -> None:
        node: Element | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None and node.parent is not None, f"</{tag}> closes nothing"
        self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def read_html(html: str) -> Document:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    assert builder.current is builder.root, f"<{builder.current.tag}> is never closed"
    return Document(builder.root, builder.comments)
