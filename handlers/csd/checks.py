"""After the two files: the replacement agreed (old and new serials shown), the key's
password (deleted as soon as read), the checks a PAC makes, and the result; then, if the
certificate's name is not the razón social on file, the offer to take it."""

from __future__ import annotations

import logging

from telegram import Update

from chat.common import (
    ask,
    ask_again,
    close_buttons,
    end_flow,
    format_wait,
    prompt_text,
    remember,
    say,
)
from chat.context import BotContext, chat_id, user_id
from chat.secrets import forget_secret
from handlers.csd.steps import Step, days_left, decode, draft, finish, local_date
from handlers.passwords import read_secret
from handlers.privacy import may_store
from services.company_fields import clean_razon_social
from services.csd import CsdStatus, StoredCsd
from services.csd_files import (
    Certificate,
    Checked,
    Refusal,
    holder_matches,
    name_without_capital,
    read_certificate,
)
from services.validation import Invalid

logger = logging.getLogger(__name__)

# The refusals only the password step finds, each with its text; the others are found as
# the files arrive (upload.py).
AFTER_PASSWORD = {
    Refusal.IS_FIEL: "csd.refusal.is-fiel",
    Refusal.NOT_A_KEY: "csd.refusal.not-a-key",  # it would not open in time
    Refusal.KEY_MISMATCH: "csd.refusal.key-mismatch",
    Refusal.NOT_YET_VALID: "csd.refusal.not-yet-valid",
    Refusal.EXPIRED: "csd.refusal.expired",
    Refusal.RFC_MISMATCH: "csd.refusal.rfc-mismatch",
}


def certificate_in_draft(context: BotContext) -> Certificate:
    der = decode(draft(context).certificate)
    assert der is not None, "the certificate is asked for before this step"
    return read_certificate(der)


async def after_files(update: Update, context: BotContext) -> Step:
    """With both files: agree to replace the stored CSD first, if there is one; then the
    password. Otherwise the file still missing."""
    from handlers.csd.upload import ask_files  # the files' step leads here and back

    current = draft(context)
    if current.certificate is None or current.key is None:
        return await ask_files(update, context)
    stored = await context.services.csd.current(account_id=current.account_id)
    if stored is not None and current.replacing != stored.serial:
        current.asked_about = stored.serial
        new = certificate_in_draft(context).serial
        await ask(
            update,
            context,
            "csd.confirm-replace",
            keyboard="csd-replace",
            old=stored.serial,
            new=new,
        )
        return Step.CONFIRM_REPLACE
    await ask(update, context, "csd.ask-password")
    return Step.PASSWORD


async def agree_to_replace(update: Update, context: BotContext) -> Step:
    """«Sí, reemplazarlo»: on to the password of the new one."""
    await close_buttons(update)
    # The one the question named: if another chat stored a new one since, it is asked anew.
    draft(context).replacing = draft(context).asked_about
    return await after_files(update, context)


async def keep_stored(update: Update, context: BotContext) -> int:
    """«No, conservar el actual»: nothing changes; the files sent are dropped."""
    await close_buttons(update)
    await say(update, context, "csd.kept")
    return finish(context)


async def receive_password(update: Update, context: BotContext) -> Step | int | None:
    """Delete the password's message, check the pair with it and store it (once the aviso
    de privacidad in force is accepted); say why not."""
    password, deleted = await read_secret(update, context)
    if not deleted:
        await say(update, context, "signup.password-not-deleted")
    current = draft(context)
    account = await context.services.signin.current_account(chat_id(update))
    if account is None or account.id != current.account_id:
        if current.certificate is None or current.key is None:  # the account was deleted
            await say(update, context, "csd.session-ended-files-gone")
            return finish(context)
        await say(update, context, "csd.session-ended")
        return end_flow(context)  # the files stay for the next /csd
    on_file = await context.services.csd.current(account_id=current.account_id)
    if on_file is not None and on_file.serial != current.replacing:
        # Another chat stored a CSD since the replacement was agreed (or none was stored
        # then): nothing is replaced unseen; the question again, then the password.
        return await after_files(update, context)
    if not await may_store(update, context):
        # A new aviso de privacidad came into force while the files were being sent: they
        # stay in the draft, and after «Acepto» the password is asked again.
        return None
    certificate, key = decode(current.certificate), decode(current.key)
    assert certificate is not None and key is not None
    outcome = await context.services.csd.check(
        account_id=current.account_id,
        chat_id=chat_id(update),
        user_id=user_id(update),
        certificate=certificate,
        key=key,
        password=password,
    )
    if outcome.status is CsdStatus.LOCKED:
        await say(update, context, "csd.locked", wait=format_wait(update, context, outcome.wait))
        return end_flow(context)  # the files stay for the next /csd
    if outcome.status is CsdStatus.REFUSED:
        assert outcome.refusal is not None
        return await refused(update, context, outcome.refusal)
    assert outcome.checked is not None
    stored = await context.services.csd.store(
        account_id=current.account_id, checked=outcome.checked, password=password
    )
    forget_secret(context)  # the password did its work: what comes next is no secret
    return await accepted(update, context, outcome.checked, stored.replaced)


async def refused(update: Update, context: BotContext, refusal: Refusal) -> Step | None:
    """A wrong password: ask it again. Anything else is the pair's fault: its reason, and
    both files asked for again."""
    if refusal is Refusal.WRONG_PASSWORD:
        await ask_again(update, context, "csd.refusal.wrong-password")
        return None
    certificate = certificate_in_draft(context)
    current = draft(context)
    current.certificate = current.key = None
    current.replacing = None
    remember(context, "csd.ask-files")
    await say(
        update,
        context,
        AFTER_PASSWORD[refusal],
        certificate_rfc=certificate.rfc,
        account_rfc=current.rfc,
        valid_from=local_date(update, context, certificate.valid_from),
        valid_until=local_date(update, context, certificate.valid_until),
        prompt=prompt_text(update, context),
    )
    return Step.FILES


async def accepted(
    update: Update, context: BotContext, checked: Checked, replaced: StoredCsd | None
) -> Step | int:
    """Stored: its serial, dates and holder; the old serial it replaced; a warning when it
    expires within 30 days; then the razón social, if it differs from the holder."""
    certificate = checked.certificate
    valid_until = local_date(update, context, certificate.valid_until)
    await say(
        update,
        context,
        "csd.accepted",
        serial=certificate.serial,
        holder=certificate.holder,
        valid_from=local_date(update, context, certificate.valid_from),
        valid_until=valid_until,
    )
    if replaced is not None:
        await say(update, context, "csd.replaced", old=replaced.serial)
    if checked.expires_soon:
        await say(
            update,
            context,
            "csd.expires-soon",
            days=days_left(update, context, checked.days_left),
            valid_until=valid_until,
        )
    current = draft(context)
    current.certificate = current.key = None  # stored: the draft keeps no copy
    company = await context.services.companies.get(current.account_id)
    if company is None or holder_matches(certificate.holder, company.razon_social):
        await say(update, context, "csd.what-next", keyboard="after-csd")
        return finish(context)
    try:  # the name as a razón social must pass the form's own checks (length, no "|")
        current.new_name = clean_razon_social(name_without_capital(certificate.holder))
    except Invalid:
        await say(
            update,
            context,
            "csd.name-differs-unusable",
            keyboard="after-csd",
            holder=certificate.holder,
            razon_social=company.razon_social,
        )
        return finish(context)
    await ask(
        update,
        context,
        "csd.name-differs",
        keyboard="csd-name",
        holder=certificate.holder,
        razon_social=company.razon_social,
        suggested=current.new_name,
    )
    return Step.NAME


async def use_certificate_name(update: Update, context: BotContext) -> int:
    """«Sí, usar …»: the razón social becomes the certificate's name (without the régimen
    capital), if the chat is still signed in to the account."""
    await close_buttons(update)
    current = draft(context)
    company = await context.services.companies.get(current.account_id)
    saved = False
    if company is not None and current.new_name:
        saved = await context.services.companies.save_for_chat(
            chat_id=chat_id(update),
            account_id=current.account_id,
            data=company.model_copy(update={"razon_social": current.new_name}),
        )
    if saved:
        await say(
            update, context, "csd.name-updated", keyboard="after-csd", razon_social=current.new_name
        )
    else:
        await say(update, context, "csd.name-not-updated")
    return finish(context)


async def keep_name(update: Update, context: BotContext) -> int:
    """«No, dejarla como está»."""
    await close_buttons(update)
    await say(update, context, "csd.name-kept", keyboard="after-csd")
    return finish(context)
