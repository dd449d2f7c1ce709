"""One chat's updates in order, each with the chat's record read before it and written
after it; different chats at once."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Chat, Message, Update

from bot.processor import PerChatUpdateProcessor
from chat.context import held_chat
from services.chats import ChatRecords
from services.inbox import Inbox
from storage.crypto import SecretBox, new_key


def update_for(chat_id: int, update_id: int) -> Update:
    chat = Chat(chat_id, "private")
    return Update(update_id, message=Message(update_id, None, chat))  # type: ignore[arg-type]


async def test_one_chat_in_order_and_chats_concurrently(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    box = SecretBox([new_key()])
    records = ChatRecords(sessions, box)
    processor = PerChatUpdateProcessor(records, Inbox(sessions, box))
    log: list[str] = []

    async def work(name: str, delay: float) -> None:
        chat = held_chat()
        assert chat is not None
        log.append(f"{name} start at {chat.step}")
        chat.flow, chat.step = "signup", (chat.step or 0) + 1
        await asyncio.sleep(delay)
        log.append(f"{name} end")

    await asyncio.gather(
        processor.process_update(update_for(1, 1), work("a1", 0.05)),
        processor.process_update(update_for(1, 2), work("a2", 0.0)),
        processor.process_update(update_for(2, 3), work("b1", 0.0)),
    )
    assert log.index("a1 end") < log.index("a2 start at 1")  # same chat: one after the other
    assert log.index("b1 end") < log.index("a1 end")  # another chat did not wait
    async with records.held(1) as held:
        assert held.data is not None and held.data["step"] == 2  # both updates' steps
    assert records._locks == {}  # nothing kept for idle chats


async def test_a_chat_with_many_updates_waiting_does_not_hold_up_another(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Two places for updates in hand; one chat sends four messages while its first is
    slow: its waiting ones take no place, and another chat's update goes through."""
    box = SecretBox([new_key()])
    processor = PerChatUpdateProcessor(
        ChatRecords(sessions, box), Inbox(sessions, box), max_concurrent_updates=2
    )
    slow = asyncio.Event()
    done: list[str] = []

    async def work(name: str, until: asyncio.Event | None = None) -> None:
        if until is not None:
            await until.wait()
        done.append(name)

    waiting = [
        asyncio.create_task(processor.process_update(update_for(1, 1), work("a1", slow))),
        *(
            asyncio.create_task(processor.process_update(update_for(1, n), work(f"a{n}")))
            for n in (2, 3, 4)
        ),
    ]
    await asyncio.wait_for(processor.process_update(update_for(2, 5), work("b1")), timeout=5)
    assert done == ["b1"]
    slow.set()
    await asyncio.gather(*waiting)
    assert done == ["b1", "a1", "a2", "a3", "a4"]


async def test_an_update_whose_record_cannot_be_written_is_tried_again_before_the_next(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """The database refuses the first write of a chat's record: the update is processed
    again, from the step it found, and the chat's next update waits for it, so that it
    is never read at a step the person has left behind."""
    box = SecretBox([new_key()])
    calls = 0

    def flaky():  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:  # the first update's write
            raise OSError("database unreachable")
        return sessions()

    processor = PerChatUpdateProcessor(ChatRecords(flaky, box), Inbox(sessions, box))  # type: ignore[arg-type]
    log: list[str] = []

    async def work(name: str) -> None:
        chat = held_chat()
        assert chat is not None
        log.append(f"{name} at {chat.step}")
        chat.flow, chat.step = "signup", (chat.step or 0) + 1

    processor.rerun = lambda update: work("a1 again")  # type: ignore[misc]
    await asyncio.gather(
        processor.process_update(update_for(1, 1), work("a1")),
        processor.process_update(update_for(1, 2), work("a2")),
    )
    assert log == ["a1 at None", "a1 again at None", "a2 at 1"]
