"""Choosing a password in chat (sign-up and recovery): every message holding one is
deleted as soon as it is read, and only its hash is kept."""

from __future__ import annotations

from telegram import Update

from bot.context import BotContext
from handlers.common import ask, delete_quietly, say
from services.validation import Invalid, check_password


async def read_secret(update: Update) -> str:
    """The text of the message, which is deleted from the chat at once."""
    message = update.effective_message
    text = (message.text if message else None) or ""
    await delete_quietly(message)
    return text


async def take_new_password(
    update: Update, context: BotContext, *, email: str, rfc: str, prompt: str
) -> str | None:
    """The hash of an acceptable new password; otherwise None, with the reason said and
    the `prompt` asked again."""
    password = await read_secret(update)
    await say(update, context, "signup.password-deleted")
    try:
        check_password(password, email=email, rfc=rfc)
    except Invalid as error:
        await say(update, context, f"signup.{error.reason}")
        await ask(update, context, prompt)
        return None
    return await context.services.passwords.hash(password)


async def same_password(
    update: Update, context: BotContext, password_hash: str | None, *, prompt: str
) -> bool:
    """Whether the second typing matches; if not, say so and ask the `prompt` again."""
    password = await read_secret(update)
    if password_hash and await context.services.passwords.verify(password_hash, password):
        return True
    await say(update, context, "signup.passwords-differ")
    await ask(update, context, prompt)
    return False
