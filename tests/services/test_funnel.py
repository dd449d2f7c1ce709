"""The funnel's sign-up starts are written in batches, none lost at stop."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.funnel import BATCH, FunnelService, Milestone


async def started(funnel: FunnelService) -> int:
    return (await funnel.report())[Milestone.SIGNUP_STARTED]["all"]


async def test_a_burst_of_sign_ups_is_counted_in_batches_and_what_waits_is_written_at_close(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    funnel = FunnelService(sessions=sessions)
    await asyncio.gather(*(funnel.signup_started() for _ in range(BATCH)))
    assert await started(funnel) == 0  # waiting in the buffer, not one write each
    await funnel.flush()
    assert await started(funnel) == BATCH
    await funnel.signup_started()
    await funnel.close()  # the bot stops: nothing counted is lost
    assert await started(funnel) == BATCH + 1


async def test_what_waits_is_written_on_its_own_soon(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    funnel = FunnelService(sessions=sessions)
    await funnel.signup_started()
    for _ in range(200):
        if await started(funnel) == 1:
            break
        await asyncio.sleep(0.02)
    assert await started(funnel) == 1
    await funnel.close()


async def test_a_batch_being_written_when_the_bot_stops_is_not_lost(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The timed write has begun (its transaction asked for) when close() comes: that
    batch is written all the same."""
    writing = asyncio.Event()

    def opened() -> AsyncSession:
        session = sessions()
        if not writing.is_set():
            begin = session.begin

            def noted_begin():  # type: ignore[no-untyped-def]
                writing.set()
                return begin()

            session.begin = noted_begin  # type: ignore[method-assign]
        return session

    funnel = FunnelService(sessions=opened)  # type: ignore[arg-type]
    for _ in range(3):
        await funnel.signup_started()
    await writing.wait()  # the timed write is under way
    await funnel.close()
    assert await started(funnel) == 3
