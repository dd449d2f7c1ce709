"""Recuperar clave (/recuperar): the human check, the correo, the emailed code, and a
new password typed twice. Diagram: reset.mmd."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import ClassVar

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from chat.common import (
    TYPED_TEXT,
    ask,
    begin_flow,
    close_buttons,
    command,
    end_flow,
    format_wait,
    say,
)
from chat.context import BotContext, chat_id, pressed, typed, user_id
from chat.flow import Flow
from chat.reasons import say_reason
from chat.registry import FlowSpec
from chat.secrets import forget_secret
from chat.state import Draft
from handlers.basics import (
    flow_fallbacks,
)
from handlers.email_typo import EMAIL_AS_TYPED, EMAIL_SUGGESTED
from handlers.human_check import send_challenge, take_tap, tap_handler
from handlers.passwords import (
    not_a_secret,
    read_secret,
    same_password,
    secret_step,
    take_new_password,
)
from services.human_check import TapResult
from services.one_time_codes import CodeStatus
from services.validation import Invalid, parse_email, suggest_email

MENU_RESET = "menu:reset"


@dataclass
class ResetDraft(Draft):
    KEY: ClassVar[str] = "reset"
    email: str | None = None
    code_id: int | None = None
    first_password: str | None = None  # the new password's first entry (a digest)
    typed_email: str | None = None  # an address with a likely typo, awaiting a choice
    suggested_email: str | None = None  # its correction, offered with a button


FLOW = "reset"


class Step(IntEnum):
    CHECK = 1
    EMAIL = 2
    CODE = 3
    PASSWORD = 4
    PASSWORD_AGAIN = 5
    EMAIL_TYPO = 6


def draft(context: BotContext) -> ResetDraft:
    current = context.chat.draft(ResetDraft)
    if current is None:
        current = ResetDraft()
        context.chat.keep(current)
    return current


def finish(context: BotContext) -> int:
    context.chat.drop(ResetDraft)
    return end_flow(context)


@begin_flow(FLOW)
async def start_reset(update: Update, context: BotContext) -> Step | int:
    """Begin with the human check (the portal's CAPTCHA)."""
    context.chat.keep(ResetDraft())
    await say(update, context, "reset.intro")
    return Step.CHECK if await send_challenge(update, context) else finish(context)


async def tap(update: Update, context: BotContext) -> Step | int:
    result = await take_tap(update, context)
    if result is TapResult.PASSED:
        await ask(update, context, "reset.ask-email")
        return Step.EMAIL
    return finish(context) if result is TapResult.LOCKED else Step.CHECK


async def receive_email(update: Update, context: BotContext) -> Step | int:
    """Check the address; one with a likely typo in a common provider's domain gets a
    suggestion first (from the text alone: it says nothing about accounts)."""
    try:
        email = parse_email(typed(update))
    except Invalid as error:
        await say_reason(update, context, error)
        await ask(update, context, "reset.ask-email")
        return Step.EMAIL
    suggested = suggest_email(email)
    if suggested is None:
        return await request_code(update, context, email)
    current = draft(context)
    current.typed_email, current.suggested_email = email, suggested
    await ask(
        update, context, "signup.typo.ask", keyboard="email-typo", typed=email, suggested=suggested
    )
    return Step.EMAIL_TYPO


async def choose_email(update: Update, context: BotContext) -> Step | int:
    """«Sí, usar …» takes the suggested address, «No, dejar …» the one typed."""
    query = pressed(update)
    await close_buttons(update)
    current = draft(context)
    chosen = current.suggested_email
    if query.data == EMAIL_AS_TYPED:
        chosen = current.typed_email
    current.typed_email = current.suggested_email = None
    if chosen is None:
        await ask(update, context, "reset.ask-email")
        return Step.EMAIL
    return await request_code(update, context, chosen)


async def request_code(update: Update, context: BotContext, email: str) -> Step | int:
    """Mail a code if the address has an account; the answer is the same either way."""
    wait = await context.services.reset.request(
        email=email,
        chat_id=chat_id(update),
        user_id=user_id(update),
        language=context.language(update),
    )
    if wait is not None:
        await say(update, context, "reset.wait", wait=format_wait(update, context, wait))
        return finish(context)
    draft(context).email = email
    await say(update, context, "reset.sent", email=email)
    await ask(update, context, "reset.ask-code")
    return Step.CODE


async def receive_code(update: Update, context: BotContext) -> Step | int:
    """Check the code (it is deleted from the chat: it opens the account for a while)."""
    current = draft(context)
    text, _ = await read_secret(update, context)
    check = await context.services.reset.check_code(
        email=current.email or "", chat_id=chat_id(update), text=text
    )
    if check.status is CodeStatus.VERIFIED:
        current.code_id = check.code_id
        await ask(update, context, "reset.ask-password")
        return Step.PASSWORD
    if check.status is CodeStatus.EXPIRED:
        await say(update, context, "reset.expired")
        return finish(context)
    if check.status is CodeStatus.NO_TRIES:
        await say(update, context, "reset.no-tries")
        return finish(context)
    key = "reset.wrong-last" if check.tries_left == 1 else "reset.wrong"
    await say(update, context, key, tries=check.tries_left)
    await ask(update, context, "reset.ask-code")
    return Step.CODE


async def receive_password(update: Update, context: BotContext) -> Step | int:
    """Apply the sign-up's password policy to the new password."""
    current = draft(context)
    identity = await context.services.reset.identity(
        code_id=current.code_id or 0, chat_id=chat_id(update)
    )
    if identity is None:
        await read_secret(update, context)
        await say(update, context, "reset.expired")
        return finish(context)
    current.first_password = await take_new_password(
        update, context, email=identity.email, rfc=identity.rfc, prompt="reset.ask-password"
    )
    if current.first_password is None:
        return Step.PASSWORD
    await ask(update, context, "signup.ask-password-again")
    return Step.PASSWORD_AGAIN


async def receive_password_again(update: Update, context: BotContext) -> Step | int:
    current = draft(context)
    first, current.first_password = current.first_password, None
    password_hash = await same_password(update, context, first, prompt="reset.ask-password")
    if password_hash is None:
        return Step.PASSWORD
    changed = await context.services.reset.complete(
        code_id=current.code_id or 0,
        password_hash=password_hash,
        chat_id=chat_id(update),
    )
    # Changed: the chat is signed in to the account, with what it can do next.
    if changed:
        forget_secret(context)  # the new password is set: what comes next is no secret
        await say(update, context, "reset.done", keyboard="signed-in")
    else:
        await say(update, context, "reset.expired")
    return finish(context)


def build_reset_conversation() -> Flow:
    return Flow(
        FLOW,
        entry_points=[
            command("reset", start_reset),
            CallbackQueryHandler(start_reset, pattern=f"^{MENU_RESET}$"),
        ],
        states={
            Step.CHECK: [tap_handler(tap)],
            Step.EMAIL: [MessageHandler(TYPED_TEXT, receive_email)],
            Step.EMAIL_TYPO: [
                CallbackQueryHandler(
                    choose_email,
                    pattern=f"^({EMAIL_SUGGESTED}|{EMAIL_AS_TYPED})$",
                ),
                MessageHandler(TYPED_TEXT, receive_email),
            ],
            Step.CODE: [
                MessageHandler(TYPED_TEXT, receive_code),
                MessageHandler(~filters.TEXT, not_a_secret),
            ],
            Step.PASSWORD: secret_step(receive_password),
            Step.PASSWORD_AGAIN: secret_step(receive_password_again),
        },
        fallbacks=flow_fallbacks(),
    )


RESET = FlowSpec(
    FLOW,
    ("recuperar", "reset"),
    menu=90,
    starts_flow=True,
    build=lambda: [build_reset_conversation()],
    order=60,
    secret_prompts=frozenset({"reset.ask-code", "reset.ask-password"}),
)
