"""One chat's updates in order, different chats at once."""

from __future__ import annotations

import asyncio

from telegram import Chat, Message, Update

from bot.processor import PerChatUpdateProcessor


def update_for(chat_id: int, update_id: int) -> Update:
    chat = Chat(chat_id, "private")
    return Update(update_id, message=Message(update_id, None, chat))  # type: ignore[arg-type]


async def test_one_chat_in_order_and_chats_concurrently() -> None:
    processor = PerChatUpdateProcessor()
    log: list[str] = []

    async def work(name: str, delay: float) -> None:
        log.append(f"{name} start")
        await asyncio.sleep(delay)
        log.append(f"{name} end")

    await asyncio.gather(
        processor.process_update(update_for(1, 1), work("a1", 0.05)),
        processor.process_update(update_for(1, 2), work("a2", 0.0)),
        processor.process_update(update_for(2, 3), work("b1", 0.0)),
    )
    assert log.index("a1 end") < log.index("a2 start")  # same chat: one after the other
    assert log.index("b1 end") < log.index("a1 end")  # another chat did not wait
    assert processor._locks == {}  # nothing kept for idle chats
