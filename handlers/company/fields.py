"""The company form's fields, one row each in FORM_FIELDS (at the end): the CompanyData
attribute it fills, the step that waits for it, its question, its buttons and how a typed
answer is read. Then asking a field, keeping or refusing its answer, and moving on to the
next field without a value (or to the summary)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import annotated_types
from telegram import Update

from chat.common import ask, close_buttons, say, show_buttons
from chat.context import BotContext, pressed, typed
from chat.reasons import reason_key, say_reason
from handlers.company.form import Step, draft, person_of, person_text, show_summary
from handlers.company.keyboards import COLONIA, COMPANY_YES, MUNICIPIO, OTHER, PAGE, REGIME, page_of
from services import company_fields as check
from services.catalogs import PostalCode
from services.company import CompanyData, unanswered
from services.validation import Invalid, PersonType, parse_email

# Why a value of the form was refused, by the services' reason code (chat.reasons).
REASONS = MappingProxyType(
    {
        "company.razon-social-empty": "company.reason.razon-social-empty",
        "company.razon-social-too-long": "company.reason.razon-social-too-long",
        "company.razon-social-invalid": "company.reason.razon-social-invalid",
        "company.regime-unknown": "company.reason.regime-unknown",
        "company.regime-not-moral": "company.reason.regime-not-moral",
        "company.regime-not-fisica": "company.reason.regime-not-fisica",
        "company.postal-code-format": "company.reason.postal-code-format",
        "company.postal-code-unknown": "company.reason.postal-code-unknown",
        "company.calle-empty": "company.reason.calle-empty",
        "company.calle-too-long": "company.reason.calle-too-long",
        "company.numero-empty": "company.reason.numero-empty",
        "company.numero-too-long": "company.reason.numero-too-long",
        "company.colonia-empty": "company.reason.colonia-empty",
        "company.colonia-too-long": "company.reason.colonia-too-long",
        "company.municipio-empty": "company.reason.municipio-empty",
        "company.municipio-too-long": "company.reason.municipio-too-long",
        "company.estado-empty": "company.reason.estado-empty",
        "company.estado-unknown": "company.reason.estado-unknown",
        "company.phone": "company.reason.phone",
        "company.hidden-characters": "company.reason.hidden-characters",
        "company.razon-social-pipe": "company.reason.razon-social-pipe",
        "company.regime-retired": "company.reason.regime-retired",
        "company.postal-code-placeholder": "company.reason.postal-code-placeholder",
        "company.estado-not-of-postal-code": "company.reason.estado-not-of-postal-code",
        "company.municipio-unknown": "company.reason.municipio-unknown",
        "company.municipio-not-of-postal-code": "company.reason.municipio-not-of-postal-code",
        "company.phone-filler": "company.reason.phone-filler",
    }
)

Parser = Callable[[str, BotContext], str]
Receiver = Callable[[Update, BotContext], Coroutine[Any, Any, Step]]
Details = Callable[[Update, BotContext], dict[str, Any]]


@dataclass(frozen=True)
class FormField:
    """How the form asks one field of CompanyData and reads the answer."""

    name: str  # the CompanyData attribute it fills
    step: Step  # the step that waits for its answer
    prompt: str  # the question's catalog key
    keyboard: str | None = None  # the question's buttons (keyboards.py), answered in flow.py
    parse: Parser | None = None  # typed text to the value kept, or Invalid with the reason
    receive: Receiver | None = None  # instead of parse: an answer that leads to one more question
    details: Details | None = None  # the values the question and its buttons show
    typed_prompt: str | None = None  # the question when its list of buttons is empty
    fisica_prompt: str | None = None  # the question for a persona física, worded for one


# Asking, keeping, refusing, moving on


async def ask_field(update: Update, context: BotContext, field: FormField) -> Step:
    """Ask for the field, with its buttons, and wait at its step."""
    details = field.details(update, context) if field.details else {}
    prompt = field.prompt
    if field.fisica_prompt and person_of(draft(context)) is PersonType.FISICA:
        prompt = field.fisica_prompt
    if field.typed_prompt and details.get("pages") == 0:  # SAT lists none: typed alone
        await ask(update, context, field.typed_prompt, **details)
    else:
        await ask(update, context, prompt, keyboard=field.keyboard, **details)
    return field.step


async def advance(update: Update, context: BotContext) -> Step:
    """The next field without a value, or the summary when all have one."""
    current = draft(context)
    missing = unanswered(current.values)
    if not missing:
        return await show_summary(update, context)
    return await ask_field(update, context, field_named(missing[0]))


async def accept(update: Update, context: BotContext, field: FormField, value: str | None) -> Step:
    draft(context).values[field.name] = value
    return await advance(update, context)


# A persona física is asked its name: the reasons say «nombre», not razón social.
FISICA_REASONS = {
    "company.reason.razon-social-empty": "company.reason.full-name-empty",
    "company.reason.razon-social-too-long": "company.reason.full-name-too-long",
    "company.reason.razon-social-invalid": "company.reason.full-name-invalid",
    "company.reason.razon-social-pipe": "company.reason.full-name-pipe",
}


async def refuse(update: Update, context: BotContext, error: Invalid, field: FormField) -> Step:
    key = reason_key(error)
    if field.fisica_prompt and person_of(draft(context)) is PersonType.FISICA:
        key = FISICA_REASONS.get(key, key)
    await say(update, context, key, **error.values)
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
            raise KeyError(f"{refusal!r} has no text in REASONS")
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


def postal_code_of(context: BotContext) -> PostalCode:
    """The domicilio fiscal's postal code, as SAT lists it (asked before the fields that
    must fit it)."""
    found = context.services.catalogs.postal_code(draft(context).values.get("codigo_postal") or "")
    if found is None:
        raise RuntimeError("the company draft has no postal code from SAT's catalog")
    return found


def state_name(text: str, context: BotContext) -> str:
    name = check.parse_state(text, context.services.catalogs)
    check.check_state_fits(name, postal_code_of(context))
    return name


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


def colonia_choices(update: Update, context: BotContext, page: int = 0) -> dict[str, Any]:
    """The postal code's colonias from SAT's c_Colonia, a page of buttons at a time."""
    code = draft(context).values.get("codigo_postal") or ""
    found = [(c.code, c.name) for c in context.services.catalogs.colonias_of(code)]
    return {"code": code, **page_of(code, found, page)}


def municipio_choices(update: Update, context: BotContext, page: int = 0) -> dict[str, Any]:
    """The municipios of the postal code's estado, a page of buttons at a time."""
    place = postal_code_of(context)
    found = context.services.catalogs.municipalities_of(place.state_code)
    return {"state": place.state, **page_of(place.state_code, found, page)}


def domicile_postal_code(update: Update, context: BotContext) -> dict[str, Any]:
    return {"code": draft(context).values.get("codigo_postal")}


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
    if query.data == COMPANY_YES and current.suggested_name:
        current.values["razon_social"] = current.suggested_name
    current.suggested_name = None
    return await advance(update, context)


async def choose_regime(update: Update, context: BotContext) -> Step:
    """A régimen tapped: read as if its code were typed."""
    query = pressed(update)
    await close_buttons(update)
    code = (query.data or "").removeprefix(REGIME)
    return await take(update, context, field_at(Step.REGIMEN), code)


# The domicilio's fields that lie inside its postal code, besides the place and colonia.
ADDRESS_IN_POSTAL_CODE = ("calle", "numero_exterior", "numero_interior")


async def receive_postal_code(update: Update, context: BotContext) -> Step:
    """Check the code against SAT's catalog and propose its estado and municipio."""
    current = draft(context)
    try:
        found = check.parse_postal_code(typed(update), context.services.catalogs)
    except Invalid as error:
        return await refuse(update, context, error, field_at(Step.CODIGO_POSTAL))
    before = current.values.get("codigo_postal")
    current.values["codigo_postal"] = found.code
    # What belongs to the code is asked again (proposed again when the same code is typed).
    for name in ("municipio", "municipio_clave", "estado", "colonia", "colonia_clave"):
        current.values.pop(name, None)
    if before and before != found.code:
        # Another code is another address: the street and its numbers are asked again, and
        # the lugar de expedición when it was the domicilio's code; the rest is kept.
        for name in ADDRESS_IN_POSTAL_CODE:
            current.values.pop(name, None)
        if current.values.get("lugar_expedicion") == before:
            current.values.pop("lugar_expedicion")
    current.proposed_place = {
        "estado": found.state,
        "municipio": found.municipality,
        "municipio_clave": found.municipality_code,
    }
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
    if query.data == COMPANY_YES:
        for name, value in proposal.items():
            if value:
                current.values[name] = value
    return await advance(update, context)


async def receive_colonia(update: Update, context: BotContext) -> Step:
    """A colonia typed: SAT's name and code when it is one of the postal code's (any case
    or accents), else as typed, with no code."""
    current = draft(context)
    field = field_at(Step.COLONIA)
    postal_code = current.values.get("codigo_postal") or ""
    try:
        name, code = check.match_colonia(typed(update), postal_code, context.services.catalogs)
    except Invalid as error:
        return await refuse(update, context, error, field)
    current.values["colonia_clave"] = code
    return await accept(update, context, field, name)


def pressed_choice(update: Update, prefix: str) -> tuple[str, str]:
    """The scope and the choice of a paged list's button ("06600", "0930")."""
    scope, _, choice = (pressed(update).data or "").removeprefix(prefix).partition(":")
    return scope, choice


def page_number(choice: str) -> int | None:
    digits = choice.removeprefix(PAGE)
    # isascii: "²".isdigit() holds, and int("²") fails (a forged button must not crash).
    wanted = choice.startswith(PAGE) and digits.isascii() and digits.isdigit()
    return int(digits) if wanted else None


async def choose_colonia(update: Update, context: BotContext) -> Step:
    """A colonia tapped (kept with its SAT code), another page, or «Otra» to type one."""
    current = draft(context)
    field = field_at(Step.COLONIA)
    scope, choice = pressed_choice(update, COLONIA)
    postal_code = current.values.get("codigo_postal")
    page = page_number(choice)
    if scope == postal_code and page is not None:
        details = colonia_choices(update, context, page)
        await show_buttons(update, context, field.prompt, keyboard="colonias", **details)
        return field.step
    await close_buttons(update)
    if scope == postal_code and choice == OTHER:
        await ask(update, context, "company.sat.colonia-other")
        return field.step
    found = context.services.catalogs.colonia(scope, choice) if scope == postal_code else None
    if found is None:  # a button of an earlier postal code's list
        return await ask_field(update, context, field)
    current.values["colonia_clave"] = found.code
    return await accept(update, context, field, found.name)


async def receive_municipio(update: Update, context: BotContext) -> Step:
    """A municipio typed: SAT's name, kept with SAT's code, when it fits the postal code."""
    return await take_municipio(update, context, typed(update))


async def take_municipio(update: Update, context: BotContext, text: str) -> Step:
    field = field_at(Step.MUNICIPIO)
    try:
        name, code = check.parse_municipality(
            text, postal_code_of(context), context.services.catalogs
        )
    except Invalid as error:
        return await refuse(update, context, error, field)
    draft(context).values["municipio_clave"] = code
    return await accept(update, context, field, name)


async def choose_municipio(update: Update, context: BotContext) -> Step:
    """A municipio tapped (read as if typed: it must fit the postal code), or another page."""
    field = field_at(Step.MUNICIPIO)
    scope, choice = pressed_choice(update, MUNICIPIO)
    state = postal_code_of(context).state_code
    page = page_number(choice)
    if scope == state and page is not None:
        details = municipio_choices(update, context, page)
        await show_buttons(update, context, field.prompt, keyboard="municipios", **details)
        return field.step
    await close_buttons(update)
    name = context.services.catalogs.municipality(scope, choice) if scope == state else None
    if name is None:  # a button of an earlier estado's list
        return await ask_field(update, context, field)
    return await take_municipio(update, context, name)


async def same_place_of_issue(update: Update, context: BotContext) -> Step:
    """Invoices issued from the domicilio fiscal's postal code."""
    await close_buttons(update)
    field = field_at(Step.LUGAR)
    return await accept(update, context, field, draft(context).values.get("codigo_postal"))


async def other_place_of_issue(update: Update, context: BotContext) -> Step:
    """Invoices issued from a branch: its postal code is asked."""
    await close_buttons(update)
    await ask(update, context, "company.sat.ask-lugar-postal-code")
    return Step.LUGAR_CP


async def receive_place_of_issue(update: Update, context: BotContext) -> Step:
    """A postal code typed at the lugar de expedición's question: the branch's."""
    return await take_place_of_issue(update, context, again=field_at(Step.LUGAR).prompt)


async def receive_branch_postal_code(update: Update, context: BotContext) -> Step:
    """The branch's postal code, checked against SAT's c_CodigoPostal."""
    return await take_place_of_issue(update, context, again="company.sat.ask-lugar-postal-code")


async def take_place_of_issue(update: Update, context: BotContext, *, again: str) -> Step:
    field = field_at(Step.LUGAR)
    try:
        found = check.parse_postal_code(typed(update), context.services.catalogs)
    except Invalid as error:
        await say_reason(update, context, error)
        if again == field.prompt:
            return await ask_field(update, context, field)
        await ask(update, context, again)
        return Step.LUGAR_CP
    return await accept(update, context, field, found.code)


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
        "razon_social",
        Step.RAZON_SOCIAL,
        "company.ask-razon-social",
        receive=receive_razon_social,
        # A 13-character RFC is a person's: the Constancia prints a name, not a razón social.
        fisica_prompt="company.ask-full-name",
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
    FormField(
        "colonia",
        Step.COLONIA,
        "company.ask-colonia",
        keyboard="colonias",
        receive=receive_colonia,
        details=colonia_choices,
        typed_prompt="company.sat.colonia-typed",
    ),
    FormField("estado", Step.ESTADO, "company.ask-estado", parse=state_name),
    FormField(
        "municipio",
        Step.MUNICIPIO,
        "company.ask-municipio",
        keyboard="municipios",
        receive=receive_municipio,
        details=municipio_choices,
    ),
    FormField("telefono", Step.TELEFONO, "company.ask-telefono", parse=phone),
    FormField(
        "correo_contacto",
        Step.CORREO,
        "company.ask-correo",
        keyboard="use-email",
        parse=email,
        details=account_email,
    ),
    FormField(
        "lugar_expedicion",
        Step.LUGAR,
        "company.sat.ask-lugar",
        keyboard="place-of-issue",
        receive=receive_place_of_issue,
        details=domicile_postal_code,
    ),
)


FIELD_NAMED = {field.name: field for field in FORM_FIELDS}
FIELD_AT = {field.step: field for field in FORM_FIELDS}


def field_named(name: str) -> FormField:
    return FIELD_NAMED[name]


def field_at(step: Step) -> FormField:
    return FIELD_AT[step]
