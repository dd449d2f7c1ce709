"""Configura tus datos de la empresa (/empresa): the issuer's fiscal data for CFDI 4.0,
one field at a time, then a summary to save or change any field. Diagram: company.mmd.
The steps and the summary are in form.py; each field's question and reading in fields.py."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler

from chat.common import (
    TYPED_TEXT,
    ask,
    begin_flow,
    button,
    buttons_off,
    close_buttons,
    command,
    end_flow,
    lead,
    say,
)
from chat.context import BotContext, Handler, chat_id, pressed
from chat.flow import Flow
from chat.registry import FlowSpec
from handlers.basics import (
    flow_fallbacks,
)
from handlers.company import keyboards as company_keyboards
from handlers.company.constancia import (
    IDLE_PDF,
    ask_for_csf,
    csf_steps,
    offer_csf,
    receive_csf,
    receive_text,
    remember_csf_question,
)
from handlers.company.fields import (
    FORM_FIELDS,
    REASONS,
    advance,
    ask_field,
    choose_colonia,
    choose_municipio,
    choose_regime,
    decide_capital,
    decide_place,
    field_at,
    field_named,
    omit_interior,
    other_place_of_issue,
    receive_branch_postal_code,
    receiver,
    same_place_of_issue,
    use_account_email,
)
from handlers.company.form import (
    CompanyDraft,
    CsfWanted,
    Step,
    draft,
    person_text,
    shown_values,
)
from handlers.company.keyboards import (
    COLONIA,
    COMPANY_CANCEL,
    COMPANY_CSF,
    COMPANY_EDIT,
    COMPANY_LUGAR_OTHER,
    COMPANY_LUGAR_SAME,
    COMPANY_NO,
    COMPANY_OMIT,
    COMPANY_SAVE,
    COMPANY_SKIP,
    COMPANY_START,
    COMPANY_USE_EMAIL,
    COMPANY_YES,
    MENU_COMPANY,
    MUNICIPIO,
    NEXT_COMPANY,
    NEXT_CSF,
    REGIME,
)
from handlers.privacy import may_store
from handlers.signin import SignInFirst
from services.company import FIELDS, STORED, CompanyData, missing_values
from services.csd_files import holder_matches
from services.signin import AccountInfo

FLOW = "company"
# Entering: sign in first if needed, then the stored data, a draft, or the intro


@begin_flow(FLOW)
async def start_company(update: Update, context: BotContext) -> Step | int:
    """Show the stored data, go on with a draft, or offer to start (or skip)."""
    account = await SIGN_IN_FIRST.account_or_ask(update, context)
    if isinstance(account, int):
        return account
    return await open_company(update, context, account)


@begin_flow(FLOW)
async def start_company_now(update: Update, context: BotContext) -> Step | int:
    """«Capturarlos ahora» after confirming: the person has just chosen, so the form starts
    at once, without the intro's second «Capturar datos / Omitir»."""
    await buttons_off(update)
    account = await SIGN_IN_FIRST.account_or_ask(update, context)
    if isinstance(account, int):
        return account
    return await open_company(update, context, account, intro=False)


@begin_flow(FLOW)
async def start_csf(update: Update, context: BotContext) -> Step | int:
    """/constancia, or «Enviar mi Constancia» after confirming: the PDF is asked for (once
    signed in: what was typed so far stays, and the Constancia's values replace it)."""
    if update.callback_query:
        await close_buttons(update)
    context.chat.keep(CsfWanted())
    account = await SIGN_IN_FIRST.account_or_ask(update, context)
    if isinstance(account, int):
        return account
    return await open_company(update, context, account)


async def start_with_pdf(update: Update, context: BotContext) -> Step | int:
    """A PDF sent outside any flow: read as the Constancia (signed in), the form going on
    from it; refused, its reason and the question for it."""
    account = await context.services.signin.current_account(chat_id(update))
    if account is None:  # signed in, the Constancia is asked for (open_company)
        context.chat.keep(CsfWanted())
        await lead(update, context, "company.csf.not-kept")  # with the sign-in's lead-in
        return await SIGN_IN_FIRST.ask(update, context)
    await draft_for(context, account)
    remember_csf_question(context)
    step = await receive_csf(update, context)
    return Step.CSF if step is None else step


async def draft_for(context: BotContext, account: AccountInfo) -> CompanyDraft:
    """The account's draft: the one in this chat, else one from what is stored."""
    current = context.chat.draft(CompanyDraft)
    if current is not None and current.account_id == account.id:
        return current
    return await stored_draft(context, account)


async def stored_draft(context: BotContext, account: AccountInfo) -> CompanyDraft:
    """A new draft of the account, starting from what is stored (empty if nothing is)."""
    stored = await context.services.companies.get(account.id)
    current = CompanyDraft(
        account_id=account.id,
        rfc=account.rfc,
        email=account.email,
        values=stored.model_dump(mode="json") if stored else {},
    )
    context.chat.keep(current)
    return current


async def open_company(
    update: Update, context: BotContext, account: AccountInfo, *, intro: bool = True
) -> Step | int:
    """The draft of this account, else the stored data, else the intro (or, when the
    person already chose to start, the form itself); the Constancia's question when the
    person asked to send it (/constancia, before signing in or after)."""
    if context.chat.draft(CsfWanted) is not None:
        context.chat.drop(CsfWanted)
        await draft_for(context, account)
        return await ask_for_csf(update, context)
    current = context.chat.draft(CompanyDraft)
    if current is not None and current.account_id == account.id and current.values:
        return await advance(update, context)  # what was typed before is not lost
    stored = await context.services.companies.get(account.id)
    if stored is not None:
        values = stored.model_dump(mode="json")
        missing = missing_values(values)
        if not missing:
            return await show_stored(update, context, account, stored)
        for name in missing:  # saved before the field was asked: ask it now
            values.pop(name)
        context.chat.keep(
            CompanyDraft(account_id=account.id, rfc=account.rfc, email=account.email, values=values)
        )
        await say(update, context, "company.sat.stored-incomplete")
        return await advance(update, context)
    context.chat.keep(CompanyDraft(account_id=account.id, rfc=account.rfc, email=account.email))
    if not intro:
        return await first_field(update, context)
    await ask(update, context, "company.intro", keyboard="company-intro")
    return Step.INTRO


async def show_stored(
    update: Update, context: BotContext, account: AccountInfo, stored: CompanyData
) -> int:
    """Only looking: the stored data, with a button per field to change it. The flow
    ends here, so that any command works next; a field's button opens the form again."""
    context.chat.drop(CompanyDraft)
    values = shown_values(update, context, stored.model_dump())
    await say(
        update, context, "company.stored", keyboard="company-stored", rfc=account.rfc, **values
    )
    return end_flow(context)


@begin_flow(FLOW)
async def edit_stored(update: Update, context: BotContext) -> Step | int:
    """A field's button under the stored data: change it, starting from what is stored."""
    await buttons_off(update)
    account = await SIGN_IN_FIRST.account_or_ask(update, context)
    if isinstance(account, int):
        return account
    await stored_draft(context, account)
    name = (pressed(update).data or "").removeprefix(COMPANY_EDIT)
    if name not in FIELDS:
        return await advance(update, context)
    return await ask_field(update, context, field_named(name))


async def begin_form(update: Update, context: BotContext) -> Step:
    """«Capturar datos»: the form."""
    await close_buttons(update)
    return await first_field(update, context)


async def first_field(update: Update, context: BotContext) -> Step:
    """Show the RFC taken from the account, then ask the first field (one message)."""
    current = draft(context)
    await lead(
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
    context.chat.drop(CompanyDraft)
    await say(update, context, "company.skipped")
    return end_flow(context)


# The summary


async def edit_field(update: Update, context: BotContext) -> Step:
    """Ask the field tapped again; its answer leads back to the summary."""
    query = pressed(update)
    await close_buttons(update)
    name = (query.data or "").removeprefix(COMPANY_EDIT)
    return await ask_field(update, context, field_named(name))


async def save(update: Update, context: BotContext) -> int | None:
    """Store the data, if this chat is still signed in to the draft's account (and, for a
    first save, it has accepted the aviso de privacidad in force: until then the summary
    waits, kept; correcting data already saved is a right that does not wait)."""
    query = pressed(update)
    await query.answer()
    correcting = await context.services.companies.get(draft(context).account_id) is not None
    if not correcting and not await may_store(update, context):
        return None
    if not await save_for_chat(update, context, draft(context)):
        await say(update, context, "signin.session-ended")
        return end_flow(context)
    await buttons_off(update)
    saved = draft(context)
    context.chat.drop(CompanyDraft)
    csd = await context.services.csd.current(account_id=saved.account_id)
    if csd is None:
        await say(update, context, "company.saved", keyboard="after-company")
        return end_flow(context)
    await say(update, context, "company.saved-with-csd")
    razon_social = str(saved.values.get("razon_social") or "")
    if not holder_matches(csd.holder, razon_social):
        # The CSD names the issuer of every invoice: a razón social that differs is refused.
        await say(
            update,
            context,
            "company.name-differs-from-csd",
            keyboard="after-csd",
            razon_social=razon_social,
            holder=csd.holder,
            serial=csd.serial,
        )
    else:
        await say(update, context, "csd.what-next", keyboard="after-csd")
    return end_flow(context)


async def save_for_chat(update: Update, context: BotContext, current: CompanyDraft) -> bool:
    """Save the draft if this chat is still signed in to its account (checked and saved in
    one transaction by the service); whether it was saved."""
    data = CompanyData(**{name: current.values.get(name) for name in STORED})
    return await context.services.companies.save_for_chat(
        chat_id=chat_id(update), account_id=current.account_id, data=data
    )


async def cancel_form(update: Update, context: BotContext) -> int:
    """Leave without saving; what was stored stays as it was."""
    await close_buttons(update)
    context.chat.drop(CompanyDraft)
    await say(update, context, "company.cancelled")
    return end_flow(context)


def draft_gone(context: BotContext) -> bool:
    """Whether the form's draft was dropped under it (its account was deleted from another
    chat: handlers.account.deletion.forget_account); the sign-in first may run without one."""
    prompt = context.chat.prompt or {}
    return context.chat.draft(CompanyDraft) is None and not str(prompt.get("key", "")).startswith(
        "signin."
    )


def ends_if_draft_gone(handlers: list[Handler]) -> list[Handler]:
    """The handlers, each first ending the form kindly if its draft is gone."""
    for handler in handlers:
        callback = handler.callback

        async def guarded(update: Update, context: BotContext, callback: Any = callback) -> Any:
            if not draft_gone(context):
                return await callback(update, context)
            if update.callback_query:
                await close_buttons(update)
            await say(update, context, "company.session-ended-data-gone")
            return end_flow(context)

        handler.callback = guarded
    return handlers


def typed(step: Step) -> MessageHandler[BotContext, Any]:
    """Text typed at a step, read as the answer to the field asked there."""
    return MessageHandler(TYPED_TEXT, receiver(field_at(step)))


# Not signed in: the sign-in first; what was typed of the form stays for the next /empresa.
SIGN_IN_FIRST = SignInFirst("signin.first-sign-in", open_company)


def build_company_conversation() -> Flow:
    return Flow(
        FLOW,
        entry_points=[
            command("company", start_company),
            button(start_company, MENU_COMPANY),
            button(start_company_now, NEXT_COMPANY),
            command("constancia", start_csf),
            button(start_csf, NEXT_CSF),
            MessageHandler(IDLE_PDF, start_with_pdf),
            CallbackQueryHandler(edit_stored, pattern=f"^{COMPANY_EDIT}"),
        ],
        states={
            **SIGN_IN_FIRST.states(),
            **{
                step: ends_if_draft_gone(csf_steps(handlers))
                for step, handlers in form_states().items()
            },
        },
        fallbacks=ends_if_draft_gone(flow_fallbacks()),
    )


def form_states() -> dict[Step, list[Handler]]:
    """The form's steps, each with its draft."""
    yes_or_no = f"({COMPANY_YES}|{COMPANY_NO})"
    return {
        Step.INTRO: [
            button(begin_form, COMPANY_START),
            button(offer_csf, COMPANY_CSF),
            button(skip, COMPANY_SKIP),
        ],
        Step.CSF: [button(begin_form, COMPANY_START), MessageHandler(TYPED_TEXT, receive_text)],
        # A field asked without buttons takes typed text alone: its row is all it needs.
        **{field.step: [typed(field.step)] for field in FORM_FIELDS if not field.keyboard},
        Step.CAPITAL: [button(decide_capital, yes_or_no), typed(Step.RAZON_SOCIAL)],
        Step.REGIMEN: [
            CallbackQueryHandler(choose_regime, pattern=f"^{REGIME}"),
            typed(Step.REGIMEN),
        ],
        Step.PLACE: [button(decide_place, yes_or_no), typed(Step.CODIGO_POSTAL)],
        Step.NUMERO_INTERIOR: [
            button(omit_interior, COMPANY_OMIT),
            typed(Step.NUMERO_INTERIOR),
        ],
        Step.COLONIA: [
            CallbackQueryHandler(choose_colonia, pattern=f"^{COLONIA}"),
            typed(Step.COLONIA),
        ],
        Step.MUNICIPIO: [
            CallbackQueryHandler(choose_municipio, pattern=f"^{MUNICIPIO}"),
            typed(Step.MUNICIPIO),
        ],
        Step.LUGAR: [
            button(same_place_of_issue, COMPANY_LUGAR_SAME),
            button(other_place_of_issue, COMPANY_LUGAR_OTHER),
            typed(Step.LUGAR),
        ],
        Step.LUGAR_CP: [MessageHandler(TYPED_TEXT, receive_branch_postal_code)],
        Step.CORREO: [
            button(use_account_email, COMPANY_USE_EMAIL),
            typed(Step.CORREO),
        ],
        Step.SUMMARY: [
            button(save, COMPANY_SAVE),
            CallbackQueryHandler(edit_field, pattern=f"^{COMPANY_EDIT}"),
            button(cancel_form, COMPANY_CANCEL),
        ],
    }


COMPANY = FlowSpec(
    FLOW,
    ("empresa", "company"),
    menu=50,
    starts_flow=True,
    build=lambda: [build_company_conversation()],
    order=30,
    keyboards=company_keyboards.KEYBOARDS,
    reasons=REASONS,
    affirmative=company_keyboards.AFFIRMATIVE,
    negative=company_keyboards.NEGATIVE,
)

# /constancia: the company form, from the Constancia de Situación Fiscal's PDF (its handler
# is among the form's entry points above).
CONSTANCIA = FlowSpec("constancia", ("constancia", "taxstatus"), menu=55, starts_flow=True)
