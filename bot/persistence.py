"""PTB persistence over the bot's own database: conversation steps and chat drafts.

PTB hands changes over at most `update_interval` (1 s) after they happen and once more on
shutdown. Changes that arrive together are written in one transaction. A chat's data is
sealed with DATA_ENCRYPTION_KEY: drafts hold a password's hash, an email, fiscal data."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.ext import BasePersistence, PersistenceInput

from chat.state import ChatData
from storage import repositories
from storage.crypto import SecretBox, UnreadableSecret
from storage.models import utcnow

logger = logging.getLogger(__name__)

SEALED = "sealed"
# What PTB's conversations key and hold (its own aliases live in a private module).
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]


class DatabasePersistence(BasePersistence[dict[str, Any], ChatData, dict[str, Any]]):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        update_interval: float = 1,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=False, callback_data=False
            ),
            update_interval=update_interval,
        )
        self._sessions = sessions
        self._box = box
        self._states: dict[tuple[str, str], object] = {}
        self._chats: dict[int, dict[str, Any] | None] = {}
        self._lock = asyncio.Lock()

    # Loading at start

    async def get_conversations(self, name: str) -> ConversationDict:
        async with self._sessions() as session:
            rows = await repositories.load_conversation_states(session=session, name=name)
        return {tuple(json.loads(row.key)): row.state for row in rows}

    async def get_chat_data(self) -> dict[int, ChatData]:
        async with self._sessions() as session:
            rows = await repositories.load_chat_data(session=session)
        chats = {}
        for row in rows:
            try:
                chats[row.chat_id] = ChatData.from_json(self._open(row.data))
            except UnreadableSecret:
                # Sealed with a key no longer given: the chat starts afresh rather than the
                # bot not starting at all.
                logger.warning(
                    "chat %s: its data was sealed with another key; dropped", row.chat_id
                )
        return chats

    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    # Changes

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        self._states[(name, json.dumps(list(key)))] = new_state
        await self._write()

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        self._chats[chat_id] = {SEALED: self._box.seal(json.dumps(data.to_json()))}
        await self._write()

    async def drop_chat_data(self, chat_id: int) -> None:
        self._chats[chat_id] = None
        await self._write()

    async def flush(self) -> None:
        await self._write()

    async def _write(self) -> None:
        async with self._lock:
            if not self._states and not self._chats:
                return
            states, self._states = self._states, {}
            chats, self._chats = self._chats, {}
            try:
                async with self._sessions() as session, session.begin():
                    await repositories.save_conversation_states(session=session, changes=states)
                    await repositories.save_chat_data(session=session, changes=chats, now=utcnow())
                logger.debug("persisted %d conversation steps, %d chats", len(states), len(chats))
            except Exception:
                # Keep what failed for the next run, unless something newer came meanwhile.
                self._states = {**states, **self._states}
                self._chats = {**chats, **self._chats}
                raise

    def _open(self, stored: dict[str, Any]) -> dict[str, Any]:
        """A chat's data as stored: sealed, or (written before sealing) as it is."""
        if SEALED not in stored:
            return stored
        opened: dict[str, Any] = json.loads(self._box.open(stored[SEALED]))
        return opened

    # Not kept

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: object) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None
