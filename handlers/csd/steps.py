"""The steps of /csd, its draft, and what several steps say (dates, the stored CSD)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import IntEnum
from typing import ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import Update

from chat.common import end_flow
from chat.context import BotContext
from chat.state import Draft


@dataclass
class CsdDraft(Draft):
    """The CSD being sent (/csd): its files as they arrive, in any order, until the key's
    password is checked. The chat's data is sealed at rest (services.chats), so the
    certificate and the key (still encrypted with its password) wait here between steps
    and across restarts; the password itself is never kept."""

    KEY: ClassVar[str] = "csd"

    account_id: int
    rfc: str
    certificate: str | None = None  # the .cer as DER, base64
    key: str | None = None  # the .key as DER (encrypted PKCS#8), base64
    replacing: str | None = None  # the stored CSD's serial, once the person agreed to replace
    # The stored CSD's serial named by the open question («¿Lo reemplazo?», «¿Lo elimino?»):
    # a press acts on that one only, not on one another chat stored meanwhile.
    asked_about: str | None = None
    new_name: str | None = None  # the certificate's name, offered as the razón social


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
    current = context.chat.draft(CsdDraft)
    assert current is not None, "a step of /csd without its draft"
    return current


def finish(context: BotContext) -> int:
    """End the flow and drop the draft (its files with it)."""
    context.chat.drop(CsdDraft)
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
