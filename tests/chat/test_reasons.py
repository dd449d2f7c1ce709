"""Every reason a service can refuse a value for has one text, in every language."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from chat.reasons import reason_key
from chat.texts import Catalog
from handlers import register_flows
from services.validation import Invalid

REASONS = register_flows().reasons
SERVICES = Path(__file__).resolve().parents[2] / "services"


def reasons_raised() -> list[str]:
    """The reasons given to `Invalid(...)` in the services, as patterns: a part computed
    in an f-string (`f"company.{reason}-empty"`) stands for any word."""
    found = []
    for path in SERVICES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Invalid"):
                continue
            (argument,) = node.args
            parts = argument.values if isinstance(argument, ast.JoinedStr) else [argument]
            found.append(
                "".join(
                    re.escape(part.value) if isinstance(part, ast.Constant) else "[a-z-]+"
                    for part in parts
                )
            )
    return found


def test_every_reason_raised_has_an_entry_and_every_entry_can_be_raised() -> None:
    patterns = reasons_raised()
    assert patterns, "no Invalid(...) found in services/"
    for pattern in patterns:
        assert any(re.fullmatch(pattern, reason) for reason in REASONS), pattern
    for reason in REASONS:
        assert any(re.fullmatch(pattern, reason) for pattern in patterns), reason


def test_every_reason_is_said_in_every_language() -> None:
    for language, texts in Catalog.load().languages.items():
        missing = sorted(key for key in REASONS.values() if key not in texts)
        assert missing == [], language


def test_a_reason_is_said_by_its_key() -> None:
    assert reason_key(Invalid("email.no-at")) == "signup.email.no-at"
    assert reason_key(Invalid("company.phone")) == "company.reason.phone"
