"""Deleting the account (cancelación): a warning with buttons, then a typed word."""

from __future__ import annotations

from telegram import Update

from chat.common import ask, ask_again, close_buttons, delete_quietly, leave_flow, say
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
        # Right after a password was asked, a mistyped word may be that password again.
        await delete_quietly(update.effective_message)
        await ask_again(update, context, "account.delete-word-mismatch")
        return Step.DELETE_WORD
    account_id = draft(context).account_id
    deleted = await context.services.own_account.delete(
        chat_id=chat_id(update),
        user_id=user_id(update),
        account_id=account_id,
        verified_at=verified_at(context),
    )
    if deleted is None:
        return await session_over(update, context)
    # Nothing of the account stays in this chat's drafts either, nor its address in
    # another chat's memory (the chat that signed up keeps it for /reenviar).
    leave_flow(context)
    context.chat.signup_email = None
    forget_account(context, deleted, account_id)
    await say(update, context, "account.deleted")
    return finish(context)


def delete_word(update: Update, context: BotContext) -> str:
    return str(context.text(update, "account.delete-word"))


def forget_account(context: BotContext, email: str, account_id: int) -> None:
    """Every chat that remembers `email` outside a flow forgets it, and a CSD's files sent
    for the account in another chat are dropped; each is written back to the database at
    once (the chats of this process: another process keeps its own until that chat writes
    again)."""
    address = email.casefold()
    remembering = [
        chat
        for chat, data in context.application.chat_data.items()
        if (data.signup_email or "").casefold() == address
        or (data.login_email or "").casefold() == address
        or (data.csd is not None and data.csd.account_id == account_id)
    ]
    for chat in remembering:
        data = context.application.chat_data[chat]
        data.signup_email = None
        if data.flow is None:
            data.login_email = None
        if data.csd is not None and data.csd.account_id == account_id:
            # Kept as an empty draft, so that a step of /csd still open there ends cleanly.
            data.csd.certificate = data.csd.key = None
    context.application.mark_data_for_update_persistence(chat_ids=remembering)
