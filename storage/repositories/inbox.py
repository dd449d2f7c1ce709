"""The inbox: updates taken from Telegram and not yet processed, by update_id."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import BotProcess, InboxUpdate
from storage.repositories._rows import affected, insert_into


async def add_updates(
    *,
    session: AsyncSession,
    updates: Sequence[dict[str, Any]],
    now: datetime,
    owner: int | None = None,
) -> set[int]:
    """Store updates (`update_id`, `chat_id`, `payload`), owned by process `owner`, in one
    statement; an update_id already there (Telegram delivering it again) is left as it
    is. Returns the update_ids stored now."""
    if not updates:
        return set()
    table = cast(Table, InboxUpdate.__table__)
    statement = (
        insert_into(session, table)
        .values(
            [
                {**row, "received_at": now, "done_at": None, "owner": owner, "failures": 0}
                for row in updates
            ]
        )
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(table.c.update_id)
    )
    return set((await session.scalars(statement)).all())


def _waiting(owner: int | None) -> Any:
    """Not done, owned by `owner` (None: by any process); failed or not, as the owner
    tries a failed one again after a pause."""
    if owner is None:
        return InboxUpdate.done_at.is_(None)
    return and_(InboxUpdate.done_at.is_(None), InboxUpdate.owner == owner)


async def pending_updates(
    *,
    session: AsyncSession,
    limit: int,
    owner: int | None = None,
    skip: Sequence[int] = (),
    busy_chats: Sequence[int] = (),
) -> Sequence[InboxUpdate]:
    """Of process `owner`'s updates not yet done, the oldest of each chat,
    leaving out the updates `skip` and the chats `busy_chats` (one of whose updates is in
    hand), in update_id order: one chat's many updates never fill what is read."""
    oldest = select(func.min(InboxUpdate.update_id)).where(_waiting(owner))
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


async def count_pending_updates(
    *, session: AsyncSession, owner: int | None = None, skip: Sequence[int] = ()
) -> int:
    """Process `owner`'s updates not yet done, leaving out `skip`."""
    query = select(func.count()).select_from(InboxUpdate).where(_waiting(owner))
    if skip:
        query = query.where(InboxUpdate.update_id.not_in(list(skip)))
    return int(await session.scalar(query) or 0)


async def count_waiting_in_chat(*, session: AsyncSession, chat_id: int, most: int) -> int:
    """The chat's updates not yet done, whoever owns them, counted up to `most`."""
    waiting = (
        select(InboxUpdate.update_id)
        .where(InboxUpdate.chat_id == chat_id, InboxUpdate.done_at.is_(None))
        .limit(most)
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(waiting)) or 0)


async def first_in_line(*, session: AsyncSession, chat_id: int) -> int | None:
    """The chat's oldest update not yet done and not failed, whichever process owns it:
    the one to process next, under the chat's lock."""
    query = select(func.min(InboxUpdate.update_id)).where(
        InboxUpdate.chat_id == chat_id,
        InboxUpdate.done_at.is_(None),
        InboxUpdate.failures == 0,
    )
    found: int | None = await session.scalar(query)
    return found


async def update_done(*, session: AsyncSession, update_id: int) -> bool | None:
    """Whether the update is done; None when the inbox does not hold it."""
    done_at = await session.execute(
        select(InboxUpdate.done_at).where(InboxUpdate.update_id == update_id)
    )
    row = done_at.first()
    return None if row is None else row[0] is not None


async def read_update(*, session: AsyncSession, update_id: int) -> InboxUpdate | None:
    """An update not yet done (None when it is done)."""
    query = select(InboxUpdate).where(
        InboxUpdate.update_id == update_id, InboxUpdate.done_at.is_(None)
    )
    row: InboxUpdate | None = await session.scalar(query)
    return row


async def fail_update(*, session: AsyncSession, update_id: int) -> None:
    """Its processing failed after its retries: it no longer holds its chat's later
    updates back (its owner tries it again later)."""
    await session.execute(
        update(InboxUpdate)
        .where(InboxUpdate.update_id == update_id, InboxUpdate.done_at.is_(None))
        .values(failures=InboxUpdate.failures + 1)
    )


async def adopt_updates(*, session: AsyncSession, owner: int, alive_since: datetime) -> int:
    """Take for process `owner` the updates not yet done whose owner stopped (its row
    gone) or died (not seen since `alive_since`), their failures forgotten: they are
    tried again.
    One statement: of several processes adopting at once, each row goes to one. How many."""
    live = select(BotProcess.id).where(BotProcess.seen_at >= alive_since)
    result = await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.done_at.is_(None),
            or_(
                InboxUpdate.owner.is_(None),
                and_(InboxUpdate.owner != owner, InboxUpdate.owner.not_in(live)),
            ),
        )
        .values(owner=owner, failures=0)
    )
    return affected(result)


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
