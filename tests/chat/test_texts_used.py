"""No text is missing and none is dead: every key the code says is in the catalogs, and
every catalog text is said somewhere. Keys are read from the source: a string literal in
bot/, chat/ or handlers/ that reads like a key (a catalog section, a dot, a name) is one;
a key built in an f-string is listed below with the keys it can make; the reason table
and the mail templates bring their own."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from chat.texts import Catalog
from handlers import register_flows
from mail import templates
from mail.templates import catalogs as mail_catalogs
from services.company import FIELDS as COMPANY_FIELDS
from services.funnel import Milestone
from services.human_check import SYMBOLS
from services.validation import PersonType

ROOT = Path(__file__).resolve().parents[2]
CHAT_SIDE = ("bot", "chat", "handlers")
# The reason tables are read as tables: their reason codes ("company.phone") are not keys.
REASON_TABLE = "REASONS"
CATALOG = Catalog.load().languages["es"]
SECTIONS = {key.split(".")[0] for key in CATALOG}

# Keys built in an f-string, by the literal part they begin with: the keys they can make,
# or None where only the prefix can be checked (a catalog key beginning with it counts as
# used).
BUILT: dict[str, Callable[[], set[str]] | None] = {
    "commands.": lambda: {f"commands.{spec.commands[0]}" for spec in register_flows().menu()},
    "help.command.": lambda: {f"help.command.{spec.name}" for spec in register_flows().help()},
    "stats.": lambda: {f"stats.{milestone.value}" for milestone in Milestone},
    "signup.person-": lambda: {f"signup.person-{person.value}" for person in PersonType},
    "check.symbol.": lambda: {f"check.symbol.{name}" for name in SYMBOLS},
    "check.article.": lambda: {f"check.article.{name}" for name in SYMBOLS},
    "company.label.": lambda: {f"company.label.{name}" for name in COMPANY_FIELDS},
}


def literals() -> Iterator[str | ast.JoinedStr]:
    """Each string literal of the chat side; an f-string as a whole."""
    for package in CHAT_SIDE:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            nodes = list(ast.walk(tree))
            inside = {id(p) for n in nodes if isinstance(n, ast.JoinedStr) for p in n.values}
            inside |= reason_codes(nodes)
            for node in nodes:
                if isinstance(node, ast.JoinedStr):
                    yield node
                elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                    yield from [node.value] if id(node) not in inside else []


def reason_codes(nodes: list[ast.AST]) -> set[int]:
    """The reason codes of a module's reason table (`REASONS = MappingProxyType({...})`):
    its keys; its values, the texts, are keys said."""
    tables = [
        node.value
        for node in nodes
        if isinstance(node, ast.Assign)
        and any(getattr(target, "id", None) == REASON_TABLE for target in node.targets)
    ]
    return {
        id(key)
        for table in tables
        for inner in ast.walk(table)
        if isinstance(inner, ast.Dict)
        for key in inner.keys
    }


def looks_like_key(text: str) -> bool:
    """A catalog section, a dot, and names: `signup.ask-rfc`, `company.label.calle`."""
    return re.fullmatch(r"[a-z-]+(\.[a-z0-9_-]+)+", text) is not None and (
        text.split(".")[0] in SECTIONS
    )


def begins_a_key(text: str) -> bool:
    """An f-string's literal start that a key goes on from: `stats.`, `company.ask-`."""
    return re.fullmatch(r"[a-z-]+\.[a-z0-9_.-]*", text) is not None and (
        text.split(".")[0] in SECTIONS
    )


def keys_in_code() -> tuple[set[str], set[str]]:
    """The keys said by name, and the literal beginnings of keys built in f-strings."""
    named, built = set(), set()
    for literal in literals():
        if isinstance(literal, str):
            named |= {literal} if looks_like_key(literal) else set()
            continue
        first = literal.values[0] if literal.values else None
        if isinstance(first, ast.Constant) and begins_a_key(first.value):
            built.add(first.value)
    return named, built


def used_keys() -> tuple[set[str], tuple[str, ...]]:
    """Every key the chat side can say, and the prefixes only known as prefixes."""
    named, built = keys_in_code()
    expanded = {key for prefix in built if BUILT.get(prefix) for key in BUILT[prefix]()}
    prefixes = tuple(prefix for prefix in built if prefix in BUILT and BUILT[prefix] is None)
    return named | expanded | set(register_flows().reasons.values()), prefixes


def test_every_key_built_in_an_f_string_is_listed_and_every_listing_is_in_use() -> None:
    _, built = keys_in_code()
    assert built == set(BUILT)


def test_every_key_said_is_in_every_catalog() -> None:
    used, _ = used_keys()
    for language, texts in Catalog.load().languages.items():
        assert sorted(used - set(texts)) == [], language


def test_every_catalog_key_is_said_somewhere() -> None:
    used, prefixes = used_keys()
    unused = sorted(key for key in CATALOG if key not in used and not key.startswith(prefixes))
    assert unused == []


def parts_read_by_name() -> set[tuple[str, str]]:
    """(email, part) pairs mail/templates.py reads by name: `_email(language, name)["part"]`
    (the name a string or one of the module's constants, like `LAYOUT`)."""
    tree = ast.parse((ROOT / "mail" / "templates.py").read_text(encoding="utf-8"))
    read = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "id", None) == "_email"
        ):
            name = node.value.args[1]
            email = name.value if isinstance(name, ast.Constant) else getattr(templates, name.id)
            read.add((email, node.slice.value))
    return read


def test_every_email_text_is_read_and_every_one_read_is_written() -> None:
    """Every email has the parts every email is rendered from (`subject`, `body`,
    `not_you`), and only those, `reply`, and the parts read by name."""
    read = parts_read_by_name()
    assert read
    for language, emails in mail_catalogs().items():
        written = {(name, part) for name, parts in emails.items() for part in parts}
        assert read <= written, language
        for name, parts in emails.items():
            by_name = {part for email, part in read if email == name}
            if name == templates.LAYOUT:
                assert set(parts) == by_name, language
                continue
            assert set(templates.REQUIRED_PARTS) <= set(parts), (language, name)
            allowed = {*templates.REQUIRED_PARTS, *templates.OPTIONAL_PARTS, *by_name}
            assert set(parts) <= allowed, (language, name)
