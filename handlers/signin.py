"""Entrar (/entrar) and Salir (/salir); the sign-in steps are shared with /empresa."""

from __future__ import annotations

from enum import IntEnum

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler

from bot import keyboards
from bot.context import BotContext
from handlers.common import (
    PASSWORD_TEXT,
    TYPED_TEXT,
    ask,
    begin_flow,
    command,
    end_flow,
    flow_fallbacks,
    format_wait,
    say,
)
from handlers.passwords import read_secret
from services.signin import SignInResult, SignInStatus
from services.validation import Invalid, parse_email

FLOW = "signin"


class Step(IntEnum):
    EMAIL = 1
    PASSWORD = 2


async def ask_login_email(update: Update, context: BotContext) -> None:
    await ask(update, context, "signin.ask-email")


async def take_login_email(update: Update, context: BotContext) -> bool:
    """Keep the email and ask for the password; a bad one is explained and asked again."""
    try:
        context.chat.login_email = parse_email(update.effective_message.text or "")
    except Invalid as error:
        await say(update, context, f"signup.{error.reason}")
        await ask_login_email(update, context)
        return False
    await ask(update, context, "signin.ask-password")
    return True


async def take_login_password(update: Update, context: BotContext) -> SignInResult:
    """Delete the password message, check it, and say how it went. A wrong one starts
    over from the email, since the answer does not say which of the two was wrong."""
    password = await read_secret(update)
    result = await context.services.signin.sign_in(
        email=context.chat.login_email or "",
        password=password,
        chat_id=update.effective_chat.id,
        user_id=update.effective_user.id,
    )
    if result.status is SignInStatus.WRONG:
        await say(update, context, "signin.wrong")
        await ask_login_email(update, context)
        return result
    context.chat.login_email = None
    if result.status is SignInStatus.LOCKED:
        await say(
            update, context, "signin.locked", wait=format_wait(update, context, result.retry_after)
        )
    elif result.status is SignInStatus.UNCONFIRMED:
        await say(update, context, "signin.unconfirmed")
    else:
        await say(update, context, "signin.signed-in", email=result.account.email)
    return result


@begin_flow(FLOW)
async def start_signin(update: Update, context: BotContext) -> Step:
    await ask_login_email(update, context)
    return Step.EMAIL


async def receive_email(update: Update, context: BotContext) -> Step:
    return Step.PASSWORD if await take_login_email(update, context) else Step.EMAIL


async def receive_password(update: Update, context: BotContext) -> Step | int:
    result = await take_login_password(update, context)
    if result.status is SignInStatus.WRONG:
        return Step.EMAIL
    return end_flow(context)


async def sign_out(update: Update, context: BotContext) -> None:
    """Close this chat's session."""
    signed_out = await context.services.signin.sign_out(update.effective_chat.id)
    context.chat.company = None
    await say(update, context, "signin.signed-out" if signed_out else "signin.not-signed-in")


def build_signin_conversation() -> ConversationHandler:
    return ConversationHandler(
        name=FLOW,
        persistent=True,
        entry_points=[
            command("signin", start_signin),
            CallbackQueryHandler(start_signin, pattern=f"^{keyboards.MENU_SIGNIN}$"),
        ],
        states={
            Step.EMAIL: [MessageHandler(TYPED_TEXT, receive_email)],
            Step.PASSWORD: [MessageHandler(PASSWORD_TEXT, receive_password)],
        },
        fallbacks=flow_fallbacks(),
    )
