"""Inline keyboards: what every flow's keyboards are built with. A keyboard is a builder
registered by name with its flow (chat.registry.FlowSpec.keyboards), so that a question
can be asked again with its buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Text = Callable[..., str]  # a button's text from the catalog: t(key, **values)
Values = dict[str, Any]
Builder = Callable[[Text, Values], InlineKeyboardMarkup]


def rows(t: Text, layout: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Buttons in rows, each given as the catalog key of its text and its data."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(key), callback_data=data) for key, data in row] for row in layout]
    )


def for_account(data: str, values: Values | None) -> str:
    """A /cuenta button's data names the account it was shown for (`account` in values),
    so that pressed after the chat changed accounts it acts on none."""
    account = (values or {}).get("account")
    return f"{data}:{account}" if account is not None else data
