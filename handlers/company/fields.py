"""The company form's fields: one receiver per answer, each checking its value and going
on to the next missing field (or back to the summary)."""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update

from chat import keyboards
from chat.common import ask, close_buttons, say
from chat.context import BotContext
from handlers.company.form import Step, advance, ask_field, draft, person_of
from services import company_fields as check
from services.catalogs import SatCatalogs
from services.validation import Invalid, PersonType, parse_email

TEXT_FIELDS: dict[str, Callable[[str, SatCatalogs], str]] = {
    "calle": lambda text, _: check.clean_text(text, reason="calle"),
    "numero_exterior": lambda text, _: check.clean_text(text, reason="numero", longest=30),
    "numero_interior": lambda text, _: check.clean_text(text, reason="numero", longest=30),
    "colonia": lambda text, _: check.clean_text(text, reason="colonia"),
    "municipio": lambda text, _: check.clean_text(text, reason="municipio"),
    "estado": check.parse_state,
    "telefono": lambda text, _: check.parse_phone(text),
    "correo_contacto": lambda text, _: parse_email(text),
}


async def accept(update: Update, context: BotContext, name: str, value: str | None) -> Step:
    draft(context).values[name] = value
    return await advance(update, context)


async def refuse(update: Update, context: BotContext, error: Invalid, name: str) -> Step:
    key = f"signup.{error.reason}" if error.reason.startswith("email.") else None
    await say(update, context, key or f"company.reason.{error.reason.removeprefix('company.')}")
    return await ask_field(update, context, name)


async def receive_razon_social(update: Update, context: BotContext) -> Step:
    """Upper case; a trailing régimen capital is offered to be dropped (persona moral)."""
    current = draft(context)
    try:
        name = check.clean_razon_social(update.effective_message.text or "")
    except Invalid as error:
        return await refuse(update, context, error, "razon_social")
    suggested = (
        check.without_capital_regime(name) if person_of(current) is PersonType.MORAL else None
    )
    current.values["razon_social"] = name
    if suggested is None:
        return await advance(update, context)
    current.suggested_name = suggested
    await ask(
        update, context, "company.capital-regime", keyboard="drop-capital", suggested=suggested
    )
    return Step.CAPITAL


async def decide_capital(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    await close_buttons(update)
    current = draft(context)
    if query.data == keyboards.COMPANY_YES and current.suggested_name:
        current.values["razon_social"] = current.suggested_name
    current.suggested_name = None
    return await advance(update, context)


async def choose_regime(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    await close_buttons(update)
    return await take_regime(update, context, query.data.removeprefix(keyboards.REGIME))


async def receive_regime(update: Update, context: BotContext) -> Step:
    return await take_regime(update, context, update.effective_message.text or "")


async def take_regime(update: Update, context: BotContext, text: str) -> Step:
    catalogs = context.services.catalogs
    try:
        regime = check.parse_regime(text, person_of(draft(context)), catalogs)
    except Invalid as error:
        return await refuse(update, context, error, "regimen_fiscal")
    return await accept(update, context, "regimen_fiscal", regime.code)


async def receive_postal_code(update: Update, context: BotContext) -> Step:
    """Check the code against SAT's catalog and propose its estado and municipio."""
    current = draft(context)
    try:
        found = check.parse_postal_code(
            update.effective_message.text or "", context.services.catalogs
        )
    except Invalid as error:
        return await refuse(update, context, error, "codigo_postal")
    current.values["codigo_postal"] = found.code
    for name in ("municipio", "estado"):
        current.values.pop(name, None)
    current.proposed_place = {"estado": found.state, "municipio": found.municipality}
    if found.municipality:
        place = f"{found.municipality}, {found.state}"
        await ask(
            update,
            context,
            "company.confirm-place",
            keyboard="yes-no",
            code=found.code,
            place=place,
        )
    else:
        await ask(
            update,
            context,
            "company.confirm-state",
            keyboard="yes-no",
            code=found.code,
            state=found.state,
        )
    return Step.PLACE


async def decide_place(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    await close_buttons(update)
    current = draft(context)
    proposal, current.proposed_place = current.proposed_place or {}, None
    if query.data == keyboards.COMPANY_YES:
        for name, value in proposal.items():
            if value:
                current.values[name] = value
    return await advance(update, context)


def text_step(name: str) -> Callable[[Update, BotContext], object]:
    """The receiver of a plain text field: check it, keep it, go on."""

    async def receive(update: Update, context: BotContext) -> Step:
        text = update.effective_message.text or ""
        try:
            value = TEXT_FIELDS[name](text, context.services.catalogs)
        except Invalid as error:
            return await refuse(update, context, error, name)
        return await accept(update, context, name, value)

    receive.__name__ = f"receive_{name}"
    return receive


async def omit_interior(update: Update, context: BotContext) -> Step:
    await close_buttons(update)
    return await accept(update, context, "numero_interior", None)


async def use_account_email(update: Update, context: BotContext) -> Step:
    await close_buttons(update)
    return await accept(update, context, "correo_contacto", draft(context).email)
