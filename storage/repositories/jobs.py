"""Periodic jobs: which process runs this period's pass."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRun
from storage.repositories._rows import insert_into


async def claim_job(*, session: AsyncSession, name: str, now: datetime, after: datetime) -> bool:
    """Whether this caller runs job `name` now: yes when it never ran, or last ran before
    `after`; the run is noted in the same statement, so that of several processes asking
    at once one alone is told yes."""
    table = cast(Table, JobRun.__table__)
    statement = (
        insert_into(session, table)
        .values(name=name, last_run_at=now)
        .on_conflict_do_update(
            index_elements=["name"],
            set_={"last_run_at": now},
            where=table.c.last_run_at < after,
        )
        .returning(table.c.name)
    )
    return (await session.scalar(statement)) is not None
