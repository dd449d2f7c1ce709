"""The outbox as an operator sees it: pending, given up, and the oldest pending's age."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.mail_status import MailStatusService, describe_age
from storage import repositories
from storage.models import OutboxMessage, utcnow
from tests.factories import Clock


def message(n: int, **fields: object) -> OutboxMessage:
    return OutboxMessage(
        message_id=f"<{n}@example.mx>",
        recipient=f"p{n}@example.mx",
        subject="s",
        text_body="",
        html_body="",
        **fields,
    )


async def test_pending_given_up_and_the_age_of_the_oldest_pending(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    now = utcnow()
    async with sessions() as session, session.begin():
        for row in (
            message(1, created_at=now - timedelta(hours=5)),  # pending, the oldest
            message(2, created_at=now - timedelta(minutes=3)),  # pending
            message(3, created_at=now - timedelta(days=9), given_up_at=now),  # dead
            message(4, created_at=now - timedelta(days=8), sent_at=now),  # sent
        ):
            await repositories.add_outbox_message(session=session, message=row)
    status = await MailStatusService(sessions=sessions, clock=Clock(now=now)).report()
    assert (status.pending, status.dead) == (2, 1)
    assert status.oldest_pending_age == timedelta(hours=5)


async def test_nothing_pending_has_no_age(sessions: async_sessionmaker[AsyncSession]) -> None:
    status = await MailStatusService(sessions=sessions).report()
    assert (status.pending, status.dead, status.oldest_pending_age) == (0, 0, None)


def test_ages_are_said_in_their_largest_whole_unit() -> None:
    assert [
        describe_age(timedelta(seconds=s)) for s in (45, 600, 5 * 3600 + 59, 3 * 86400 + 1)
    ] == ["45 s", "10 min", "5 h", "3 d"]
