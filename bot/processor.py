"""Updates of different chats run concurrently; updates of one chat run one at a time, in
order, each with the chat's record read from the database before it and written back
after it (services.chats), so that a flow never sees two of its messages at once and the
chat's state lives nowhere but in the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from chat.context import holding
from chat.state import ChatData
from services.chats import ChatRecords

# Updates in hand at once (each holds its chat, and on PostgreSQL a connection).
MAX_CONCURRENT_UPDATES = 32
WAITING_AT_MOST = 4096


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(
        self, records: ChatRecords, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES
    ) -> None:
        # PTB's own bound counts the updates waiting for their chat's turn as well: it is only
        # a backstop here, the places that count are `_slots`.
        super().__init__(WAITING_AT_MOST)
        self._records = records
        self._slots = asyncio.Semaphore(max_concurrent_updates)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's turn, then for a place among the updates in hand (a chat's
        queued updates take no place, so one chat that sends many messages at once never
        holds up the others), then run the update with its chat's record, read before and
        written after it."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            async with self._slots:
                await coroutine
            return
        async with (
            self._records.turn(chat.id),
            self._slots,
            self._records.record(chat.id) as held,
        ):
            data = ChatData.from_json(held.data) if held.data is not None else ChatData()
            with holding(data):
                await coroutine
            held.data = None if data == ChatData() else data.to_json()

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
