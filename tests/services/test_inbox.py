"""The inbox: what is read back of it takes one update of each chat, oldest first, so
that one chat's flood never fills it; an update that failed for a day is given up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.housekeeping import Housekeeping
from services.inbox import Inbox, Received
from storage.crypto import SecretBox, new_key
from storage.models import InboxUpdate

pytestmark = pytest.mark.postgres  # the SQL of the read-back


def message(update_id: int, chat_id: int) -> Received:
    return Received(update_id, chat_id, {"update_id": update_id, "text": f"hola {update_id}"})


async def test_the_backlog_gives_each_chat_its_oldest_update_and_skips_busy_chats(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = Inbox(sessions, SecretBox([new_key()]))
    flood = [message(update_id, 1) for update_id in range(1, 51)]  # chat 1: 50 messages
    await inbox.store([*flood, message(51, 2), message(52, 3), message(53, 2)])
    found = await inbox.pending(10)
    assert [(item.update_id, item.chat_id) for item in found] == [(1, 1), (51, 2), (52, 3)]
    found = await inbox.pending(10, skip=[1, 51], busy_chats=[1, 2])  # in hand
    assert [item.update_id for item in found] == [52]
    assert await inbox.count_pending(skip=[1, 51]) == 51


async def test_an_update_that_failed_for_a_day_is_given_up_and_its_text_dropped(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2026, 12, 4, 12, tzinfo=UTC)
    inbox = Inbox(sessions, SecretBox([new_key()]), clock=lambda: now)
    await inbox.store([message(1, 1)])
    now += timedelta(hours=23)
    await inbox.store([message(2, 1)])
    now += timedelta(hours=2)
    await Housekeeping(sessions=sessions, clock=lambda: now).prune()
    assert [item.update_id for item in await inbox.pending(10)] == [2]
    async with sessions() as session:
        given_up = await session.get(InboxUpdate, 1)
        assert given_up is not None and given_up.payload is None
        kept = (
            await session.scalars(select(InboxUpdate.payload).where(InboxUpdate.update_id == 2))
        ).one()
    assert kept is not None
