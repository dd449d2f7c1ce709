"""Entrar (/entrar) and Salir (/salir); the sign-in steps are shared with the flows for
signed-in people (/empresa, /cuenta, /csd) through `SignInFirst`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

from telegram import Update
from telegram.ext import CallbackQueryHandler

from chat.common import (
    ask,
    begin_flow,
    command,
    end_flow,
    format_wait,
    say,
)
from chat.context import BotContext, Handler, chat_id, typed, user_id
from chat.flow import Flow
from chat.reasons import say_reason
from chat.registry import FlowSpec
from chat.secrets import forget_secret
from chat.state import Draft
from handlers.basics import (
    flow_fallbacks,
)
from handlers.passwords import not_a_secret, read_secret, secret_step
from services.signin import AccountInfo, SignInResult, SignInStatus
from services.validation import Invalid, parse_email

MENU_SIGNIN = "menu:signin"

FLOW = "signin"


@dataclass
class SigninDraft(Draft):
    """The address typed at sign-in, until the password is checked."""

    KEY: ClassVar[str] = "login_email"  # stored as a bare address before it was a draft

    email: str

    @classmethod
    def decode(cls, stored: Any) -> SigninDraft:
        return cls(email=stored) if isinstance(stored, str) else super().decode(stored)


class Step(IntEnum):
    EMAIL = 1
    PASSWORD = 2


async def ask_login_email(update: Update, context: BotContext) -> None:
    await ask(update, context, "signin.ask-email")


async def take_login_email(update: Update, context: BotContext) -> bool | None:
    """Keep the email and ask for the password (True); a bad one is explained and asked
    again (False). When sign-in to the address is locked for this chat, say for how long
    before anyone types a password in vain (None)."""
    try:
        email = parse_email(typed(update))
    except Invalid as error:
        # Not an address: perhaps the password, typed first. It goes from the chat.
        await say_reason(update, context, error)
        await not_a_secret(update, context)
        return False
    wait = await context.services.signin.locked_for(
        email=email, chat_id=chat_id(update), user_id=user_id(update)
    )
    if wait is not None:
        await say(update, context, "signin.locked", wait=format_wait(update, context, wait))
        return None
    context.chat.keep(SigninDraft(email))
    await ask(update, context, "signin.ask-password")
    return True


async def take_login_password(
    update: Update, context: BotContext, *, offer_next: bool = True
) -> SignInResult:
    """Delete the password message, check it, and say how it went. A wrong one (or an
    unconfirmed account, in the same words) ends with buttons for what it suggests; a
    right one with what a signed-in person can do next, unless a flow goes on
    (`offer_next`)."""
    password, deleted = await read_secret(update, context)
    if not deleted:
        await say(update, context, "signup.password-not-deleted")
    typed_email = context.chat.draft(SigninDraft)
    result = await context.services.signin.sign_in(
        email=typed_email.email if typed_email else "",
        password=password,
        chat_id=chat_id(update),
        user_id=user_id(update),
    )
    if result.status is SignInStatus.WRONG:
        # The flow ends, so that what the answer suggests works at once: pasting the
        # confirmation code, /reenviar, the email's link, /recuperar, or /entrar again.
        context.chat.drop(SigninDraft)
        await say(update, context, "signin.wrong", keyboard="after-wrong-sign-in")
        return result
    context.chat.drop(SigninDraft)
    if result.status is SignInStatus.LOCKED:
        await say(
            update, context, "signin.locked", wait=format_wait(update, context, result.retry_after)
        )
    else:
        if result.left is not None:
            await say(update, context, "signin.switched", left=result.left.email)
        assert result.account is not None  # signed in: to this account
        forget_secret(context)  # the password did its work: what comes next is no secret
        keyboard = "signed-in" if offer_next else None
        await say(
            update, context, "signin.signed-in", keyboard=keyboard, email=result.account.email
        )
    return result


# The first two steps of every flow that signs in first (each flow's Step has them).
LOGIN_EMAIL, LOGIN_PASSWORD = 1, 2


class SignInFirst:
    """A flow for signed-in people, entered from a chat that is not: its own lead-in
    ("primero entra con tu cuenta"), the email, the password; signed in, the flow goes on
    with `go_on(update, context, account)`; otherwise it ends with the reason said (what
    the flow's draft holds stays for the next time)."""

    def __init__(
        self,
        lead_in: str,
        go_on: Callable[[Update, BotContext, AccountInfo], Awaitable[int]],
        *,
        offer_next: bool = False,
    ) -> None:
        self.lead_in = lead_in
        self.go_on = go_on
        self.offer_next = offer_next

    async def account_or_ask(self, update: Update, context: BotContext) -> AccountInfo | int:
        """The chat's account; or, said and asked, the first sign-in step."""
        account = await context.services.signin.current_account(chat_id(update))
        if account is not None:
            return account
        return await self.ask(update, context)

    async def ask(self, update: Update, context: BotContext) -> int:
        """The flow's lead-in and the first sign-in step (the chat is known signed out)."""
        await say(update, context, self.lead_in)
        await ask_login_email(update, context)
        return LOGIN_EMAIL

    async def receive_email(self, update: Update, context: BotContext) -> int:
        taken = await take_login_email(update, context)
        if taken is None:
            return end_flow(context)
        return LOGIN_PASSWORD if taken else LOGIN_EMAIL

    async def receive_password(self, update: Update, context: BotContext) -> int:
        result = await take_login_password(update, context, offer_next=self.offer_next)
        if result.status is SignInStatus.SIGNED_IN and result.account is not None:
            return await self.go_on(update, context, result.account)
        return end_flow(context)

    def states(self) -> dict[int, list[Handler]]:
        return {
            LOGIN_EMAIL: secret_step(self.receive_email),
            LOGIN_PASSWORD: secret_step(self.receive_password),
        }


@begin_flow(FLOW)
async def start_signin(update: Update, context: BotContext) -> Step:
    await ask_login_email(update, context)
    return Step.EMAIL


async def receive_email(update: Update, context: BotContext) -> Step | int:
    taken = await take_login_email(update, context)
    if taken is None:
        return end_flow(context)
    return Step.PASSWORD if taken else Step.EMAIL


async def receive_password(update: Update, context: BotContext) -> Step | int:
    await take_login_password(update, context)
    return end_flow(context)


def build_signin_conversation() -> Flow:
    return Flow(
        FLOW,
        entry_points=[
            command("signin", start_signin),
            CallbackQueryHandler(start_signin, pattern=f"^{MENU_SIGNIN}$"),
        ],
        states={
            Step.EMAIL: secret_step(receive_email),
            Step.PASSWORD: secret_step(receive_password),
        },
        fallbacks=flow_fallbacks(),
    )


SIGNIN = FlowSpec(
    FLOW,
    ("entrar", "login"),
    menu=40,
    starts_flow=True,
    build=lambda: [build_signin_conversation()],
    order=20,
    # The correo too: people often type the password first.
    secret_prompts=frozenset({"signin.ask-email", "signin.ask-password"}),
)
