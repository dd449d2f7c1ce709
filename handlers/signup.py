"""Crear cuenta: correo, RFC, contraseña, contraseña otra vez, summary, create.
The diagram is in signup.mmd."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType
from typing import ClassVar

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    MessageHandler,
)

from chat.common import (
    TYPED_TEXT,
    ask,
    begin_flow,
    buttons_off,
    close_buttons,
    command,
    end_flow,
    format_wait,
    lead,
    say,
)
from chat.context import BotContext, Handler, pressed, typed, user_id
from chat.flow import END, Flow
from chat.keyboards import Text, Values, rows
from chat.reasons import say_reason
from chat.registry import FlowSpec
from chat.state import Draft
from handlers.basics import (
    cancel,
    flow_fallbacks,
    say_privacy_short,
)
from handlers.email_typo import EMAIL_AS_TYPED, EMAIL_SUGGESTED
from handlers.human_check import send_challenge, take_tap, tap_handler
from handlers.passwords import same_password, secret_step, take_new_password
from services.accounts import RegisterOutcome
from services.human_check import TapResult
from services.models import SignupRequest
from services.validation import (
    Invalid,
    check_rfc,
    parse_email,
    person_type_of,
    suggest_email,
)

# Why a value was refused, by the services' reason code (chat.reasons): an email, RFC or
# password is refused the same way wherever it is typed (sign-up, sign-in, /reenviar,
# /recuperar, the company's contact email), in the words first written for the sign-up.
REASONS = MappingProxyType(
    {
        "email.empty": "signup.email.empty",
        "email.spaces": "signup.email.spaces",
        "email.no-at": "signup.email.no-at",
        "email.no-local": "signup.email.no-local",
        "email.bad-domain": "signup.email.bad-domain",
        "email.too-long": "signup.email.too-long",
        "email.invalid": "signup.email.invalid",
        "email.hidden-characters": "signup.email.hidden-characters",
        "rfc.empty": "signup.rfc.empty",
        "rfc.generic": "signup.rfc.generic",
        "rfc.length": "signup.rfc.length",
        "rfc.component": "signup.rfc.component",
        "rfc.format": "signup.rfc.format",
        "rfc.hidden-characters": "signup.rfc.hidden-characters",
        "password.too-short": "signup.password.too-short",
        "password.too-long": "signup.password.too-long",
        "password.is-identity": "signup.password.is-identity",
        "password.common": "signup.password.common",
    }
)

MENU_SIGNUP = "menu:signup"
SIGNUP_CREATE = "signup:create"
SIGNUP_FIX_EMAIL = "signup:fix-email"
SIGNUP_FIX_RFC = "signup:fix-rfc"
SIGNUP_FIX_PASSWORD = "signup:fix-password"
SIGNUP_CANCEL = "signup:cancel"
RFC_YES = "rfc:yes"
RFC_RETYPE = "rfc:retype"


def rfc_check(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(t, [[("signup.rfc-check-yes", RFC_YES), ("signup.rfc-check-retype", RFC_RETYPE)]])


def signup_summary(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(
        t,
        [
            [("signup.button-create", SIGNUP_CREATE)],
            [
                ("signup.button-fix-email", SIGNUP_FIX_EMAIL),
                ("signup.button-fix-rfc", SIGNUP_FIX_RFC),
            ],
            [("signup.button-fix-password", SIGNUP_FIX_PASSWORD)],
            [("signup.button-cancel", SIGNUP_CANCEL)],
        ],
    )


@dataclass
class SignupDraft(Draft):
    KEY: ClassVar[str] = "signup"
    email: str | None = None
    rfc: str | None = None
    unverified_rfc: str | None = None  # an RFC whose check digit failed, awaiting "yes"
    first_password: str | None = None  # the first entry's digest, until typed again
    password_hash: str | None = None  # once typed twice
    returning_to_summary: bool = False
    typed_email: str | None = None  # an address with a likely typo, awaiting a choice
    suggested_email: str | None = None  # its correction, offered with a button


FLOW = "signup"


class Step(IntEnum):
    EMAIL = 1
    RFC = 2
    RFC_CHECK = 3
    PASSWORD = 4
    PASSWORD_AGAIN = 5
    SUMMARY = 6
    CHECK = 7
    EMAIL_TYPO = 8


def draft(context: BotContext) -> SignupDraft:
    current = context.chat.draft(SignupDraft)
    if current is None:
        current = SignupDraft()
        context.chat.keep(current)
    return current


@begin_flow(FLOW)
async def start_signup(update: Update, context: BotContext) -> Step | int:
    """Begin a sign-up with an empty draft (after the human check, if it is on)."""
    wait = await context.services.accounts.signup_wait(user_id(update))
    if wait is not None:
        await say(update, context, "signup.wait", wait=format_wait(update, context, wait))
        return end_flow(context)
    context.chat.keep(SignupDraft())
    if context.services.human_check_on_signup:
        step: Step | int = Step.CHECK
        if not await send_challenge(update, context):
            context.chat.drop(SignupDraft)
            step = end_flow(context)
    else:
        step = await introduce(update, context)
    # Only counting: noted now, written with others a moment later (services.funnel).
    await context.services.funnel.signup_started()
    return step


async def introduce(update: Update, context: BotContext) -> Step:
    """What the sign-up asks, and the short aviso de privacidad, before the first datum."""
    await lead(update, context, "signup.intro")
    await say_privacy_short(update, context)
    return await ask_email(update, context)


async def tap(update: Update, context: BotContext) -> Step | int:
    result = await take_tap(update, context)
    if result is TapResult.PASSED:
        return await introduce(update, context)
    if result is TapResult.LOCKED:
        context.chat.drop(SignupDraft)
        return end_flow(context)
    return Step.CHECK


async def ask_email(update: Update, context: BotContext) -> Step:
    await ask(update, context, "signup.ask-email")
    return Step.EMAIL


async def receive_email(update: Update, context: BotContext) -> Step:
    """Check the email; a bad one gets the reason and the question again, one with a
    likely typo in a common provider's domain a suggestion."""
    try:
        email = parse_email(typed(update))
    except Invalid as error:
        await say_reason(update, context, error)
        return await ask_email(update, context)
    suggested = suggest_email(email)
    if suggested is not None:
        current = draft(context)
        current.typed_email, current.suggested_email = email, suggested
        await ask(
            update,
            context,
            "signup.typo.ask",
            keyboard="email-typo",
            typed=email,
            suggested=suggested,
        )
        return Step.EMAIL_TYPO
    draft(context).email = email
    return await next_after(update, context, ask_rfc)


async def choose_email(update: Update, context: BotContext) -> Step:
    """«Sí, usar …» takes the suggested address, «No, dejar …» the one typed."""
    query = pressed(update)
    await close_buttons(update)
    current = draft(context)
    chosen = current.suggested_email
    if query.data == EMAIL_AS_TYPED:
        chosen = current.typed_email
    current.email = chosen or current.email
    current.typed_email = current.suggested_email = None
    return await next_after(update, context, ask_rfc)


async def ask_rfc(update: Update, context: BotContext) -> Step:
    await ask(update, context, "signup.ask-rfc")
    return Step.RFC


async def receive_rfc(update: Update, context: BotContext) -> Step:
    """Check the RFC; when only its check digit fails, let the person vouch for it."""
    try:
        checked = check_rfc(typed(update))
    except Invalid as error:
        await say_reason(update, context, error)
        return await ask_rfc(update, context)
    if not checked.check_digit_ok:
        draft(context).unverified_rfc = checked.rfc
        await ask(update, context, "signup.rfc-check-digit", keyboard="rfc-check", rfc=checked.rfc)
        return Step.RFC_CHECK
    draft(context).rfc = checked.rfc
    return await next_after(update, context, ask_password)


async def accept_unverified_rfc(update: Update, context: BotContext) -> Step:
    """The person confirms that the RFC with an unusual check digit is right as typed."""
    await close_buttons(update)
    current = draft(context)
    current.rfc, current.unverified_rfc = current.unverified_rfc, None
    return await next_after(update, context, ask_password)


async def retype_rfc(update: Update, context: BotContext) -> Step:
    await close_buttons(update)
    draft(context).unverified_rfc = None
    return await ask_rfc(update, context)


async def ask_password(update: Update, context: BotContext) -> Step:
    await ask(update, context, "signup.ask-password")
    return Step.PASSWORD


async def receive_password(update: Update, context: BotContext) -> Step:
    """Check the policy and keep only the password's digest (its message is deleted)."""
    current = draft(context)
    current.first_password = await take_new_password(
        update,
        context,
        email=current.email or "",
        rfc=current.rfc or "",
        prompt="signup.ask-password",
    )
    if current.first_password is None:
        return Step.PASSWORD
    await ask(update, context, "signup.ask-password-again")
    return Step.PASSWORD_AGAIN


async def receive_password_again(update: Update, context: BotContext) -> Step:
    """Compare it with the first one (its message is deleted too); hash it if the same."""
    current = draft(context)
    first, current.first_password = current.first_password, None
    current.password_hash = await same_password(
        update, context, first, prompt="signup.ask-password"
    )
    if current.password_hash is None:
        return Step.PASSWORD
    return await show_summary(update, context)


async def next_after(
    update: Update, context: BotContext, ask_next: Callable[[Update, BotContext], Awaitable[Step]]
) -> Step:
    """After a value was accepted: back to the summary when correcting, else onward."""
    if draft(context).returning_to_summary and is_complete(draft(context)):
        return await show_summary(update, context)
    return await ask_next(update, context)


def is_complete(current: SignupDraft) -> bool:
    return bool(current.email and current.rfc and current.password_hash)


async def show_summary(update: Update, context: BotContext) -> Step:
    current = draft(context)
    current.returning_to_summary = False
    person = f"signup.person-{person_type_of(current.rfc or '').value}"
    await ask(
        update,
        context,
        "signup.summary",
        keyboard="signup-summary",
        email=current.email,
        rfc=current.rfc,
        person=context.text(update, person),
    )
    return Step.SUMMARY


async def create_account(update: Update, context: BotContext) -> Step | int:
    """Create the account (or, for a taken address, answer just the same)."""
    query = pressed(update)
    await query.answer(context.text(update, "signup.creating"))
    current = draft(context)
    request = SignupRequest(
        email=current.email,
        rfc=current.rfc,
        password_hash=current.password_hash,
        language=context.language(update),
        privacy_version=context.services.operator.privacy_notice_version,
    )
    result = await context.services.accounts.register(request, user_id=user_id(update))
    await buttons_off(update)
    if result.outcome is RegisterOutcome.LIMITED:
        await say(
            update, context, "signup.wait", wait=format_wait(update, context, result.retry_after)
        )
        return await show_summary(update, context)
    context.chat.drop(SignupDraft)
    context.chat.signup_email = request.email
    end_flow(context)
    await say(update, context, "signup.created", keyboard="after-signup")
    return END


async def fix_field(update: Update, context: BotContext) -> Step:
    """From the summary: ask one value again, then come back to the summary."""
    query = pressed(update)
    await close_buttons(update)
    draft(context).returning_to_summary = True
    if query.data == SIGNUP_FIX_EMAIL:
        return await ask_email(update, context)
    if query.data == SIGNUP_FIX_RFC:
        return await ask_rfc(update, context)
    draft(context).password_hash = None
    return await ask_password(update, context)


async def cancel_from_summary(update: Update, context: BotContext) -> int:
    await close_buttons(update)
    return await cancel(update, context)


def build_signup_conversation(*extra_fallbacks: Handler) -> Flow:
    fixes = (SIGNUP_FIX_EMAIL, SIGNUP_FIX_RFC, SIGNUP_FIX_PASSWORD)
    fix = "^(" + "|".join(fixes) + ")$"
    email_choice = f"^({EMAIL_SUGGESTED}|{EMAIL_AS_TYPED})$"
    return Flow(
        FLOW,
        entry_points=[
            command("signup", start_signup),
            CallbackQueryHandler(start_signup, pattern=f"^{MENU_SIGNUP}$"),
        ],
        states={
            Step.CHECK: [tap_handler(tap)],
            Step.EMAIL: [MessageHandler(TYPED_TEXT, receive_email)],
            Step.EMAIL_TYPO: [
                CallbackQueryHandler(choose_email, pattern=email_choice),
                MessageHandler(TYPED_TEXT, receive_email),
            ],
            Step.RFC: [MessageHandler(TYPED_TEXT, receive_rfc)],
            Step.RFC_CHECK: [
                CallbackQueryHandler(accept_unverified_rfc, pattern=f"^{RFC_YES}$"),
                CallbackQueryHandler(retype_rfc, pattern=f"^{RFC_RETYPE}$"),
                MessageHandler(TYPED_TEXT, receive_rfc),
            ],
            Step.PASSWORD: secret_step(receive_password),
            Step.PASSWORD_AGAIN: secret_step(receive_password_again),
            Step.SUMMARY: [
                CallbackQueryHandler(create_account, pattern=f"^{SIGNUP_CREATE}$"),
                CallbackQueryHandler(fix_field, pattern=fix),
                CallbackQueryHandler(cancel_from_summary, pattern=f"^{SIGNUP_CANCEL}$"),
            ],
        },
        fallbacks=flow_fallbacks(*extra_fallbacks),
    )


# After the flows that await a secret come the confirmation's (see their order): a password
# of hexadecimal characters must reach its flow, not be taken for a pasted code.
SIGNUP = FlowSpec(
    FLOW,
    ("registro", "signup"),
    menu=10,
    starts_flow=True,
    build=lambda: build_signup(),
    order=10,
    keyboards={"rfc-check": rfc_check, "signup-summary": signup_summary},
    affirmative=frozenset({RFC_YES}),
    negative=frozenset({RFC_RETYPE}),
    reasons=REASONS,
    secret_prompts=frozenset({"signup.ask-password", "signup.ask-password-again"}),
)


def build_signup() -> list[Handler]:
    """The sign-up, which the email's link (handlers.confirm) also ends."""
    from handlers.confirm import deep_link_handler  # confirm imports this module's draft

    return [build_signup_conversation(deep_link_handler())]
