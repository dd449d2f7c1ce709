"""Secrets in chat (sign-up, sign-in and recovery): every message that could hold one is
deleted as soon as it is read, the person is told whether that worked, and only a
password's hash is kept: argon2 once the new password was typed twice, and in between a
digest under a key held in memory only (services.passwords.PasswordHasher.remember)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import MessageHandler, filters

from chat.common import PASSWORD_TEXT, ask, ask_again, delete_quietly, lead, remember, say
from chat.context import BotContext, Callback, Handler
from chat.reasons import reason_key
from chat.registry import registered
from chat.secrets import note_secret
from services.passwords import Repeat
from services.validation import Invalid, check_password


def awaits_secret(context: BotContext) -> bool:
    prompt = context.chat.prompt
    return (
        context.chat.flow is not None
        and prompt is not None
        and prompt["key"] in registered().secret_prompts
    )


def secret_step(receive: Callback) -> list[Handler]:
    """The handlers of a step whose answer is a secret, or may be one: text goes to
    `receive` (even text beginning with "/", unless it is one of the bot's commands), and
    anything else is deleted, since a photo's caption may hold the secret too."""
    return [MessageHandler(PASSWORD_TEXT, receive), MessageHandler(~filters.TEXT, not_a_secret)]


async def read_secret(update: Update, context: BotContext) -> tuple[str, bool]:
    """The text of the message, which is deleted from the chat at once; and whether the
    deletion worked. The chat notes that a secret was just read (chat.secrets)."""
    note_secret(context)
    message = update.effective_message
    text = (message.text if message else None) or ""
    return text, await delete_quietly(message)


async def say_deleted(update: Update, context: BotContext, deleted: bool) -> None:
    """The note on the password's deletion, said with the next question (one message)."""
    await lead(
        update, context, "signup.password-deleted" if deleted else "signup.password-not-deleted"
    )


async def not_a_secret(update: Update, context: BotContext) -> None:
    """Anything but text where a secret is awaited (a photo with a caption, a file): it may
    hold the secret all the same, so it is deleted, and the question asked again."""
    note_secret(context)
    deleted = await delete_quietly(update.effective_message)
    await ask_again(
        update, context, "common.secret-deleted" if deleted else "common.secret-not-deleted"
    )


async def take_new_password(
    update: Update, context: BotContext, *, email: str, rfc: str, prompt: str
) -> str | None:
    """What a draft keeps of an acceptable new password until it is typed again (a digest
    for `same_password`, no hash); otherwise None, with the deletion note, the reason and
    the `prompt` again said in one message."""
    password, deleted = await read_secret(update, context)
    try:
        check_password(password, email=email, rfc=rfc)
    except Invalid as error:
        remember(context, prompt)
        await say(
            update,
            context,
            "signup.password-refused",
            deleted=context.text(
                update, "signup.password-deleted" if deleted else "signup.password-not-deleted"
            ),
            reason=context.text(update, reason_key(error), **error.values),
            prompt=context.text(update, prompt),
        )
        return None
    await say_deleted(update, context, deleted)
    return context.services.passwords.remember(password)


async def same_password(
    update: Update, context: BotContext, first: str | None, *, prompt: str
) -> str | None:
    """The password's argon2 hash (the only one computed) when the second typing matches
    the `first` kept; if not, say so and ask the `prompt` again (None). A first entry kept
    under another key (DATA_ENCRYPTION_KEY rotated since) cannot be compared, nor one a
    draft saved before the digests held (an argon2 hash): asked again, kindly."""
    password, deleted = await read_secret(update, context)
    if not deleted:
        await say_deleted(update, context, deleted)
    repeat = context.services.passwords.repeats(first, password)
    if repeat is Repeat.SAME:
        return await context.services.passwords.hash(password)
    differ = repeat is Repeat.DIFFERENT
    await lead(
        update, context, "signup.passwords-differ" if differ else "signup.password-forgotten"
    )
    await ask(update, context, prompt)
    return None
