"""Changing the account's email address: the new address, then the code mailed to it."""

from __future__ import annotations

from telegram import Update

from chat.common import ask, ask_again, close_buttons, format_wait, say
from chat.context import BotContext, chat_id, pressed, typed, user_id
from chat.reasons import say_reason
from handlers.account.steps import Step, draft, finish, session_over, verified_at
from handlers.email_typo import EMAIL_AS_TYPED
from handlers.passwords import not_a_secret
from services import one_time_codes
from services.email_change import ChangeStatus, RequestStatus
from services.validation import Invalid, parse_email, suggest_email


async def receive_new_email(update: Update, context: BotContext) -> Step | int:
    """Check the new address as sign-up does (a likely typo in a common provider's domain
    gets a suggestion first), and mail it a code."""
    try:
        email = parse_email(typed(update))
    except Invalid as error:
        # Not an address: perhaps the password, sent once more. It goes from the chat.
        await say_reason(update, context, error)
        await not_a_secret(update, context)
        return Step.NEW_EMAIL
    suggested = suggest_email(email)
    if suggested is not None:
        current = draft(context)
        current.typed_email, current.suggested_email = email, suggested
        await ask(
            update,
            context,
            "signup.typo.ask",
            keyboard="email-typo",
            typed=email,
            suggested=suggested,
        )
        return Step.NEW_EMAIL_TYPO
    return await request_change(update, context, email)


async def choose_new_email(update: Update, context: BotContext) -> Step | int:
    """«Sí, usar …» takes the suggested address, «No, dejar …» the one typed."""
    query = pressed(update)
    await close_buttons(update)
    current = draft(context)
    chosen = current.typed_email if query.data == EMAIL_AS_TYPED else None
    chosen = chosen or current.suggested_email
    current.typed_email = current.suggested_email = None
    if chosen is None:  # a button of a question already answered
        await ask(update, context, "account.ask-new-email")
        return Step.NEW_EMAIL
    return await request_change(update, context, chosen)


async def request_change(update: Update, context: BotContext, email: str) -> Step | int:
    """Mail a code to `email`; the answer is the same whoever holds the address."""
    current = draft(context)
    result = await context.services.email_change.request(
        chat_id=chat_id(update),
        user_id=user_id(update),
        account_id=current.account_id,
        new_email=email,
        verified_at=verified_at(context),
    )
    if result.status is RequestStatus.SAME:
        await ask_again(update, context, "account.same-email")
        return Step.NEW_EMAIL
    if result.status is RequestStatus.LIMITED:
        wait = format_wait(update, context, result.retry_after)
        await say(update, context, "account.change-wait", wait=wait)
        return finish(context)
    if result.status is RequestStatus.SIGNED_OUT:
        return await session_over(update, context)
    current.new_email = email
    await say(update, context, "account.code-sent", email=email)
    await ask(update, context, "account.ask-code", email=email)
    return Step.CODE


async def receive_code(update: Update, context: BotContext) -> Step | int:
    """Check the code: only something shaped like one counts as a try; the right one
    changes the address."""
    text = typed(update)
    if not one_time_codes.candidates(text):
        await ask_again(update, context, "account.not-a-code")
        return Step.CODE
    check = await context.services.email_change.confirm(
        chat_id=chat_id(update),
        user_id=user_id(update),
        account_id=draft(context).account_id,
        text=text,
    )
    if check.status is ChangeStatus.CHANGED:
        return await changed(update, context, check.email or "", check.previous or "")
    if check.status is ChangeStatus.WRONG:
        key = "account.code-wrong-last" if check.tries_left == 1 else "account.code-wrong"
        await say(update, context, key, tries=check.tries_left)
        await ask(update, context, "account.ask-code", email=draft(context).new_email or "")
        return Step.CODE
    if check.status is ChangeStatus.SIGNED_OUT:
        return await session_over(update, context)
    await say(
        update,
        context,
        "account.code-no-tries"
        if check.status is ChangeStatus.NO_TRIES
        else "account.code-expired",
    )
    return finish(context)


async def changed(update: Update, context: BotContext, email: str, previous: str) -> int:
    """Say the new address; offer to make it the company's contact address when that was
    the old one, and to sign out the other chats, which stay signed in."""
    account_id = draft(context).account_id
    overview = await context.services.own_account.overview(
        chat_id=chat_id(update), account_id=account_id
    )
    others = overview.signed_in_chats - 1 if overview else 0
    # The next steps go with the change itself: the offers below are only for some.
    await say(update, context, "account.email-changed", keyboard="signed-in", email=email)
    contact = await context.services.companies.contact_email(account_id)
    if contact is not None and contact.casefold() == previous.casefold():
        await say(
            update,
            context,
            "account.contact-email-was-old",
            keyboard="contact-email",
            old=previous,
            email=email,
            account=account_id,
        )
    if others > 0:
        await say(
            update,
            context,
            "account.others-open-one" if others == 1 else "account.others-open",
            count=others,
            keyboard="sign-out-others",
            account=draft(context).account_id,
        )
    return finish(context)
