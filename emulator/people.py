"""Acting as people in the emulated Telegram: send text, stickers, photos and files, press
buttons, and wait for and read the bot's replies."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any, TypeVar

from emulator.markup import Json, command_entities
from emulator.server import BotApiEmulator
from emulator.world import BotAccount, Chat, Message, User, now

T = TypeVar("T")
_user_ids = itertools.count(100_000_001)


class NoReply(AssertionError):
    """The bot did not answer as expected in time."""


class Person:
    """One person in a private chat with one bot."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        token: str,
        *,
        first_name: str = "Ana",
        language_code: str | None = "es",
        user_id: int | None = None,
        patience: float = 10,
    ) -> None:
        self.emulator = emulator
        # How long this person waits for an answer before giving up (NoReply), unless a
        # wait says otherwise: a crowd behind flood control waits longer.
        self.patience = patience
        self.bot: BotAccount = emulator.bot(token)
        self.user = User(
            id=user_id or next(_user_ids),
            first_name=first_name,
            username=f"{first_name.lower()}{user_id or ''}",
            language_code=language_code,
        )
        self.chat: Chat = self.bot.chats.setdefault(
            self.user.id, Chat(id=self.user.id, bot=self.bot, person=self.user)
        )
        # Reading follows the chat's news (a message sent, or its text edited): the next
        # to read, and the text each message had when this person read it, so that an edit
        # read already (or one that came before the first reading) is not read twice.
        self._seen = len(self.chat.news)
        self._read: dict[int, str | None] = {}
        self._query_ids = itertools.count(1)

    # Acting

    async def send(self, text: str) -> Message:
        return await self._post(text=text, entities=command_entities(text))

    async def send_sticker(self, emoji: str = "👍") -> Message:
        sticker = {
            "file_id": self.emulator.store_file("sticker.webp", b"RIFF"),
            "file_unique_id": "sticker1",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return await self._post(extra={"sticker": sticker})

    async def send_photo(self, caption: str | None = None) -> Message:
        file_id = self.emulator.store_file("photo.jpg", b"\xff\xd8\xff")
        size = {"file_id": file_id, "file_unique_id": "photo1", "width": 90, "height": 90}
        extra: dict[str, Any] = {"photo": [size]}
        if caption:
            extra["caption"] = caption
        return await self._post(extra=extra)

    async def send_document(
        self,
        name: str,
        data: bytes | None = None,
        *,
        size: int | None = None,
        mime_type: str | None = None,
        caption: str | None = None,
    ) -> Message:
        """Send a file as a document, announced as Telegram does (name, MIME type by its
        extension unless given, size). `size` without `data` declares a file of that size
        without building it: a bot that downloads it gets zeros."""
        if data is None and size is None:
            raise ValueError("a document needs its bytes or a declared size")
        stored = self.emulator.files.add(name, data, size=size, mime_type=mime_type)
        extra: dict[str, Any] = {"document": stored.document()}
        if caption:
            extra["caption"] = caption
        return await self._post(extra=extra)

    async def edit(self, message: Message, text: str) -> None:
        """Edit a message this person sent earlier."""
        message.text, message.entities, message.edit_date = text, command_entities(text), now()
        await self._push({"edited_message": message.to_api()}, text)

    async def _push(self, update: Json, what: str) -> None:
        """Send the bot an update, noted in the chat's log (`Chat.updates`)."""
        self.chat.updates.append(what)
        await self.bot.push_update(update)

    async def press(
        self, button_text: str, message: Message | None = None, timeout: float | None = None
    ) -> str:
        """Press the inline button whose text contains `button_text` on `message`, or on
        the newest bot message that has (or, within `timeout`, gets) such a button.
        Returns the callback query id."""
        if message is None:
            message = await self._wait(
                lambda: self._message_with_button(button_text),
                timeout,
                f"a message with a button {button_text!r}",
            )
        button = next(
            (b for b in message.buttons if button_text.casefold() in b["text"].casefold()), None
        )
        if button is None:
            raise AssertionError(f"no button {button_text!r} in {message.button_texts()}")
        query_id = f"{self.user.id}-{next(self._query_ids)}"
        query = {
            "id": query_id,
            "from": self.user.to_api(),
            "message": message.to_api(),
            "chat_instance": str(self.chat.id),
            "data": button["callback_data"],
        }
        self.bot.open_callbacks[query_id] = query
        await self._push({"callback_query": query}, f"[{button['text']}]")
        return query_id

    async def _post(
        self,
        *,
        text: str | None = None,
        entities: list[Json] | None = None,
        extra: Json | None = None,
    ) -> Message:
        message = Message(
            message_id=next(self.bot.message_ids),
            chat=self.chat,
            sender=self.user,
            date=now(),
            text=text,
            entities=entities or [],
            extra=extra or {},
        )
        async with self.chat.changed:
            self.chat.messages.append(message)
        self.emulator.notify(message, "sent")
        await self._push({"message": message.to_api()}, text or "/".join(extra or {}))
        return message

    # Reading

    @property
    def messages(self) -> list[Message]:
        return list(self.chat.messages)

    def bot_messages(self) -> list[Message]:
        return [m for m in self.chat.messages if m.from_bot and not m.deleted]

    def _message_with_button(self, button_text: str) -> Message | None:
        for message in reversed(self.bot_messages()):
            if any(button_text.casefold() in t.casefold() for t in message.button_texts()):
                return message
        return None

    async def _wait(self, predicate: Callable[[], T | None], timeout: float | None, what: str) -> T:
        timeout = self.patience if timeout is None else timeout
        async with self.chat.changed:
            try:
                found = await asyncio.wait_for(self.chat.changed.wait_for(predicate), timeout)
                assert found is not None  # wait_for returns once the predicate holds
                return found
            except TimeoutError:
                transcript = "\n".join(
                    f"  {'bot' if m.from_bot else 'me '}: {m.text or list(m.extra)}"
                    for m in self.chat.messages[-8:]
                )
                raise NoReply(
                    f"waited {timeout}s for {what}; last messages:\n{transcript}"
                ) from None

    def _next_news(self, wanted: Callable[[str], bool]) -> Message | None:
        """The first message of the chat's news not read yet (a new one, or one whose text
        changed since this person read it) whose unread text is `wanted`, read now; those
        before it are read too. The unread text of a message edited after it was read is
        what follows the text read, when the edit kept it (the bot adds to a message)."""
        for index in range(self._seen, len(self.chat.news)):
            message = self.chat.news[index]
            read = self._read.get(message.message_id)
            text = message.text or ""
            if message.message_id in self._read and read == message.text:
                continue  # read already as it is now
            if read and text.startswith(read):
                text = text[len(read) :]
            if wanted(text):
                for earlier in self.chat.news[self._seen : index + 1]:
                    self._read[earlier.message_id] = earlier.text
                self._seen = index + 1
                return message
        return None

    async def reply(self, timeout: float | None = None) -> Message:
        """The next message the bot sends (or edits into new text) after those read."""
        return await self._wait(lambda: self._next_news(lambda _: True), timeout, "a reply")

    async def expect(self, fragment: str, timeout: float | None = None) -> Message:
        """Read replies until one contains `fragment` (case-insensitive); returns it. A
        message the bot edited into new text is read again where the edit came (what it added)."""

        def matching(unread: str) -> bool:
            return fragment.casefold() in unread.casefold()

        return await self._wait(
            lambda: self._next_news(matching), timeout, f"a reply containing {fragment!r}"
        )

    async def wait_deleted(self, message: Message, timeout: float | None = None) -> None:
        await self._wait(lambda: message.deleted, timeout, f"message {message.message_id} deleted")

    async def quiet(self, seconds: float = 0.3) -> list[Message]:
        """Wait `seconds` and return the bot messages that arrived meanwhile (unread ones)."""
        await asyncio.sleep(seconds)
        fresh: list[Message] = []
        while (message := self._next_news(lambda _: True)) is not None:
            fresh.append(message)
        return fresh

    def callback_answer(self, query_id: str) -> Json | None:
        for answer in self.bot.callback_answers:
            if answer["query"]["id"] == query_id:
                return answer
        return None
