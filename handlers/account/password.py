"""Changing the account's password (/cuenta): after the current one, the new one twice,
under the sign-up's policy; then other chats are signed out, as after a reset."""

from __future__ import annotations

from telegram import Update

from chat.common import ask, say
from chat.context import BotContext, chat_id, user_id
from chat.secrets import forget_secret
from handlers.account.steps import Step, draft, finish, session_over, verified_at
from handlers.passwords import read_secret, same_password, take_new_password

PROMPT = "account.ask-new-password"


async def receive_new_password(update: Update, context: BotContext) -> Step | int:
    """Apply the sign-up's password policy to the new password (deleted from the chat)."""
    current = draft(context)
    account = await context.services.signin.current_account(chat_id(update))
    if account is None or account.id != current.account_id:
        await read_secret(update, context)
        return await session_over(update, context)
    current.first_password = await take_new_password(
        update, context, email=account.email, rfc=account.rfc, prompt=PROMPT
    )
    if current.first_password is None:
        return Step.NEW_PASSWORD
    await ask(update, context, "signup.ask-password-again")
    return Step.NEW_PASSWORD_AGAIN


async def receive_new_password_again(update: Update, context: BotContext) -> Step | int:
    """The same password again changes it; another one starts over with the new one."""
    current = draft(context)
    first, current.first_password = current.first_password, None
    password_hash = await same_password(update, context, first, prompt=PROMPT)
    if password_hash is None:
        return Step.NEW_PASSWORD
    changed = await context.services.own_account.change_password(
        chat_id=chat_id(update),
        user_id=user_id(update),
        account_id=current.account_id,
        password_hash=password_hash,
        verified_at=verified_at(context),
    )
    if not changed:  # signed out meanwhile, or the current password typed too long ago
        return await session_over(update, context)
    forget_secret(context)  # the password is set: what comes next is no secret
    await say(update, context, "account.password-changed", keyboard="signed-in")
    return finish(context)
