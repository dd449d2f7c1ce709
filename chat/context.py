"""The typed callback context: the only module that reads `bot_data` by key."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast

from telegram import CallbackQuery, Update
from telegram.ext import Application, BaseHandler, CallbackContext, ExtBot

from chat.state import ChatData
from chat.texts import Catalog, Html
from services import Services

_SERVICES = "services"
_CATALOG = "catalog"

# The record of the chat whose update is in hand, read from the database for the update
# (bot.processor) and written back after it: every handler of the update sees this one.
_HELD: ContextVar[ChatData | None] = ContextVar("held_chat", default=None)


def held_chat() -> ChatData | None:
    """The record of the update's chat (None for an update without a chat)."""
    return _HELD.get()


@contextmanager
def holding(chat: ChatData) -> Iterator[ChatData]:
    """Make `chat` the record the update's handlers read and change."""
    token = _HELD.set(chat)
    try:
        yield chat
    finally:
        _HELD.reset(token)


class BotContext(CallbackContext[ExtBot[None], dict[str, Any], dict[str, Any], dict[str, Any]]):
    @property
    def services(self) -> Services:
        return cast(Services, self.bot_data[_SERVICES])

    @property
    def catalog(self) -> Catalog:
        return cast(Catalog, self.bot_data[_CATALOG])

    @property
    def chat(self) -> ChatData:
        """The chat's record: its flow and step, drafts, last question, language."""
        data = held_chat()
        if data is None:
            raise RuntimeError("no chat for this update")
        return data

    def language(self, update: object) -> str:
        data = held_chat()
        if data is not None and data.language:
            return data.language
        user = update.effective_user if isinstance(update, Update) else None
        return self.catalog.language_for(user.language_code if user else None)

    def text(self, update: object, key: str, **values: object) -> Html:
        return self.catalog.text(self.language(update), key, **values)

    def label(self, update: object, key: str, **values: object) -> str:
        """A button's text (plain: not HTML)."""
        return self.catalog.label(self.language(update), key, **values)


Handler = BaseHandler[Update, BotContext, Any]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, Any]]
App = Application[Any, BotContext, Any, Any, Any, Any]


def chat_id(update: Update) -> int:
    """The chat of an update the flows handle (every one comes from a private chat)."""
    assert update.effective_chat is not None
    return update.effective_chat.id


def user_id(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


def typed(update: Update) -> str:
    """What the person typed ("" for a message without text)."""
    message = update.effective_message
    return (message.text if message else None) or ""


def pressed(update: Update) -> CallbackQuery:
    """The button press of an update that a button handler took."""
    assert update.callback_query is not None
    return update.callback_query


def install(application: App, *, services: Services, catalog: Catalog) -> None:
    application.bot_data[_SERVICES] = services
    application.bot_data[_CATALOG] = catalog
