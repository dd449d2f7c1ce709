"""Deleting the account (cancelación): a warning with buttons, then a typed word."""

from __future__ import annotations

from typing import Any

from telegram import Update

from chat.common import ask, ask_again, close_buttons, delete_quietly, leave_flow, say
from chat.context import BotContext, chat_id, typed, user_id
from chat.state import ChatData
from handlers.account.steps import FLOW as ACCOUNT_FLOW
from handlers.account.steps import AccountDraft, Step, draft, finish, session_over, verified_at
from handlers.company.flow import FLOW as COMPANY_FLOW
from handlers.company.form import CompanyDraft
from handlers.csd.steps import FLOW as CSD_FLOW
from handlers.csd.steps import CsdDraft
from handlers.signin import SigninDraft


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
    await forget_account(update, context, deleted, account_id)
    await say(update, context, "account.deleted")
    return finish(context)


def delete_word(update: Update, context: BotContext) -> str:
    return str(context.text(update, "account.delete-word"))


async def forget_account(update: Update, context: BotContext, email: str, account_id: int) -> None:
    """Every other chat that remembers `email` outside a flow forgets it, and every draft
    another chat holds for the account loses the account's data (a CSD's files and name,
    the company form, a new address), with the question in hand, which may show it; each
    chat's record is written again in the database. A flow left open there ends kindly at
    its next message, and its question asked again says that the session ended."""

    def forget(record: dict[str, Any]) -> dict[str, Any] | None:
        data = ChatData.from_json(record)
        if not _forget(data, email.casefold(), account_id):
            return record
        return None if data == ChatData() else data.to_json()

    await context.services.chats.rewrite_each(forget, skip=chat_id(update))


def _forget(data: ChatData, address: str, account_id: int) -> bool:
    """Take the account out of one chat's record; whether anything was."""
    held = False
    if (data.signup_email or "").casefold() == address:
        data.signup_email = None
        held = True
    signin = data.draft(SigninDraft)
    if signin is not None and signin.email.casefold() == address and data.flow is None:
        data.drop(SigninDraft)
        held = True
    csd = data.draft(CsdDraft)
    if csd is not None and csd.account_id == account_id:
        # Kept as an empty draft, so that a step of /csd still open there ends cleanly.
        csd.certificate = csd.key = csd.new_name = None
        held = _ended(data, CSD_FLOW, "csd.session-ended-files-gone")
    company = data.draft(CompanyDraft)
    if company is not None and company.account_id == account_id:
        # Dropped: the form ends at its next message (company.flow.ends_if_draft_gone).
        data.drop(CompanyDraft)
        held = _ended(data, COMPANY_FLOW, "company.session-ended-data-gone")
    account = data.draft(AccountDraft)
    if account is not None and account.account_id == account_id:
        # Kept without the new address, so that a step of /cuenta still open there
        # finds the session gone and ends cleanly.
        account.new_email = account.typed_email = account.suggested_email = None
        held = _ended(data, ACCOUNT_FLOW, "account.start-again")
    return held


def _ended(data: ChatData, flow: str, key: str) -> bool:
    """In `flow` (past its sign-in), the question in hand becomes `key`, which says that
    the session ended; True."""
    asks_sign_in = str((data.prompt or {}).get("key", "")).startswith("signin.")
    if data.flow == flow and not asks_sign_in:
        data.prompt = {"key": key, "keyboard": None, "values": {}}
    return True
