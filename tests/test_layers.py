"""Imports run one way, read from the source: the wiring on top, then the handlers, the
chat toolkit they speak through, the use cases, mail and storage at the bottom."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "chat", "services", "mail", "storage", "emulator")
# What each package may import of the project's own.
ALLOWED = {
    "bot": {"handlers", "chat", "services", "mail", "storage", "emulator"},
    "handlers": {"chat", "services"},
    "chat": {"services"},
    "services": {"mail", "storage"},
    "mail": {"storage"},
    "storage": set(),
    "emulator": set(),
}
NO_TELEGRAM = ("services", "mail", "storage")


def imports_of(package: str) -> dict[str, set[str]]:
    """Each module file of the package, with the top-level names it imports."""
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_packages_import_only_those_below_them() -> None:
    wrong = [
        f"{module} imports {name}"
        for package in PACKAGES
        for module, names in imports_of(package).items()
        for name in names & set(PACKAGES) - {package} - ALLOWED[package]
    ]
    assert wrong == []


def test_no_two_packages_import_each_other() -> None:
    uses = {
        package: set().union(*imports_of(package).values()) & set(PACKAGES) - {package}
        for package in PACKAGES
    }
    pairs = {tuple(sorted((a, b))) for a in uses for b in uses[a] if a in uses.get(b, set())}
    assert pairs == set()


def test_use_cases_mail_and_storage_know_nothing_of_telegram() -> None:
    wrong = [
        module
        for package in NO_TELEGRAM
        for module, names in imports_of(package).items()
        if "telegram" in names
    ]
    assert wrong == []


# What a use case may take from SQLAlchemy: session types and exceptions. Statements live in
# storage/repositories.
SQLALCHEMY_IN_SERVICES = {"sqlalchemy.ext.asyncio", "sqlalchemy.exc"}


def sqlalchemy_imports_of(package: str) -> dict[str, set[str]]:
    """Each module file of the package, with the sqlalchemy modules it imports from."""
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        modules = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                modules.add(node.module)
        found[str(path.relative_to(ROOT))] = {
            module for module in modules if module.split(".")[0] == "sqlalchemy"
        }
    return found


def test_use_cases_leave_every_query_to_storage() -> None:
    wrong = [
        f"{module} imports {name}"
        for module, names in sqlalchemy_imports_of("services").items()
        for name in sorted(names - SQLALCHEMY_IN_SERVICES)
    ]
    assert wrong == []
