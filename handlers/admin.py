"""/stats: the onboarding funnel and the mail outbox, for the Telegram ids in
ADMIN_TELEGRAM_IDS only."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from chat.common import say
from chat.context import BotContext, user_id
from chat.texts import Html
from services.funnel import PERIODS, Milestone
from services.mail_status import describe_age


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
    mail = await context.services.mail_status.report()
    if mail.oldest_pending_age is None:
        outbox = context.text(update, "stats.mail-empty", dead=mail.dead)
    else:
        outbox = context.text(
            update,
            "stats.mail",
            pending=mail.pending,
            age=describe_age(mail.oldest_pending_age),
            dead=mail.dead,
        )
    await say(update, context, "stats.report", rows=rows, mail=outbox)


def stats_handler() -> CommandHandler[BotContext, None]:
    return CommandHandler("stats", stats)
