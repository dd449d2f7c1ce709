"""The steps of /cuenta, its draft, and the password asked again before a change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import ClassVar

from telegram import Update

from chat.common import ask, ask_again, end_flow, format_wait, say
from chat.context import BotContext, chat_id, user_id
from chat.state import Draft
from handlers.passwords import read_secret
from services.signin import RecheckStatus


@dataclass
class AccountDraft(Draft):
    """A change of the account in hand (/cuenta): its address, its password, or its
    deletion."""

    KEY: ClassVar[str] = "account"

    account_id: int
    action: str  # "email", "password" or "delete"
    verified_at: str | None = None  # when the password was typed again (ISO 8601, UTC)
    new_email: str | None = None
    typed_email: str | None = None  # a new address with a likely typo, awaiting a choice
    suggested_email: str | None = None  # its correction, offered with a button
    first_password: str | None = None  # the new password's first entry (a digest)


FLOW = "account"


class Step(IntEnum):
    LOGIN_EMAIL = 1
    LOGIN_PASSWORD = 2
    PASSWORD = 3
    NEW_EMAIL = 4
    CODE = 5
    CONFIRM_DELETE = 6
    DELETE_WORD = 7
    NEW_EMAIL_TYPO = 8
    NEW_PASSWORD = 9
    NEW_PASSWORD_AGAIN = 10


def draft(context: BotContext) -> AccountDraft:
    current = context.chat.draft(AccountDraft)
    assert current is not None, "a step of /cuenta without its draft"
    return current


def verified_at(context: BotContext) -> datetime:
    """When the password was typed again (long ago when it never was: no change passes)."""
    stamp = draft(context).verified_at
    return datetime.fromisoformat(stamp) if stamp else datetime.min.replace(tzinfo=UTC)


def finish(context: BotContext) -> int:
    context.chat.drop(AccountDraft)
    return end_flow(context)


async def session_over(update: Update, context: BotContext) -> int:
    """The chat's session ended, or the password was typed too long ago: start again."""
    await say(update, context, "account.start-again")
    return finish(context)


async def begin_change(
    update: Update, context: BotContext, action: str, *, shown_for: int | None = None
) -> Step | int:
    """Ask the password again before changing the account (`action`: email, password or
    delete);
    a button shown for another account than the chat's now does nothing."""
    account = await context.services.signin.current_account(chat_id(update))
    if account is None:
        return await session_over(update, context)
    if shown_for not in (None, account.id):
        await say(update, context, "account.other-account-button")
        return finish(context)
    context.chat.keep(AccountDraft(account_id=account.id, action=action))
    await ask(update, context, "account.ask-password")
    return Step.PASSWORD


async def receive_password(update: Update, context: BotContext) -> Step | int:
    """Delete the password's message and check it, counted as a sign-in in this chat; a
    right one leads to the change asked for."""
    password, deleted = await read_secret(update, context)
    if not deleted:
        await say(update, context, "signup.password-not-deleted")
    check = await context.services.signin.recheck_password(
        chat_id=chat_id(update), user_id=user_id(update), password=password
    )
    if check.status is RecheckStatus.SIGNED_OUT or (
        check.account is not None and check.account.id != draft(context).account_id
    ):
        return await session_over(update, context)
    if check.status is RecheckStatus.LOCKED:
        wait = format_wait(update, context, check.retry_after)
        await say(update, context, "signin.locked", wait=wait)
        return finish(context)
    if check.status is RecheckStatus.WRONG:
        await ask_again(update, context, "account.wrong-password")
        return Step.PASSWORD
    assert check.verified_at is not None
    draft(context).verified_at = check.verified_at.isoformat()
    if draft(context).action == "delete":
        await ask(update, context, "account.delete-warning", keyboard="delete-account")
        return Step.CONFIRM_DELETE
    if draft(context).action == "password":
        await ask(update, context, "account.ask-new-password")
        return Step.NEW_PASSWORD
    await ask(update, context, "account.ask-new-email")
    return Step.NEW_EMAIL
