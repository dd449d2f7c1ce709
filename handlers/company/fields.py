"""The company form's fields, one row each in FORM_FIELDS (at the end): the CompanyData
attribute it fills, the step that waits for it, its question, its buttons and how a typed
answer is read. Then asking a field, keeping or refusing its answer, and moving on to the
next field without a value (or to the summary)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import annotated_types
from telegram import Update

from chat import keyboards
from chat.common import ask, close_buttons
from chat.context import BotContext, pressed, typed
from chat.reasons import REASONS, say_reason
from handlers.company.form import Step, draft, person_of, person_text, show_summary
from services import company_fields as check
from services.company import FIELDS, CompanyData
from services.validation import Invalid, parse_email

Parser = Callable[[str, BotContext], str]
Receiver = Callable[[Update, BotContext], Coroutine[Any, Any, Step]]
Details = Callable[[Update, BotContext], dict[str, Any]]


@dataclass(frozen=True)
class FormField:
    """How the form asks one field of CompanyData and reads the answer."""

    name: str  # the CompanyData attribute it fills
    step: Step  # the step that waits for its answer
    prompt: str  # the question's catalog key
    keyboard: str | None = None  # the question's buttons (chat/keyboards.py), answered in flow.py
    parse: Parser | None = None  # typed text to the value kept, or Invalid with the reason
    receive: Receiver | None = None  # instead of parse: an answer that leads to one more question
    details: Details | None = None  # the values the question and its buttons show


# Asking, keeping, refusing, moving on


async def ask_field(update: Update, context: BotContext, field: FormField) -> Step:
    """Ask for the field, with its buttons, and wait at its step."""
    details = field.details(update, context) if field.details else {}
    await ask(update, context, field.prompt, keyboard=field.keyboard, **details)
    return field.step


async def advance(update: Update, context: BotContext) -> Step:
    """The next field without a value, or the summary when all have one."""
    current = draft(context)
    missing = [name for name in FIELDS if name not in current.values]
    if not missing:
        return await show_summary(update, context)
    return await ask_field(update, context, field_named(missing[0]))


async def accept(update: Update, context: BotContext, field: FormField, value: str | None) -> Step:
    draft(context).values[field.name] = value
    return await advance(update, context)


async def refuse(update: Update, context: BotContext, error: Invalid, field: FormField) -> Step:
    await say_reason(update, context, error)
    return await ask_field(update, context, field)


async def take(update: Update, context: BotContext, field: FormField, text: str) -> Step:
    """Read an answer with the field's parser: keep it and go on, or say why not and ask
    again."""
    assert field.parse is not None
    try:
        value = field.parse(text, context)
    except Invalid as error:
        return await refuse(update, context, error, field)
    return await accept(update, context, field, value)


def receiver(field: FormField) -> Receiver:
    """The callback for text typed at the field's step."""
    if field.receive is not None:
        return field.receive

    async def receive(update: Update, context: BotContext) -> Step:
        """Check the typed value, keep it, go on."""
        return await take(update, context, field, typed(update))

    receive.__name__ = f"receive_{field.name}"
    return receive


# How typed answers are read


def words(field: str, reason: str | None = None) -> Parser:
    """Any visible text, as long as the model lets `field` be; `reason` (the field's name by
    default) names it in refusals, whose texts must exist (checked here, at import)."""
    reason = reason or field
    longest = longest_text(field)
    for refusal in check.text_refusals(reason):
        if refusal not in REASONS:
            raise KeyError(f"{refusal!r} has no text in chat/reasons.py")
    return lambda text, _: check.clean_text(text, reason=reason, longest=longest)


def longest_text(field: str) -> int:
    """The model's max_length for a text field: one place says how long it may be."""
    for rule in CompanyData.model_fields[field].metadata:
        if isinstance(rule, annotated_types.MaxLen):
            return int(rule.max_length)
    raise ValueError(f"CompanyData.{field} has no max_length")


def regime_code(text: str, context: BotContext) -> str:
    person = person_of(draft(context))
    return check.parse_regime(text, person, context.services.catalogs).code


def state_name(text: str, context: BotContext) -> str:
    return check.parse_state(text, context.services.catalogs)


def phone(text: str, _: BotContext) -> str:
    return check.parse_phone(text)


def email(text: str, _: BotContext) -> str:
    return parse_email(text)


# What questions show beyond their text


def regime_choices(update: Update, context: BotContext) -> dict[str, Any]:
    """The régimenes that fit the RFC's kind of person, as buttons, the first as example."""
    current = draft(context)
    choices = [[r.code, r.name] for r in context.services.catalogs.regimes_for(person_of(current))]
    person = person_text(update, context, current)
    return {"person": person, "example": choices[0][0], "choices": choices}


def account_email(update: Update, context: BotContext) -> dict[str, Any]:
    return {"email": draft(context).email}


# Answers that lead to one more question, and the buttons of the fields that have them


async def receive_razon_social(update: Update, context: BotContext) -> Step:
    """Upper case; a trailing régimen capital is offered to be dropped (persona moral)."""
    current = draft(context)
    try:
        name = check.clean_razon_social(typed(update))
    except Invalid as error:
        return await refuse(update, context, error, field_at(Step.RAZON_SOCIAL))
    suggested = check.capital_suggestion(name, person_of(current))
    current.values["razon_social"] = name
    if suggested is None:
        return await advance(update, context)
    current.suggested_name = suggested
    await ask(
        update, context, "company.capital-regime", keyboard="drop-capital", suggested=suggested
    )
    return Step.CAPITAL


async def decide_capital(update: Update, context: BotContext) -> Step:
    """Keep the razón social without its régimen capital, or as typed."""
    query = pressed(update)
    await close_buttons(update)
    current = draft(context)
    if query.data == keyboards.COMPANY_YES and current.suggested_name:
        current.values["razon_social"] = current.suggested_name
    current.suggested_name = None
    return await advance(update, context)


async def choose_regime(update: Update, context: BotContext) -> Step:
    """A régimen tapped: read as if its code were typed."""
    query = pressed(update)
    await close_buttons(update)
    code = (query.data or "").removeprefix(keyboards.REGIME)
    return await take(update, context, field_at(Step.REGIMEN), code)


async def receive_postal_code(update: Update, context: BotContext) -> Step:
    """Check the code against SAT's catalog and propose its estado and municipio."""
    current = draft(context)
    try:
        found = check.parse_postal_code(typed(update), context.services.catalogs)
    except Invalid as error:
        return await refuse(update, context, error, field_at(Step.CODIGO_POSTAL))
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
    """«Sí»: keep the proposed estado and municipio; «No»: they are asked later."""
    query = pressed(update)
    await close_buttons(update)
    current = draft(context)
    proposal, current.proposed_place = current.proposed_place or {}, None
    if query.data == keyboards.COMPANY_YES:
        for name, value in proposal.items():
            if value:
                current.values[name] = value
    return await advance(update, context)


async def omit_interior(update: Update, context: BotContext) -> Step:
    """No número interior."""
    await close_buttons(update)
    return await accept(update, context, field_at(Step.NUMERO_INTERIOR), None)


async def use_account_email(update: Update, context: BotContext) -> Step:
    """The account's address as the contact address."""
    await close_buttons(update)
    return await accept(update, context, field_at(Step.CORREO), draft(context).email)


# The fields, in CompanyData's order (a test holds them to it). A field answered by typing
# alone needs only its row here; one with buttons also has them answered in flow.py.
FORM_FIELDS = (
    FormField(
        "razon_social", Step.RAZON_SOCIAL, "company.ask-razon-social", receive=receive_razon_social
    ),
    FormField(
        "regimen_fiscal",
        Step.REGIMEN,
        "company.ask-regime",
        keyboard="regimes",
        parse=regime_code,
        details=regime_choices,
    ),
    FormField(
        "codigo_postal", Step.CODIGO_POSTAL, "company.ask-postal-code", receive=receive_postal_code
    ),
    FormField("calle", Step.CALLE, "company.ask-calle", parse=words("calle")),
    FormField(
        "numero_exterior",
        Step.NUMERO_EXTERIOR,
        "company.ask-numero-exterior",
        parse=words("numero_exterior", "numero"),
    ),
    FormField(
        "numero_interior",
        Step.NUMERO_INTERIOR,
        "company.ask-numero-interior",
        keyboard="omit",
        parse=words("numero_interior", "numero"),
    ),
    FormField("colonia", Step.COLONIA, "company.ask-colonia", parse=words("colonia")),
    FormField("municipio", Step.MUNICIPIO, "company.ask-municipio", parse=words("municipio")),
    FormField("estado", Step.ESTADO, "company.ask-estado", parse=state_name),
    FormField("telefono", Step.TELEFONO, "company.ask-telefono", parse=phone),
    FormField(
        "correo_contacto",
        Step.CORREO,
        "company.ask-correo",
        keyboard="use-email",
        parse=email,
        details=account_email,
    ),
)


FIELD_NAMED = {field.name: field for field in FORM_FIELDS}
FIELD_AT = {field.step: field for field in FORM_FIELDS}


def field_named(name: str) -> FormField:
    return FIELD_NAMED[name]


def field_at(step: Step) -> FormField:
    return FIELD_AT[step]
