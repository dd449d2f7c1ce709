"""Deleting the account (cancelación): a warning with buttons, then a typed word."""

from __future__ import annotations

from telegram import Update

from chat.common import ask, ask_again, close_buttons, leave_flow, say
from chat.context import BotContext, chat_id, typed, user_id
from handlers.account.steps import Step, draft, finish, session_over, verified_at


async def confirm_delete(update: Update, context: BotContext) -> Step:
    """«Sí, eliminar mi cuenta»: ask for the word as well, so that no slip of a finger
    deletes an account."""
    await close_buttons(update)
    await ask(update, context, "account.ask-delete-word", word=delete_word(update, context))
    return Step.DELETE_WORD


async def keep(update: Update, context: BotContext) -> int:
    """«No, conservarla»: nothing is deleted."""
    await close_buttons(update)
    await say(update, context, "account.kept")
    return finish(context)


async def receive_delete_word(update: Update, context: BotContext) -> Step | int:
    """The word typed: delete the account, its data and every session; anything else is
    asked again (/cancelar keeps the account)."""
    word = delete_word(update, context)
    if typed(update).strip().casefold() != word.casefold():
        await ask_again(update, context, "account.delete-word-mismatch")
        return Step.DELETE_WORD
    deleted = await context.services.own_account.delete(
        chat_id=chat_id(update),
        user_id=user_id(update),
        account_id=draft(context).account_id,
        verified_at=verified_at(context),
    )
    if not deleted:
        return await session_over(update, context)
    # Nothing of the account stays in this chat's drafts either.
    leave_flow(context)
    context.chat.signup_email = None
    await say(update, context, "account.deleted")
    return finish(context)


def delete_word(update: Update, context: BotContext) -> str:
    return str(context.text(update, "account.delete-word"))
