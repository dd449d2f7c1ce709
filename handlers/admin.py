"""For the Telegram ids in ADMIN_TELEGRAM_IDS only: /stats (the onboarding funnel, the
mail outbox and the open support requests) and /soporte_pendientes (the newest open
support requests, each with a button to mark it handled)."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from chat.common import close_buttons, say
from chat.context import BotContext, Handler, user_id
from chat.registry import FlowSpec
from chat.texts import Html
from handlers.support import SUPPORT_HANDLED
from services.funnel import PERIODS, Milestone
from services.mail_status import describe_age

SUPPORT_PENDING = ("soporte_pendientes", "support_pending")


async def _is_admin(update: Update, context: BotContext) -> bool:
    """Whether an admin asks; anyone else gets the answer any unknown command gets."""
    if update.effective_user is not None and user_id(update) in context.services.admins:
        return True
    if update.callback_query:
        await update.callback_query.answer()
    await say(update, context, "common.idle", keyboard="menu")
    return False


async def stats(update: Update, context: BotContext) -> None:
    """The funnel, the outbox and how many support requests are open."""
    if not await _is_admin(update, context):
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
    _, open_requests = await context.services.support.pending(limit=0)
    support = context.text(update, "stats.support", open=open_requests)
    await say(update, context, "stats.report", rows=rows, mail=outbox, support=support)


def _local(update: Update, context: BotContext, when: datetime) -> str:
    try:
        zone: tzinfo = ZoneInfo("America/Mexico_City")
    except ZoneInfoNotFoundError:  # pragma: no cover - a system without tzdata
        zone = UTC
    return when.astimezone(zone).strftime(context.text(update, "support.date-format"))


async def support_pending(update: Update, context: BotContext) -> None:
    """/soporte_pendientes: the newest open requests, with who wrote them and a button
    each to mark it handled."""
    if not await _is_admin(update, context):
        return
    requests, total = await context.services.support.pending()
    if not requests:
        await say(update, context, "support.pending-none")
        return
    # One message a request, each with its button: five problems of 2,000 characters
    # would pass Telegram's 4,096 in one.
    await say(update, context, "support.pending", total=total, shown=len(requests))
    for request in requests:
        await say(
            update,
            context,
            "support.pending-item",
            keyboard="support-handled",
            numbers=[request.number],
            number=request.number,
            when=_local(update, context, request.created_at),
            who=context.text(
                update,
                "support.who-account" if request.email else "support.who-chat",
                email=request.email or "",
                chat_id=request.chat_id,
                user_id=request.user_id,
            ),
            lang=request.language,
            text=request.text,
        )


async def mark_handled(update: Update, context: BotContext) -> None:
    """A request's button: mark it handled (a second press says it was already)."""
    if not await _is_admin(update, context):
        return
    query = update.callback_query
    assert query is not None and query.data is not None
    number = int(query.data.removeprefix(SUPPORT_HANDLED))
    done = await context.services.support.mark_handled(number, admin_id=user_id(update))
    await close_buttons(update)
    key = "support.handled" if done else "support.already-handled"
    await say(update, context, key, number=number)


def admin_handlers() -> list[Handler]:
    return [
        CommandHandler("stats", stats),
        CommandHandler(SUPPORT_PENDING, support_pending),
        CallbackQueryHandler(mark_handled, pattern=rf"^{SUPPORT_HANDLED}\d+$"),
    ]


# The operator's commands: in no menu and not in /ayuda (admins know them).
ADMIN = FlowSpec(
    "admin",
    ("stats", *SUPPORT_PENDING),
    in_help=False,
    build=admin_handlers,
    order=1000,
)
