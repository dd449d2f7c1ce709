"""/soporte's second half: the person writes the problem in the chat (one message); it is
stored for a person to answer and mailed to SUPPORT_CONTACT when that is an address, and
the person is told when to expect the answer. Diagram: support.mmd. The admins' list of
open requests is in handlers/admin.py."""

from __future__ import annotations

from datetime import timedelta
from enum import IntEnum
from types import MappingProxyType

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, MessageHandler

from chat.common import (
    TYPED_TEXT,
    ask,
    begin_flow,
    delete_quietly,
    end_flow,
    format_wait,
    say,
)
from chat.context import BotContext, chat_id, typed, user_id
from chat.flow import Flow
from chat.keyboards import Text, Values, rows
from chat.reasons import say_reason
from chat.registry import FlowSpec
from handlers.basics import (
    flow_fallbacks,
)
from services.support import SUPPORT_TEXT_MAX_LENGTH, parse_support_text
from services.validation import Invalid

# Why a problem written for /soporte was refused, by the services' reason code.
REASONS = MappingProxyType(
    {
        "support.empty": "support.empty",
        "support.too-long": "support.too-long",
        "support.hidden-characters": "support.hidden-characters",
    }
)

# /soporte: write the problem here; an admin marks a request handled (its number after).
SUPPORT_WRITE = "support:write"
SUPPORT_HANDLED = "support:handled:"


def support_write(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(t, [[("support.button-write", SUPPORT_WRITE)]])


def support_handled(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """A button per open request shown (`numbers`), to mark it handled."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("support.button-handled", number=number),
                    callback_data=f"{SUPPORT_HANDLED}{number}",
                )
            ]
            for number in (values or {}).get("numbers", [])
        ]
    )


FLOW = "support"


class Step(IntEnum):
    MESSAGE = 1


async def _ask_message(update: Update, context: BotContext) -> None:
    account = await context.services.signin.current_account(chat_id(update))
    if account is None:
        await ask(update, context, "support.ask", limit=SUPPORT_TEXT_MAX_LENGTH)
    else:
        await ask(
            update,
            context,
            "support.ask-signed-in",
            limit=SUPPORT_TEXT_MAX_LENGTH,
            email=account.email,
        )


async def _say_limited(update: Update, context: BotContext, wait: timedelta | None) -> None:
    contact = context.services.operator.support_contact or ""
    await say(
        update, context, "support.limited", wait=format_wait(update, context, wait), contact=contact
    )


@begin_flow(FLOW)
async def start_writing(update: Update, context: BotContext) -> Step | int:
    """The «Escribir mi problema aquí» button: ask for the problem in one message (past
    today's allowance, say when another can be written instead)."""
    wait = await context.services.support.wait(user_id(update))
    if wait is not None:
        await _say_limited(update, context, wait)
        return end_flow(context)
    await _ask_message(update, context)
    return Step.MESSAGE


async def typed_after_offer(update: Update, context: BotContext) -> bool:
    """A message typed right after /soporte's offer instead of tapping «Escribir mi
    problema aquí»: taken as the problem (True), as if the button had been tapped."""
    if context.chat.answering != "support.contact" or update.message is None:
        return False
    context.chat.answering = None
    try:
        parse_support_text(typed(update))
    except Invalid:
        return False  # not a problem written out: the usual answer
    wait = await context.services.support.wait(user_id(update))
    if wait is not None:
        await _say_limited(update, context, wait)
        return True
    await receive_message(update, context)
    return True


async def receive_message(update: Update, context: BotContext) -> Step | int:
    """The problem: stored and (to an address) mailed; the person told when to expect an
    answer. An empty, too long or garbled one gets the reason and the question again."""
    try:
        text = parse_support_text(typed(update))
    except Invalid as error:
        await say_reason(update, context, error)
        await _ask_message(update, context)
        return Step.MESSAGE
    account = await context.services.signin.current_account(chat_id(update))
    result = await context.services.support.submit(
        text=text,
        chat_id=chat_id(update),
        user_id=user_id(update),
        account_id=account.id if account else None,
        account_email=account.email if account else None,
        language=context.language(update),
    )
    contact = context.services.operator.support_contact or ""
    if result.is_password:
        deleted = await delete_quietly(update.effective_message)
        await say(update, context, "support.is-password" if deleted else "support.is-password-kept")
    elif result.number is None:  # the allowance ran out while this one was being typed
        await _say_limited(update, context, result.retry_after)
    elif account is not None:
        await say(update, context, "support.received", number=result.number, email=account.email)
    else:
        await say(
            update, context, "support.received-no-account", number=result.number, contact=contact
        )
    return end_flow(context)


def build_support_conversation() -> Flow:
    return Flow(
        FLOW,
        entry_points=[
            CallbackQueryHandler(start_writing, pattern=f"^{SUPPORT_WRITE}$"),
        ],
        states={Step.MESSAGE: [MessageHandler(TYPED_TEXT, receive_message)]},
        fallbacks=flow_fallbacks(),
    )


# /soporte answers everywhere (handlers.basics.show_support); its button starts the flow.
SUPPORT = FlowSpec(
    FLOW,
    ("soporte", "support"),
    menu=120,
    build=lambda: [build_support_conversation()],
    order=70,
    keyboards={"support-write": support_write, "support-handled": support_handled},
    reasons=REASONS,
)
