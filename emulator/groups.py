"""Groups, supergroups and channels in the emulated Telegram: people add the bot, write and
press buttons there, as Telegram reports it to the bot."""

from __future__ import annotations

import asyncio
import itertools

from emulator.chats import my_chat_member
from emulator.markup import Json, command_entities
from emulator.people import NoReply, Person
from emulator.server import BotApiEmulator
from emulator.world import BotAccount, Chat, Message, User, now

_numbers = itertools.count(1)


def _new_chat_id(kind: str) -> int:
    """Negative, as Telegram's: -100… for supergroups and channels."""
    number = next(_numbers)
    return -(4_000_000_000 + number) if kind == "group" else -(1_000_000_000_000 + number)


class Group:
    """A group, supergroup or channel (`kind`). The bot is in it only once someone adds it,
    or from the start with `bot_in=True` (it joined some time ago)."""

    def __init__(
        self,
        emulator: BotApiEmulator,
        token: str,
        *,
        kind: str = "group",
        title: str = "Contabilidad",
        bot_in: bool = False,
    ) -> None:
        if kind not in ("group", "supergroup", "channel"):
            raise ValueError(f"not a group or channel: {kind}")
        self.emulator = emulator
        self.bot: BotAccount = emulator.bot(token)
        in_status = "administrator" if kind == "channel" else "member"  # channels: admins only
        self.chat = Chat(
            id=_new_chat_id(kind),
            bot=self.bot,
            type=kind,
            title=title,
            bot_status=in_status if bot_in else "left",
        )
        self.bot.chats[self.chat.id] = self.chat
        self._query_ids = itertools.count(1)

    @property
    def id(self) -> int:
        return self.chat.id

    @property
    def bot_is_member(self) -> bool:
        return self.chat.bot_member

    # Acting

    async def add_bot(self, by: Person, *, admin: bool = False) -> None:
        """`by` adds the bot. Telegram sends my_chat_member and, except in a channel, the
        new_chat_members service message."""
        status = "administrator" if admin or self.chat.type == "channel" else "member"
        self.chat.bot_status = status
        await self.bot.push_update(my_chat_member(self.chat, by.user, "left", status))
        if self.chat.type != "channel":
            await self._post(by.user, extra={"new_chat_members": [self.bot.user.to_api()]})

    async def send(self, by: Person, text: str) -> Message:
        """`by` writes here (in a channel, a post signed by the channel)."""
        return await self._post(by.user, text=text, entities=command_entities(text))

    async def edit(self, message: Message, text: str) -> None:
        message.text, message.entities, message.edit_date = text, command_entities(text), now()
        kind = "edited_channel_post" if self.chat.type == "channel" else "edited_message"
        if self.chat.bot_member:
            await self.bot.push_update({kind: message.to_api()})

    async def press(self, by: Person, button_text: str, message: Message) -> str:
        """`by` presses a button of `message`; returns the callback query id."""
        button = next(b for b in message.buttons if button_text.casefold() in b["text"].casefold())
        query_id = f"g{-self.chat.id}-{next(self._query_ids)}"
        query = {
            "id": query_id,
            "from": by.user.to_api(),
            "message": message.to_api(),
            "chat_instance": str(self.chat.id),
            "data": button["callback_data"],
        }
        self.bot.open_callbacks[query_id] = query
        await self.bot.push_update({"callback_query": query})
        return query_id

    async def _post(
        self,
        sender: User,
        *,
        text: str | None = None,
        entities: list[Json] | None = None,
        extra: Json | None = None,
    ) -> Message:
        message = Message(
            message_id=next(self.bot.message_ids),
            chat=self.chat,
            sender=sender,
            date=now(),
            text=text,
            entities=entities or [],
            extra=extra or {},
        )
        async with self.chat.changed:
            self.chat.messages.append(message)
        self.emulator.notify(message, "sent")
        if self.chat.bot_member:  # a bot hears nothing of a chat it is not in
            kind = "channel_post" if self.chat.type == "channel" else "message"
            await self.bot.push_update({kind: message.to_api()})
        return message

    # Reading

    def bot_messages(self) -> list[Message]:
        return [m for m in self.chat.messages if m.from_bot and not m.deleted]

    async def wait_said(self, count: int, timeout: float = 10) -> list[Message]:
        """Until the bot has sent `count` messages here; all it has sent."""
        async with self.chat.changed:
            try:
                await asyncio.wait_for(
                    self.chat.changed.wait_for(lambda: len(self.bot_messages()) >= count), timeout
                )
            except TimeoutError:
                said = [m.text for m in self.bot_messages()]
                raise NoReply(f"the bot did not send {count} messages; it said {said}") from None
        return self.bot_messages()

    async def wait_left(self, timeout: float = 10) -> None:
        """Until the bot leaves (leaveChat)."""
        async with self.chat.changed:
            try:
                await asyncio.wait_for(
                    self.chat.changed.wait_for(lambda: not self.chat.bot_member), timeout
                )
            except TimeoutError:
                said = [m.text for m in self.bot_messages()]
                raise NoReply(f"the bot did not leave in {timeout}s; it said {said}") from None

    def callback_answer(self, query_id: str) -> Json | None:
        return next((a for a in self.bot.callback_answers if a["query"]["id"] == query_id), None)
