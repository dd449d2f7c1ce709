"""/stats: the onboarding funnel, for the Telegram ids in ADMIN_TELEGRAM_IDS only."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from chat.common import say
from chat.context import BotContext, user_id
from chat.texts import Html
from services.funnel import PERIODS, Milestone


async def stats(update: Update, context: BotContext) -> None:
    """Anyone else gets the answer any unknown command gets."""
    if update.effective_user is None or user_id(update) not in context.services.admins:
        await say(update, context, "common.idle", keyboard="menu")
        return
    figures = await context.services.funnel.report()
    rows = Html(
        "\n".join(
            context.text(
                update,
                "stats.row",
                label=context.text(update, f"stats.{milestone.value}"),
                **{period: figures[milestone][period] for period in PERIODS},
            )
            for milestone in Milestone
        )
    )
    await say(update, context, "stats.report", rows=rows)


def stats_handler() -> CommandHandler[BotContext, None]:
    return CommandHandler("stats", stats)
