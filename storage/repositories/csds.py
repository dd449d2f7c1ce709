"""The issuer's CSD, one row per account, and the marks that keep each expiry email to one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Account, Csd
from storage.repositories._rows import affected, upsert

Reminder = Literal["reminded_30_at", "reminded_7_at"]


async def get_csd(
    *, session: AsyncSession, account_id: int, for_update: bool = False
) -> Csd | None:
    statement = select(Csd).where(Csd.account_id == account_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement)


async def save_csd(*, session: AsyncSession, account_id: int, values: dict[str, Any]) -> None:
    """Store the account's CSD, replacing the one it had (and its reminders' marks)."""
    row = {"account_id": account_id, "reminded_30_at": None, "reminded_7_at": None, **values}
    await upsert(session, Csd, row, ["account_id"])
    session.expire_all()  # an old row loaded in this session is stale now


async def delete_csd(*, session: AsyncSession, account_id: int, serial: str | None = None) -> bool:
    """The account's CSD; with `serial`, only if it is still that one."""
    statement = delete(Csd).where(Csd.account_id == account_id)
    if serial is not None:
        statement = statement.where(Csd.serial == serial)
    return affected(await session.execute(statement)) > 0


async def csds_to_remind(
    *, session: AsyncSession, reminder: Reminder, now: datetime, until: datetime
) -> Sequence[tuple[Csd, Account]]:
    """Still-valid CSDs that expire by `until` and have not had this reminder, with their
    accounts (the address and language to write to)."""
    column = getattr(Csd, reminder)
    statement = (
        select(Csd, Account)
        .join(Account, Account.id == Csd.account_id)
        .where(column.is_(None), Csd.valid_until > now, Csd.valid_until <= until)
        .order_by(Csd.valid_until)
    )
    return [(csd, account) for csd, account in (await session.execute(statement)).all()]


async def claim_csd_reminder(
    *, session: AsyncSession, account_id: int, serial: str, reminder: Reminder, at: datetime
) -> bool:
    """Mark the reminder as sent, if nobody has: one conditional UPDATE, so that of two
    processes running the reminders at once only one gets the row (PostgreSQL makes the
    second wait for the first's commit, then finds the mark set). The serial ties the mark
    to the CSD that was read: a replaced CSD is not marked for its predecessor."""
    statement = (
        update(Csd)
        .where(Csd.account_id == account_id, Csd.serial == serial, getattr(Csd, reminder).is_(None))
        .values({reminder: at})
        .execution_options(synchronize_session=False)
    )
    return affected(await session.execute(statement)) == 1
