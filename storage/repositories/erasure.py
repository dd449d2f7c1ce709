"""Deleting an account and every row that names it or its address (cancelación ARCO)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Account,
    ChatSession,
    Company,
    ConfirmationCode,
    Csd,
    EmailChange,
    KnownChat,
    OutboxMessage,
    RateEvent,
    ResetCode,
    SupportRequest,
)
from storage.repositories._rows import affected


async def erase_account(
    *,
    session: AsyncSession,
    account_id: int,
    email: str,
    rate_keys: Iterable[str] = (),
    rate_key_prefixes: Iterable[str] = (),
) -> int:
    """Delete the account, its company data, its CSD, codes, pending changes of address (its own,
    and others' to its address, whose codes were mailed to nobody), sessions, known
    chats, the problems it wrote with /soporte, the reset codes asked for its address, the
    mail to its address (sent or not),
    the mail sent to the addresses it asked to change to and its codes still queued for
    them, the mail already sent to the addresses it had before (one still on its way is the
    notice of the change, which its old inbox must get: its row stays, as the last
    notice's), and the rate-limit events under `rate_keys` or under
    keys that begin with one of `rate_key_prefixes`.
    Written out table by table rather than left to ON DELETE CASCADE, so that what goes is
    read here. How many rows went."""
    removed = 0
    # The addresses it asked to change to: what was mailed there answered its request.
    # Only mail already done with goes, and its own codes still queued: one such address
    # may be another account's, with its own mail on the way. A code's row is known by
    # its recipient and its expiry, the request's own (services/email_change.py).
    requested = select(EmailChange.new_email).where(EmailChange.account_id == account_id)
    done = or_(OutboxMessage.sent_at.is_not(None), OutboxMessage.given_up_at.is_not(None))
    its_code = exists().where(
        EmailChange.account_id == account_id,
        EmailChange.new_email == OutboxMessage.recipient,
        EmailChange.expires_at == OutboxMessage.expires_at,
    )
    former = select(EmailChange.old_email).where(
        EmailChange.account_id == account_id, EmailChange.old_email.is_not(None)
    )
    for statement in (
        delete(OutboxMessage).where(OutboxMessage.recipient.in_(requested), or_(done, its_code)),
        delete(OutboxMessage).where(OutboxMessage.recipient.in_(former), done),
        delete(Company).where(Company.account_id == account_id),
        delete(Csd).where(Csd.account_id == account_id),
        delete(ConfirmationCode).where(ConfirmationCode.account_id == account_id),
        delete(EmailChange).where(
            or_(EmailChange.account_id == account_id, EmailChange.new_email == email)
        ),
        delete(ResetCode).where(or_(ResetCode.account_id == account_id, ResetCode.email == email)),
        delete(SupportRequest).where(SupportRequest.account_id == account_id),
        delete(ChatSession).where(ChatSession.account_id == account_id),
        delete(KnownChat).where(KnownChat.account_id == account_id),
        delete(OutboxMessage).where(OutboxMessage.recipient == email),
        delete(RateEvent).where(RateEvent.key.in_(list(rate_keys))),
        *(
            delete(RateEvent).where(RateEvent.key.startswith(prefix, autoescape=True))
            for prefix in rate_key_prefixes
        ),
        delete(Account).where(Account.id == account_id),
    ):
        removed += affected(await session.execute(statement))
    return removed


async def email_change_requests(*, session: AsyncSession, account_id: int) -> Sequence[EmailChange]:
    """Every request the account made to change its address, spent or not."""
    result = await session.scalars(select(EmailChange).where(EmailChange.account_id == account_id))
    return result.all()
