"""Data functions over one AsyncSession. They flush when they must, never commit:
the service that opened the session owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Account,
    ChatDataRow,
    ChatSession,
    Company,
    ConfirmationCode,
    ConversationState,
    KnownChat,
    OutboxMessage,
    RateEvent,
    ResetCode,
)

# Accounts


async def get_account_by_email(
    *, session: AsyncSession, email: str, for_update: bool = False
) -> Account | None:
    """`for_update`: lock the row until the transaction ends (PostgreSQL; SQLite runs one
    write transaction at a time), so that what was read still holds when it is written."""
    query = select(Account).where(Account.email == email)
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return await session.scalar(query)


async def get_account(
    *, session: AsyncSession, account_id: int, for_update: bool = False
) -> Account | None:
    if for_update:
        return await session.get(Account, account_id, with_for_update=True, populate_existing=True)
    return await session.get(Account, account_id)


async def add_account(
    *,
    session: AsyncSession,
    email: str,
    rfc: str,
    password_hash: str,
    language: str,
    signup_user_id: int | None = None,
    now: datetime | None = None,
) -> Account:
    """Insert an account; raises IntegrityError when the email is taken."""
    account = Account(
        email=email,
        rfc=rfc,
        password_hash=password_hash,
        language=language,
        signup_user_id=signup_user_id,
    )
    if now is not None:
        account.created_at = account.password_changed_at = now
    session.add(account)
    await session.flush()
    return account


# Confirmation codes


async def add_confirmation_code(
    *, session: AsyncSession, account_id: int, code_hash: str, expires_at: datetime
) -> None:
    session.add(ConfirmationCode(account_id=account_id, code_hash=code_hash, expires_at=expires_at))
    await session.flush()


async def find_confirmation_codes(
    *, session: AsyncSession, code_hashes: Iterable[str]
) -> Sequence[ConfirmationCode]:
    hashes = list(code_hashes)
    if not hashes:
        return []
    result = await session.scalars(
        select(ConfirmationCode).where(ConfirmationCode.code_hash.in_(hashes))
    )
    return result.all()


async def get_confirmation_code(*, session: AsyncSession, code_id: int) -> ConfirmationCode | None:
    return await session.get(ConfirmationCode, code_id, populate_existing=True)


async def claim_confirmation_code(*, session: AsyncSession, code_id: int, now: datetime) -> bool:
    """Mark the code used; only one of two simultaneous claims finds it unused."""
    claimed = await session.execute(
        update(ConfirmationCode)
        .where(ConfirmationCode.id == code_id, ConfirmationCode.used_at.is_(None))
        .values(used_at=now)
    )
    return claimed.rowcount == 1


async def delete_unused_codes(*, session: AsyncSession, account_id: int) -> None:
    await session.execute(
        delete(ConfirmationCode).where(
            ConfirmationCode.account_id == account_id, ConfirmationCode.used_at.is_(None)
        )
    )


# Chat sessions


async def bind_chat(
    *, session: AsyncSession, chat_id: int, account_id: int, now: datetime
) -> int | None:
    """Sign the chat in to the account, and remember the chat as one of the account's own.
    Returns the account the chat was signed in to before, if any."""
    existing = await session.get(ChatSession, chat_id)
    previous = existing.account_id if existing else None
    if existing is None:
        session.add(
            ChatSession(chat_id=chat_id, account_id=account_id, signed_in_at=now, last_seen_at=now)
        )
    else:
        existing.account_id = account_id
        existing.signed_in_at = now
        existing.last_seen_at = now
    known = await session.get(KnownChat, (account_id, chat_id))
    if known is None:
        session.add(KnownChat(account_id=account_id, chat_id=chat_id, last_signed_in_at=now))
    else:
        known.last_signed_in_at = now
    await session.flush()
    return previous


async def is_known_chat(*, session: AsyncSession, account_id: int, chat_id: int) -> bool:
    """Whether the account has been signed in in this chat before."""
    return await session.get(KnownChat, (account_id, chat_id)) is not None


async def sign_out_account(*, session: AsyncSession, account_id: int) -> None:
    """Sign every chat out of the account."""
    await session.execute(delete(ChatSession).where(ChatSession.account_id == account_id))


async def get_chat_session(*, session: AsyncSession, chat_id: int) -> ChatSession | None:
    return await session.get(ChatSession, chat_id)


# Outbox


async def add_outbox_message(*, session: AsyncSession, message: OutboxMessage) -> None:
    session.add(message)
    await session.flush()


async def due_outbox_messages(
    *, session: AsyncSession, now: datetime, limit: int
) -> Sequence[OutboxMessage]:
    result = await session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.sent_at.is_(None),
            OutboxMessage.given_up_at.is_(None),
            OutboxMessage.next_attempt_at <= now,
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    return result.all()


async def next_outbox_attempt(*, session: AsyncSession) -> datetime | None:
    return await session.scalar(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.sent_at.is_(None), OutboxMessage.given_up_at.is_(None)
        )
    )


async def mark_outbox_sent(*, session: AsyncSession, message_id: int, now: datetime) -> None:
    """Sent: its bodies (which may hold a code) are not kept."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
            last_error=None,
            text_body="",
            html_body="",
        )
    )


async def give_up_outbox_message(*, session: AsyncSession, message_id: int, now: datetime) -> None:
    """Not worth sending any more: its bodies are not kept either."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(given_up_at=now, text_body="", html_body="")
    )


async def mark_outbox_failed(
    *, session: AsyncSession, message_id: int, error: str, retry_at: datetime
) -> None:
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            attempts=OutboxMessage.attempts + 1, last_error=error[:2000], next_attempt_at=retry_at
        )
    )


# Rate-limit events


async def add_rate_event(*, session: AsyncSession, key: str, at: datetime) -> int:
    event = RateEvent(key=key, at=at)
    session.add(event)
    await session.flush()
    return event.id


async def lock_keys(*, session: AsyncSession, keys: Iterable[str]) -> None:
    """Hold a lock on each key until the transaction ends, taken in a fixed order so that
    two transactions cannot wait for each other. Only PostgreSQL needs it: SQLite runs one
    write transaction at a time (they begin IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in sorted(set(keys)):
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(key))))


async def delete_rate_events(*, session: AsyncSession, ids: Iterable[int]) -> None:
    wanted = list(ids)
    if wanted:
        await session.execute(delete(RateEvent).where(RateEvent.id.in_(wanted)))


async def delete_rate_events_by_key(*, session: AsyncSession, key: str) -> None:
    await session.execute(delete(RateEvent).where(RateEvent.key == key))


async def rate_events_since(
    *, session: AsyncSession, key: str, since: datetime
) -> Sequence[datetime]:
    """Times of the events under `key` since `since`, oldest first."""
    result = await session.scalars(
        select(RateEvent.at)
        .where(RateEvent.key == key, RateEvent.at >= since)
        .order_by(RateEvent.at)
    )
    return result.all()


async def delete_rate_events_before(*, session: AsyncSession, before: datetime) -> None:
    await session.execute(delete(RateEvent).where(RateEvent.at < before))


# Conversation state (for the bot's persistence)


async def _upsert(session: AsyncSession, model: type, rows: list[dict], keys: list[str]) -> None:
    """Insert or update many rows. Executed as one statement with many parameter sets: its
    compiled form is cached, where a VALUES list of hundreds of rows was compiled anew on the
    event loop each time (tens of milliseconds)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model.__table__)  # type: ignore[attr-defined]
    updated = {c: statement.excluded[c] for c in rows[0] if c not in keys}
    await session.execute(statement.on_conflict_do_update(index_elements=keys, set_=updated), rows)


async def load_conversation_states(
    *, session: AsyncSession, name: str
) -> Sequence[ConversationState]:
    result = await session.scalars(select(ConversationState).where(ConversationState.name == name))
    return result.all()


async def save_conversation_states(
    *, session: AsyncSession, changes: dict[tuple[str, str], object]
) -> None:
    """Store each (name, key) -> state; a state of None ends that conversation."""
    ended = [key for key, state in changes.items() if state is None]
    kept = [
        {"name": name, "key": key, "state": state}
        for (name, key), state in changes.items()
        if state is not None
    ]
    if ended:
        table = ConversationState.__table__
        await session.execute(
            delete(table).where(table.c.name == bindparam("n"), table.c.key == bindparam("k")),
            [{"n": name, "k": key} for name, key in ended],
        )
    if kept:
        await _upsert(session, ConversationState, kept, ["name", "key"])


async def load_chat_data(*, session: AsyncSession) -> Sequence[ChatDataRow]:
    result = await session.scalars(select(ChatDataRow))
    return result.all()


async def save_chat_data(
    *, session: AsyncSession, changes: dict[int, dict | None], now: datetime
) -> None:
    """Store each chat's data; None drops it."""
    dropped = [chat_id for chat_id, data in changes.items() if data is None]
    kept = [
        {"chat_id": chat_id, "data": data, "updated_at": now}
        for chat_id, data in changes.items()
        if data is not None
    ]
    if dropped:
        await session.execute(delete(ChatDataRow).where(ChatDataRow.chat_id.in_(dropped)))
    if kept:
        await _upsert(session, ChatDataRow, kept, ["chat_id"])


async def unbind_chat(*, session: AsyncSession, chat_id: int) -> bool:
    result = await session.execute(delete(ChatSession).where(ChatSession.chat_id == chat_id))
    return bool(result.rowcount)


# Company data


async def get_company(*, session: AsyncSession, account_id: int) -> Company | None:
    return await session.get(Company, account_id)


async def save_company(*, session: AsyncSession, account_id: int, values: dict) -> None:
    company = await session.get(Company, account_id)
    if company is None:
        session.add(Company(account_id=account_id, **values))
    else:
        for name, value in values.items():
            setattr(company, name, value)
    await session.flush()


# Password-reset codes


async def add_reset_code(*, session: AsyncSession, code: ResetCode) -> None:
    """Store a chat's new code; the chat's earlier unused codes stop working."""
    await session.execute(
        delete(ResetCode).where(ResetCode.chat_id == code.chat_id, ResetCode.used_at.is_(None))
    )
    session.add(code)
    await session.flush()


async def latest_reset_code(*, session: AsyncSession, chat_id: int, email: str) -> ResetCode | None:
    return await session.scalar(
        select(ResetCode)
        .where(ResetCode.chat_id == chat_id, ResetCode.email == email, ResetCode.used_at.is_(None))
        .order_by(ResetCode.id.desc())
        .limit(1)
    )


async def count_reset_try(*, session: AsyncSession, code_id: int, most: int) -> int | None:
    """Count one try of the code, unless it has had `most` already (then None): one
    statement, so that simultaneous tries cannot pass the cap. Returns the tries so far."""
    result = await session.execute(
        update(ResetCode)
        .where(ResetCode.id == code_id, ResetCode.attempts < most)
        .values(attempts=ResetCode.attempts + 1)
        .returning(ResetCode.attempts)
    )
    return result.scalar_one_or_none()


async def mark_reset_verified(*, session: AsyncSession, code_id: int, now: datetime) -> bool:
    result = await session.execute(
        update(ResetCode)
        .where(ResetCode.id == code_id, ResetCode.used_at.is_(None))
        .values(verified_at=now)
    )
    return result.rowcount == 1


async def verified_reset_code(
    *, session: AsyncSession, code_id: int, chat_id: int, verified_since: datetime
) -> ResetCode | None:
    """The chat's code if it was verified since `verified_since` and is still unused."""
    return await session.scalar(
        select(ResetCode).where(
            ResetCode.id == code_id,
            ResetCode.chat_id == chat_id,
            ResetCode.account_id.is_not(None),
            ResetCode.used_at.is_(None),
            ResetCode.verified_at >= verified_since,
        )
    )


async def claim_reset_code(
    *, session: AsyncSession, code_id: int, chat_id: int, verified_since: datetime, now: datetime
) -> int | None:
    """Use the chat's verified code once; the account it is for, or None when the code is
    not good for it (unverified, used, verified too long ago, another chat's)."""
    result = await session.execute(
        update(ResetCode)
        .where(
            ResetCode.id == code_id,
            ResetCode.chat_id == chat_id,
            ResetCode.account_id.is_not(None),
            ResetCode.used_at.is_(None),
            ResetCode.verified_at >= verified_since,
        )
        .values(used_at=now)
        .returning(ResetCode.account_id)
    )
    return result.scalar_one_or_none()


async def delete_unused_reset_codes(*, session: AsyncSession, account_id: int) -> None:
    await session.execute(
        delete(ResetCode).where(ResetCode.account_id == account_id, ResetCode.used_at.is_(None))
    )
