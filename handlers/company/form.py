"""The company form's steps, its draft and the summary it comes back to (flow.py wires the
conversation, fields.py asks and reads each field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import ClassVar

from telegram import Update

from chat.common import ask
from chat.context import BotContext
from chat.state import Draft
from services.company import FIELDS
from services.validation import PersonType, person_type_of


@dataclass
class CompanyDraft(Draft):
    KEY: ClassVar[str] = "company"
    account_id: int
    rfc: str
    email: str
    values: dict[str, str | None] = field(default_factory=dict)
    proposed_place: dict[str, str | None] | None = None  # from the postal code, to confirm
    suggested_name: str | None = None  # razón social without its régimen capital


@dataclass
class CsfWanted(Draft):
    """/constancia typed before signing in: once signed in, the Constancia is asked for."""

    KEY: ClassVar[str] = "company-csf"


class Step(IntEnum):
    # Conversations are stored by these numbers: a new step takes the next free number.
    LOGIN_EMAIL = 1
    LOGIN_PASSWORD = 2
    INTRO = 3
    RAZON_SOCIAL = 4
    CAPITAL = 5
    REGIMEN = 6
    CODIGO_POSTAL = 7
    PLACE = 8
    CALLE = 9
    NUMERO_EXTERIOR = 10
    NUMERO_INTERIOR = 11
    COLONIA = 12
    MUNICIPIO = 13
    ESTADO = 14
    TELEFONO = 15
    CORREO = 16
    SUMMARY = 17
    LUGAR = 18
    LUGAR_CP = 19
    CSF = 20  # the Constancia de Situación Fiscal's PDF awaited


def draft(context: BotContext) -> CompanyDraft:
    current = context.chat.draft(CompanyDraft)
    if current is None:
        raise RuntimeError("no company draft in this chat")
    return current


def person_of(current: CompanyDraft) -> PersonType:
    return person_type_of(current.rfc)


def person_text(update: Update, context: BotContext, current: CompanyDraft) -> str:
    return context.text(update, f"signup.person-{person_of(current).value}")


def shown_values(
    update: Update, context: BotContext, values: dict[str, str | None]
) -> dict[str, str]:
    """Every field as the summary shows it (a dash for none), the régimen with its name."""
    shown = {name: values.get(name) or context.text(update, "company.none") for name in FIELDS}
    regime = context.services.catalogs.regimes.get(values.get("regimen_fiscal") or "")
    shown["regimen"] = f"{regime.code} · {regime.name}" if regime else shown["regimen_fiscal"]
    return shown


async def show_summary(update: Update, context: BotContext) -> Step:
    """Show every field, with «Guardar», a button per field to change it, and «Cancelar»."""
    current = draft(context)
    values = shown_values(update, context, current.values)
    await ask(
        update, context, "company.summary", keyboard="company-summary", rfc=current.rfc, **values
    )
    return Step.SUMMARY
