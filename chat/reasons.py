"""Why a value was refused, in words: the services' reason codes
(`services.validation.Invalid.reason`) said through the catalog texts each flow registers
for them (chat.registry.FlowSpec.reasons). Services speak no language, so every handler
that refuses a value says its reason through here."""

from __future__ import annotations

from telegram import Message, Update

from chat.common import say
from chat.context import BotContext
from chat.registry import registered
from services.validation import Invalid


def reason_key(error: Invalid) -> str:
    """The catalog key that says why `error`'s value was refused."""
    return registered().reasons[error.reason]


async def say_reason(update: Update, context: BotContext, error: Invalid) -> Message:
    """Tell the person why the value they typed was refused."""
    return await say(update, context, reason_key(error), **error.values)
