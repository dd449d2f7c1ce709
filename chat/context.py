"""The typed callback context: the only module that reads `bot_data` by key."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from chat.state import ChatData
from chat.texts import Catalog
from services import Services

_SERVICES = "services"
_CATALOG = "catalog"


class BotContext(CallbackContext[ExtBot, dict, ChatData, dict]):
    @property
    def services(self) -> Services:
        return self.bot_data[_SERVICES]

    @property
    def catalog(self) -> Catalog:
        return self.bot_data[_CATALOG]

    @property
    def chat(self) -> ChatData:
        data = self.chat_data
        if data is None:
            raise RuntimeError("no chat for this update")
        return data

    def language(self, update: object) -> str:
        if self.chat_data is not None and self.chat_data.language:
            return self.chat_data.language
        user = update.effective_user if isinstance(update, Update) else None
        return self.catalog.language_for(user.language_code if user else None)

    def text(self, update: object, key: str, **values: object) -> str:
        return self.catalog.text(self.language(update), key, **values)


def install(application: Application, *, services: Services, catalog: Catalog) -> None:
    application.bot_data[_SERVICES] = services
    application.bot_data[_CATALOG] = catalog
