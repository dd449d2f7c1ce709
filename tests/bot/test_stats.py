"""`python main.py stats` names the database it read, never with its password."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.stats import shown


def test_the_database_is_named_without_its_password() -> None:
    named = shown("postgresql+asyncpg://bot:s3cr3t-pw@db.example.mx:5432/facturacion")
    assert named == "postgresql+asyncpg://bot:***@db.example.mx:5432/facturacion"


def test_a_sqlite_file_is_named_by_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    named = shown("sqlite+aiosqlite:///./var/bot.sqlite3")
    assert named == f"sqlite+aiosqlite:///{tmp_path.resolve() / 'var' / 'bot.sqlite3'}"
