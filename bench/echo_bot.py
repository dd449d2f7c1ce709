"""The floor: a bare python-telegram-bot echo bot, polling the same emulator.

`--transport aiohttp` sends its requests the way the onboarding bot does (bot.transport);
`--transport httpx` is PTB as shipped (its HTTPXRequest, 256 pooled connections).
`--rate-limit 30` sends through the onboarding bot's rate limiter (bot.ratelimit) at that
many sends a second, as the bot does: its latencies then compare with the bot's under
Telegram's limit (the benchmark's realistic mode)."""

from __future__ import annotations

import argparse
import os

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.ratelimit import FloodControl
from bot.transport import AiohttpRequest


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text or "?")


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await update.effective_chat.send_message(update.callback_query.data or "?")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--transport", choices=["aiohttp", "httpx"], default="aiohttp")
    parser.add_argument("--rate-limit", type=int, default=0, help="sends a second; 0 = none")
    arguments = parser.parse_args()
    builder = (
        Application.builder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["TELEGRAM_API_BASE_URL"])
        .concurrent_updates(256)
    )
    if arguments.rate_limit:
        builder.rate_limiter(FloodControl(overall_max_rate=arguments.rate_limit))
    if arguments.transport == "aiohttp":
        pool = int(os.environ["TELEGRAM_CONNECTION_POOL_SIZE"])
        builder.request(AiohttpRequest(pool)).get_updates_request(AiohttpRequest(1))
    application = builder.build()
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    application.run_polling(poll_interval=0, timeout=10)


if __name__ == "__main__":
    main()
