"""The steps of /csd, its draft, and what several steps say (dates, the stored CSD)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, tzinfo
from enum import IntEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import Update

from chat.common import end_flow
from chat.context import BotContext
from chat.state import CsdDraft

FLOW = "csd"


class Step(IntEnum):
    LOGIN_EMAIL = 1
    LOGIN_PASSWORD = 2
    FILES = 3
    CONFIRM_REPLACE = 4
    PASSWORD = 5
    NAME = 6
    CONFIRM_DELETE = 7


def draft(context: BotContext) -> CsdDraft:
    current = context.chat.csd
    assert current is not None, "a step of /csd without its draft"
    return current


def finish(context: BotContext) -> int:
    """End the flow and drop the draft (its files with it)."""
    context.chat.csd = None
    return end_flow(context)


def encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def decode(text: str | None) -> bytes | None:
    return base64.b64decode(text) if text is not None else None


def days_left(update: Update, context: BotContext, days: int) -> str:
    """ "1 día", "5 días", "menos de un día": the number and its noun agree."""
    key = {0: "csd.less-than-a-day", 1: "csd.one-day"}.get(days, "csd.days")
    return context.text(update, key, n=days)


def local_date(update: Update, context: BotContext, when: datetime) -> str:
    """A certificate's date as the person reads it: central Mexico's calendar day, where
    SAT issues them."""
    try:
        zone: tzinfo = ZoneInfo("America/Mexico_City")
    except ZoneInfoNotFoundError:  # pragma: no cover - a system without tzdata
        zone = UTC
    return when.astimezone(zone).strftime(context.text(update, "csd.date-format"))
