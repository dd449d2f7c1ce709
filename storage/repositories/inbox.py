"""The inbox: updates taken from Telegram and not yet processed, by update_id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxUpdate
from storage.repositories._rows import affected, insert_into


async def add_updates(
    *, session: AsyncSession, updates: Sequence[dict[str, Any]], now: datetime
) -> set[int]:
    """Store updates (`update_id`, `chat_id`, `payload`) in one statement; an update_id
    already there (Telegram delivering it again) is left as it is. Returns the update_ids
    stored now."""
    if not updates:
        return set()
    table = cast(Table, InboxUpdate.__table__)
    statement = (
        insert_into(session, table)
        .values([{**row, "received_at": now, "done_at": None} for row in updates])
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(table.c.update_id)
    )
    return set((await session.scalars(statement)).all())


async def pending_updates(
    *,
    session: AsyncSession,
    limit: int,
    skip: Sequence[int] = (),
    busy_chats: Sequence[int] = (),
) -> Sequence[InboxUpdate]:
    """The oldest update not yet done of each chat, leaving out the updates `skip` and
    the chats `busy_chats` (one of whose updates is in hand), in update_id order: one
    chat's many updates never fill what is read."""
    oldest = select(func.min(InboxUpdate.update_id)).where(InboxUpdate.done_at.is_(None))
    if skip:
        oldest = oldest.where(InboxUpdate.update_id.not_in(list(skip)))
    query = (
        select(InboxUpdate)
        .where(InboxUpdate.update_id.in_(oldest.group_by(InboxUpdate.chat_id)))
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    if busy_chats:
        query = query.where(
            or_(InboxUpdate.chat_id.is_(None), InboxUpdate.chat_id.not_in(list(busy_chats)))
        )
    return (await session.scalars(query)).all()


async def count_pending_updates(*, session: AsyncSession, skip: Sequence[int] = ()) -> int:
    """The updates not yet done, leaving out `skip`."""
    query = select(func.count()).select_from(InboxUpdate).where(InboxUpdate.done_at.is_(None))
    if skip:
        query = query.where(InboxUpdate.update_id.not_in(list(skip)))
    return int(await session.scalar(query) or 0)


async def finish_update(*, session: AsyncSession, update_id: int, now: datetime) -> None:
    """The update is processed: its payload goes, its update_id stays for a while."""
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id)
        .values(done_at=now, payload=None)
    )


async def delete_done_updates_before(*, session: AsyncSession, before: datetime) -> int:
    return affected(await session.execute(delete(InboxUpdate).where(InboxUpdate.done_at < before)))


async def give_up_updates_before(*, session: AsyncSession, before: datetime, now: datetime) -> int:
    """Updates received before `before` and still not done (they failed at each try):
    marked done, their payload dropped. How many."""
    result = await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.done_at.is_(None), InboxUpdate.received_at < before)
        .values(done_at=now, payload=None)
    )
    return affected(result)
