"""Chat sessions (which account a chat is signed in to) and known chats (where an
account has signed in before)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatSession, KnownChat
from storage.repositories._rows import affected, upsert


async def bind_chat(
    *, session: AsyncSession, chat_id: int, account_id: int, now: datetime
) -> int | None:
    """Sign the chat in to the account, and remember the chat as one of the account's own.
    Returns the account the chat was signed in to before, if any. Written as upserts, so
    that a sign-in and a reset of the same chat at the same moment both land."""
    previous = await session.scalar(
        select(ChatSession.account_id).where(ChatSession.chat_id == chat_id)
    )
    await upsert(
        session,
        ChatSession,
        {"chat_id": chat_id, "account_id": account_id, "signed_in_at": now, "last_seen_at": now},
        ["chat_id"],
    )
    await upsert(
        session,
        KnownChat,
        {"account_id": account_id, "chat_id": chat_id, "last_signed_in_at": now},
        ["account_id", "chat_id"],
    )
    return previous


async def is_known_chat(*, session: AsyncSession, account_id: int, chat_id: int) -> bool:
    """Whether the account has been signed in in this chat before."""
    return await session.get(KnownChat, (account_id, chat_id)) is not None


async def sign_out_account(*, session: AsyncSession, account_id: int) -> None:
    """Sign every chat out of the account."""
    await session.execute(delete(ChatSession).where(ChatSession.account_id == account_id))


async def get_chat_session(
    *, session: AsyncSession, chat_id: int, for_update: bool = False
) -> ChatSession | None:
    """`for_update`: a sign-in, sign-out or reset of this chat waits until the transaction
    ends (PostgreSQL; SQLite runs one write transaction at a time)."""
    if for_update:
        return await session.get(ChatSession, chat_id, with_for_update=True, populate_existing=True)
    return await session.get(ChatSession, chat_id)


async def unbind_chat(*, session: AsyncSession, chat_id: int) -> bool:
    result = await session.execute(delete(ChatSession).where(ChatSession.chat_id == chat_id))
    return affected(result) > 0


async def account_chat_sessions(*, session: AsyncSession, account_id: int) -> list[ChatSession]:
    """The sessions of the chats signed in to the account (some may have idled out)."""
    result = await session.scalars(select(ChatSession).where(ChatSession.account_id == account_id))
    return list(result.all())


async def sign_out_other_chats(*, session: AsyncSession, account_id: int, chat_id: int) -> int:
    """Sign every chat but `chat_id` out of the account; how many were signed out."""
    result = await session.execute(
        delete(ChatSession).where(
            ChatSession.account_id == account_id, ChatSession.chat_id != chat_id
        )
    )
    return affected(result)
