"""What repositories share."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result


def affected(result: Result[Any]) -> int:
    """How many rows an UPDATE or DELETE touched (SQLAlchemy types execute()'s result as
    a plain Result; for these statements it is a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount or 0
