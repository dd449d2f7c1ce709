"""The company form's shared core: its steps, the draft, moving to the next missing field,
asking a field and showing the summary (flow.py wires the conversation)."""

from __future__ import annotations

from enum import IntEnum

from telegram import Update

from chat.common import ask
from chat.context import BotContext
from chat.state import CompanyDraft
from services.company import FIELDS
from services.validation import PersonType


class Step(IntEnum):
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


FIELD_STEPS = {
    "razon_social": Step.RAZON_SOCIAL,
    "regimen_fiscal": Step.REGIMEN,
    "codigo_postal": Step.CODIGO_POSTAL,
    "calle": Step.CALLE,
    "numero_exterior": Step.NUMERO_EXTERIOR,
    "numero_interior": Step.NUMERO_INTERIOR,
    "colonia": Step.COLONIA,
    "municipio": Step.MUNICIPIO,
    "estado": Step.ESTADO,
    "telefono": Step.TELEFONO,
    "correo_contacto": Step.CORREO,
}


def draft(context: BotContext) -> CompanyDraft:
    current = context.chat.company
    if current is None:
        raise RuntimeError("no company draft in this chat")
    return current


def person_of(current: CompanyDraft) -> PersonType:
    return PersonType.MORAL if len(current.rfc) == 12 else PersonType.FISICA


def person_text(update: Update, context: BotContext, current: CompanyDraft) -> str:
    return context.text(update, f"signup.person-{person_of(current).value}")


# Moving through the fields


async def advance(update: Update, context: BotContext) -> Step:
    """The next field without a value, or the summary when all have one."""
    current = draft(context)
    missing = [name for name in FIELDS if name not in current.values]
    if not missing:
        return await show_summary(update, context)
    return await ask_field(update, context, missing[0])


async def ask_field(update: Update, context: BotContext, name: str) -> Step:
    current = draft(context)
    if name == "regimen_fiscal":
        choices = [
            [r.code, r.name] for r in context.services.catalogs.regimes_for(person_of(current))
        ]
        await ask(
            update,
            context,
            "company.ask-regime",
            keyboard="regimes",
            person=person_text(update, context, current),
            example=choices[0][0],
            choices=choices,
        )
    elif name == "numero_interior":
        await ask(update, context, "company.ask-numero-interior", keyboard="omit")
    elif name == "correo_contacto":
        await ask(update, context, "company.ask-correo", keyboard="use-email", email=current.email)
    else:
        key = {"razon_social": "razon-social", "codigo_postal": "postal-code"}.get(name, name)
        await ask(update, context, f"company.ask-{key.replace('_', '-')}")
    return FIELD_STEPS[name]


async def show_summary(update: Update, context: BotContext) -> Step:
    current = draft(context)
    values = {
        name: current.values.get(name) or context.text(update, "company.none") for name in FIELDS
    }
    regime = context.services.catalogs.regimes.get(current.values.get("regimen_fiscal") or "")
    values["regimen"] = f"{regime.code} · {regime.name}" if regime else values["regimen_fiscal"]
    await ask(
        update, context, "company.summary", keyboard="company-summary", rfc=current.rfc, **values
    )
    return Step.SUMMARY
