"""build_application(): the PTB Application with its per-chat processor, context and handlers."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ContextTypes

from bot.dispatch import ChatApplication
from bot.processor import MAX_CONCURRENT_UPDATES, PerChatUpdateProcessor
from bot.ratelimit import FloodControl
from bot.settings import Settings
from bot.transport import AiohttpRequest
from chat.context import BotContext, install
from chat.errors import on_error
from chat.texts import Catalog
from handlers import register_flows
from services import Services
from storage.db import shares_database

POLL_TIMEOUT_SECONDS = 10


def updates_in_hand(settings: Settings) -> int:
    """Updates processed at once: on PostgreSQL each holds a connection, of those the
    process may open beyond the use cases' pool (5, and 10 more at busy times)."""
    if not shares_database(settings.database_url):
        return MAX_CONCURRENT_UPDATES
    return max(1, min(MAX_CONCURRENT_UPDATES, settings.database_connections - 15))


def build_application(
    settings: Settings,
    *,
    token: str,
    services: Services,
    catalog: Catalog,
) -> Application[Any, Any, Any, Any, Any, Any]:
    application = (
        Application.builder()
        .application_class(ChatApplication)
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .context_types(ContextTypes(context=BotContext))
        .request(AiohttpRequest(settings.telegram_connection_pool_size))
        # A long poll may take POLL_TIMEOUT_SECONDS before the read timeout starts to count.
        .get_updates_request(AiohttpRequest(1))
        .concurrent_updates(
            PerChatUpdateProcessor(
                services.chats, services.inbox, max_concurrent_updates=updates_in_hand(settings)
            )
        )
        .rate_limiter(FloodControl(overall_max_rate=settings.telegram_sends_per_second))
        .build()
    )
    install(application, services=services, catalog=catalog)
    # Each registered command's and flow's handlers, in their groups and order (chat.registry).
    for group, handlers in register_flows().handlers().items():
        application.add_handlers(handlers, group=group)
    application.add_error_handler(on_error)
    return application
