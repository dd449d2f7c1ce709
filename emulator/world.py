"""What the emulated Telegram knows: bots, their chats (private, groups, channels), messages
and updates."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from emulator.markup import Json


class ApiError(Exception):
    """An answer Telegram gives with ok=false."""

    def __init__(
        self, code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters  # Telegram's ResponseParameters, when it sends them


# Update kinds a bot gets only when it names them in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


def migrated(to_chat_id: int) -> ApiError:
    """Telegram's answer about a group that became a supergroup (`to_chat_id`)."""
    return ApiError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": to_chat_id},
    )


def bad_gateway() -> ApiError:
    """What the Bot API answers while Telegram's servers behind it are unreachable."""
    return ApiError(502, "Bad Gateway")


@dataclass
class User:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class Message:
    message_id: int
    chat: Chat
    sender: User
    date: int
    text: str | None = None
    entities: list[Json] = field(default_factory=list)
    reply_markup: Json | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    deleted: bool = False
    edit_date: int | None = None

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    @property
    def buttons(self) -> list[Json]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    def button_texts(self) -> list[str]:
        return [button["text"] for button in self.buttons]

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message_id": self.message_id}
        if self.chat.type == "channel":  # a channel post is signed by the channel
            data["sender_chat"] = self.chat.to_api()
        else:
            data["from"] = self.sender.to_api()
        data.update(chat=self.chat.to_api(), date=self.date, **self.extra)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.reply_markup:
            data["reply_markup"] = self.reply_markup
        if self.edit_date:
            data["edit_date"] = self.edit_date
        return data


@dataclass
class Chat:
    """A chat of one bot: a private chat with one person (its id is the person's id), or a
    group, supergroup or channel (negative ids, as in Telegram) that the bot may be in."""

    id: int
    bot: BotAccount
    type: str = "private"
    person: User | None = None
    title: str | None = None
    bot_status: str = "member"  # in a group or channel: member, administrator or left
    messages: list[Message] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    # Telegram refuses to delete some messages (older than 48 hours in a private chat, for
    # one); a test sets this to see how the bot copes.
    refuses_deletion: bool = False
    # What leaveChat answers instead of leaving (a test sets it to see how the bot copes).
    refuses_leaving: ApiError | None = None
    # What a person reads, in order: each bot message when sent, and again each time its
    # text is edited (an edit is news: the message now says something else).
    news: list[Message] = field(default_factory=list)
    # What the person did, one entry an update (a message's text, a button's data), and
    # each Bot API request that named this chat: (how many updates had come, method).
    # Telegram's limits count such requests per bot; a test counts them per update.
    updates: list[str] = field(default_factory=list)
    requests: list[tuple[int, str]] = field(default_factory=list)

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.person is not None:
            data["first_name"] = self.person.first_name
            if self.person.username:
                data["username"] = self.person.username
        if self.title:
            data["title"] = self.title
        return data

    @property
    def bot_member(self) -> bool:
        return self.bot_status in ("member", "administrator")

    def not_a_member(self) -> ApiError:
        """Telegram's answer to a bot acting in a group or channel it is not in."""
        return ApiError(403, f"Forbidden: bot is not a member of the {self.type} chat")

    def find(self, message_id: int) -> Message | None:
        for message in reversed(self.messages):
            if message.message_id == message_id and not message.deleted:
                return message
        return None


@dataclass
class BotAccount:
    token: str
    user: User
    updates: list[Json] = field(default_factory=list)
    # Telegram picks a bot's first update_id at random (and again after a week without
    # updates): a bot restarted against a new emulator must not meet the ids it has seen.
    update_ids: itertools.count[int] = field(
        default_factory=lambda: itertools.count(secrets.randbelow(2**30) + 1)
    )
    message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    chats: dict[int, Chat] = field(default_factory=dict)
    open_callbacks: dict[str, Json] = field(default_factory=dict)
    callback_answers: list[Json] = field(default_factory=list)
    commands: dict[tuple[str, str], list[Json]] = field(default_factory=dict)
    properties: dict[str | tuple[str, str], Any] = field(default_factory=dict)
    # What getUpdates or setWebhook last asked for; empty means Telegram's default.
    allowed_updates: frozenset[str] = frozenset()
    polls: int = 0
    # Telegram forgets an update once a getUpdates' offset is above its update_id: the
    # bot has then been told it was received ("acknowledged").
    acknowledged_below: int = 0
    # Each getUpdates: the limit asked for and the update_ids handed over.
    poll_log: list[tuple[int, list[int]]] = field(default_factory=list)
    closing: bool = False

    async def close(self) -> None:
        """Answer every long poll now (the emulator is stopping)."""
        async with self.arrived:
            self.closing = True
            self.arrived.notify_all()

    def allow(self, kinds: object) -> None:
        """allowed_updates of getUpdates or setWebhook: a list replaces what was asked
        before (an empty one restores the default); leaving it out keeps it."""
        if isinstance(kinds, list):
            self.allowed_updates = frozenset(str(kind) for kind in kinds)

    def wants(self, kind: str) -> bool:
        """Whether Telegram would create an update of this kind for the bot at all."""
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in OPT_IN_UPDATES

    async def push_update(self, payload: dict[str, Any]) -> None:
        """Queue an update, unless the bot's allowed_updates leave its kind out (Telegram
        drops those; it does not keep them for later)."""
        [kind] = payload
        if not self.wants(kind):
            return
        async with self.arrived:
            self.updates.append({"update_id": next(self.update_ids), **payload})
            self.arrived.notify_all()

    async def take_updates(self, offset: int | None, limit: int, timeout: float) -> list[Json]:
        self.polls += 1
        async with self.arrived:
            if offset is not None:
                self.acknowledged_below = max(self.acknowledged_below, offset)
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
            if not self.updates and timeout > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self.arrived.wait_for(lambda: self.updates or self.closing), timeout
                    )
            handed = self.updates[:limit]
            self.poll_log.append((limit, [u["update_id"] for u in handed]))
            return handed

    def chat(self, chat_id: int) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if not chat.bot_member:
            raise chat.not_a_member()
        return chat


def now() -> int:
    return int(time.time())
