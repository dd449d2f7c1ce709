"""Configura tus datos de la empresa (/empresa): the issuer's fiscal data for CFDI 4.0,
one field at a time, then a summary to save or change any field. Diagram: company.mmd."""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler

from bot import keyboards
from bot.context import BotContext
from bot.state import CompanyDraft
from handlers.common import (
    PASSWORD_TEXT,
    TYPED_TEXT,
    ask,
    begin_flow,
    close_buttons,
    command,
    end_flow,
    flow_fallbacks,
    say,
)
from handlers.signin import ask_login_email, take_login_email, take_login_password
from services import company_fields as check
from services.catalogs import SatCatalogs
from services.company import FIELDS, CompanyData
from services.signin import AccountInfo, SignInStatus
from services.validation import Invalid, PersonType, parse_email

FLOW = "company"


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


def draft(context: BotContext) -> CompanyDraft:
    current = context.chat.company
    if current is None:
        raise RuntimeError("no company draft in this chat")
    return current


def person_of(current: CompanyDraft) -> PersonType:
    return PersonType.MORAL if len(current.rfc) == 12 else PersonType.FISICA


def person_text(update: Update, context: BotContext, current: CompanyDraft) -> str:
    return context.text(update, f"signup.person-{person_of(current).value}")


# Entering: sign in first if needed, then the stored data, a draft, or the intro


@begin_flow(FLOW)
async def start_company(update: Update, context: BotContext) -> Step | int:
    """Show the stored data, go on with a draft, or offer to start (or skip)."""
    account = await context.services.signin.current_account(update.effective_chat.id)
    if account is None:
        await say(update, context, "signin.first-sign-in")
        await ask_login_email(update, context)
        return Step.LOGIN_EMAIL
    return await open_company(update, context, account)


async def receive_login_email(update: Update, context: BotContext) -> Step:
    ok = await take_login_email(update, context)
    return Step.LOGIN_PASSWORD if ok else Step.LOGIN_EMAIL


async def receive_login_password(update: Update, context: BotContext) -> Step | int:
    result = await take_login_password(update, context)
    if result.status is SignInStatus.SIGNED_IN:
        return await open_company(update, context, result.account)
    if result.status is SignInStatus.WRONG:
        return Step.LOGIN_EMAIL
    return end_flow(context)


async def open_company(update: Update, context: BotContext, account: AccountInfo) -> Step:
    current = context.chat.company
    if current is not None and current.account_id == account.id and current.values:
        return await advance(update, context)  # what was typed before is not lost
    context.chat.company = CompanyDraft(account_id=account.id, rfc=account.rfc, email=account.email)
    stored = await context.services.companies.get(account.id)
    if stored is not None:
        context.chat.company.values = stored.model_dump()
        context.chat.company.place_confirmed = True
        await say(update, context, "company.stored")
        return await show_summary(update, context)
    await ask(update, context, "company.intro", keyboard="company-intro")
    return Step.INTRO


async def begin_form(update: Update, context: BotContext) -> Step:
    await close_buttons(update)
    current = draft(context)
    await say(
        update,
        context,
        "company.rfc-shown",
        rfc=current.rfc,
        person=person_text(update, context, current),
    )
    return await advance(update, context)


async def skip(update: Update, context: BotContext) -> int:
    """The guide's note: those who only stamp XML made elsewhere need none of this."""
    await close_buttons(update)
    context.chat.company = None
    await say(update, context, "company.skipped")
    return end_flow(context)


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
    current.place_confirmed = False
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
        current.place_confirmed = True
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


# The summary


async def show_summary(update: Update, context: BotContext) -> Step:
    current = draft(context)
    current.returning_to_summary = False
    values = {
        name: current.values.get(name) or context.text(update, "company.none") for name in FIELDS
    }
    regime = context.services.catalogs.regimes.get(current.values.get("regimen_fiscal") or "")
    values["regimen"] = f"{regime.code} · {regime.name}" if regime else values["regimen_fiscal"]
    await ask(
        update, context, "company.summary", keyboard="company-summary", rfc=current.rfc, **values
    )
    return Step.SUMMARY


async def edit_field(update: Update, context: BotContext) -> Step:
    query = update.callback_query
    await close_buttons(update)
    name = query.data.removeprefix(keyboards.COMPANY_EDIT)
    current = draft(context)
    current.returning_to_summary = True
    return await ask_field(update, context, name)


async def save(update: Update, context: BotContext) -> int:
    """Store the data, if this chat is still signed in to the draft's account."""
    query = update.callback_query
    await query.answer()
    current = draft(context)
    account = await context.services.signin.current_account(update.effective_chat.id)
    if account is None or account.id != current.account_id:
        await say(update, context, "signin.session-ended")
        return end_flow(context)
    data = CompanyData(**{name: current.values.get(name) for name in FIELDS})
    await context.services.companies.save(account.id, data)
    await query.edit_message_reply_markup(None)
    context.chat.company = None
    await say(update, context, "company.saved")
    return end_flow(context)


async def cancel_form(update: Update, context: BotContext) -> int:
    await close_buttons(update)
    context.chat.company = None
    await say(update, context, "company.cancelled")
    return end_flow(context)


def button(callback, data: str) -> CallbackQueryHandler:  # type: ignore[no-untyped-def]
    return CallbackQueryHandler(callback, pattern=f"^{data}$")


def typed(name: str) -> MessageHandler:
    return MessageHandler(TYPED_TEXT, text_step(name))


def build_company_conversation() -> ConversationHandler:
    yes_or_no = f"({keyboards.COMPANY_YES}|{keyboards.COMPANY_NO})"
    return ConversationHandler(
        name=FLOW,
        persistent=True,
        entry_points=[
            command("company", start_company),
            button(start_company, keyboards.MENU_COMPANY),
        ],
        states={
            Step.LOGIN_EMAIL: [MessageHandler(TYPED_TEXT, receive_login_email)],
            Step.LOGIN_PASSWORD: [MessageHandler(PASSWORD_TEXT, receive_login_password)],
            Step.INTRO: [
                button(begin_form, keyboards.COMPANY_START),
                button(skip, keyboards.COMPANY_SKIP),
            ],
            Step.RAZON_SOCIAL: [MessageHandler(TYPED_TEXT, receive_razon_social)],
            Step.CAPITAL: [
                button(decide_capital, yes_or_no),
                MessageHandler(TYPED_TEXT, receive_razon_social),
            ],
            Step.REGIMEN: [
                CallbackQueryHandler(choose_regime, pattern=f"^{keyboards.REGIME}"),
                MessageHandler(TYPED_TEXT, receive_regime),
            ],
            Step.CODIGO_POSTAL: [MessageHandler(TYPED_TEXT, receive_postal_code)],
            Step.PLACE: [
                button(decide_place, yes_or_no),
                MessageHandler(TYPED_TEXT, receive_postal_code),
            ],
            Step.CALLE: [typed("calle")],
            Step.NUMERO_EXTERIOR: [typed("numero_exterior")],
            Step.NUMERO_INTERIOR: [
                button(omit_interior, keyboards.COMPANY_OMIT),
                typed("numero_interior"),
            ],
            Step.COLONIA: [typed("colonia")],
            Step.MUNICIPIO: [typed("municipio")],
            Step.ESTADO: [typed("estado")],
            Step.TELEFONO: [typed("telefono")],
            Step.CORREO: [
                button(use_account_email, keyboards.COMPANY_USE_EMAIL),
                typed("correo_contacto"),
            ],
            Step.SUMMARY: [
                button(save, keyboards.COMPANY_SAVE),
                CallbackQueryHandler(edit_field, pattern=f"^{keyboards.COMPANY_EDIT}"),
                button(cancel_form, keyboards.COMPANY_CANCEL),
            ],
        },
        fallbacks=flow_fallbacks(),
    )
