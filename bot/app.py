"""build_application(): the PTB Application with its per-chat processor, context and handlers."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, ContextTypes

from bot.processor import PerChatUpdateProcessor
from bot.ratelimit import FloodControl
from bot.settings import Settings
from bot.transport import AiohttpRequest
from chat.common import chosen_command_handlers, command, sign_out
from chat.context import BotContext, install
from chat.errors import on_error
from chat.texts import Catalog
from chat.typed import typed_press_handlers
from handlers.account import build_account_conversation
from handlers.admin import admin_handlers
from handlers.company import build_company_conversation
from handlers.confirm import (
    build_confirm_conversation,
    build_resend_conversation,
    deep_link_handler,
    missing_mail_handlers,
    switch_handlers,
)
from handlers.csd import build_csd_conversation
from handlers.privacy import privacy_handlers
from handlers.reset import build_reset_conversation
from handlers.signin import build_signin_conversation
from handlers.signup import build_signup_conversation
from handlers.start import guard_handlers, idle_handlers, log_handlers
from handlers.support import build_support_conversation
from services import Services

POLL_TIMEOUT_SECONDS = 10


def build_application(
    settings: Settings,
    *,
    token: str,
    services: Services,
    catalog: Catalog,
) -> Application[Any, Any, Any, Any, Any, Any]:
    application = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .context_types(ContextTypes(context=BotContext))
        .request(AiohttpRequest(settings.telegram_connection_pool_size))
        # A long poll may take POLL_TIMEOUT_SECONDS before the read timeout starts to count.
        .get_updates_request(AiohttpRequest(1))
        .concurrent_updates(PerChatUpdateProcessor(services.chats, services.inbox))
        .rate_limiter(FloodControl())
        .build()
    )
    install(application, services=services, catalog=catalog)
    application.add_handlers(log_handlers(), group=-5)
    application.add_handlers(guard_handlers(), group=-4)
    application.add_handlers(typed_press_handlers(), group=-3)
    application.add_handlers(privacy_handlers(), group=-2)
    application.add_handlers(missing_mail_handlers(), group=-1)
    application.add_handlers(
        [
            build_signup_conversation(deep_link_handler()),
            build_signin_conversation(),
            build_company_conversation(),
            build_account_conversation(),
            build_csd_conversation(),
            build_reset_conversation(),
            build_support_conversation(),
            # After the flows that await a secret: a password of hexadecimal characters
            # must reach them, not be taken for a pasted confirmation code.
            build_confirm_conversation(),
            build_resend_conversation(),
            deep_link_handler(),
            *switch_handlers(),
            command("signout", sign_out),
            *admin_handlers(),
            *idle_handlers(),
        ]
    )
    application.add_handlers(chosen_command_handlers(), group=1)
    application.add_error_handler(on_error)
    return application
