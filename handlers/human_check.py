"""The chat's CAPTCHA as buttons: used by /recuperar, and by /registro when the setting
asks for it."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from chat.common import ask, close_buttons, format_wait, say
from chat.context import BotContext, Callback, pressed, user_id
from chat.keyboards import Text, Values
from chat.registry import FlowSpec
from services.human_check import TapResult

CHECK = "hc:"  # + token + ":" + position, or ":new" for another challenge
CHECK_NEW = "new"


def challenge(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    token = (values or {}).get("token", "")
    symbols = [
        InlineKeyboardButton(symbol, callback_data=f"{CHECK}{token}:{position}")
        for position, symbol in enumerate((values or {}).get("buttons", []))
    ]
    return InlineKeyboardMarkup(
        [
            *[symbols[i : i + 3] for i in range(0, len(symbols), 3)],
            [
                InlineKeyboardButton(
                    t("check.button-new"), callback_data=f"{CHECK}{token}:{CHECK_NEW}"
                )
            ],
        ]
    )


async def send_challenge(update: Update, context: BotContext) -> bool:
    """Ask for a new challenge; False (and says so) when the check is locked."""
    person = user_id(update)
    wait = await context.services.human_check.locked_for(person)
    if wait is not None:
        await say(update, context, "check.locked", wait=format_wait(update, context, wait))
        return False
    challenge = await context.services.human_check.new_challenge(person)
    # The symbol's name in every language (name_es, article_es, name_en…): each catalog's
    # text picks its own, so the question reads right when asked again after /idioma.
    names: dict[str, str] = {}
    for language in context.catalog.languages:
        text = context.catalog.text
        names[f"name_{language}"] = str(text(language, f"check.symbol.{challenge.symbol_id}"))
        names[f"article_{language}"] = str(text(language, f"check.article.{challenge.symbol_id}"))
    await ask(
        update,
        context,
        "check.tap",
        keyboard="challenge",
        symbol=challenge.symbol,
        token=challenge.token,
        buttons=challenge.buttons,
        **names,
    )
    return True


async def take_tap(update: Update, context: BotContext) -> TapResult | None:
    """A tap on a challenge's button. PASSED or LOCKED end the check; otherwise a new
    challenge is on screen (None)."""
    query = pressed(update)
    token, _, choice = (query.data or "").removeprefix(CHECK).partition(":")
    services = context.services.human_check
    if choice == CHECK_NEW:
        await close_buttons(update)
        await services.discard(token)
        await send_challenge(update, context)
        return None
    verdict = await services.tap(
        token=token,
        position=int(choice) if choice.isascii() and choice.isdecimal() else -1,
        user_id=user_id(update),
    )
    passed = verdict.result is TapResult.PASSED
    await close_buttons(update, context.text(update, "check.passed") if passed else None)
    if verdict.result is TapResult.PASSED:
        return TapResult.PASSED
    if verdict.result is TapResult.LOCKED:
        await say(
            update, context, "check.locked", wait=format_wait(update, context, verdict.retry_after)
        )
        return TapResult.LOCKED
    await say(
        update, context, "check.wrong" if verdict.result is TapResult.WRONG else "check.expired"
    )
    return None if await send_challenge(update, context) else TapResult.LOCKED


def tap_handler(callback: Callback) -> CallbackQueryHandler[BotContext, Any]:
    return CallbackQueryHandler(callback, pattern=f"^{CHECK}")


# The human check's buttons are a tap, by design: typed text never presses them.
HUMAN_CHECK = FlowSpec(
    "human-check", keyboards={"challenge": challenge}, tap_only=frozenset({"challenge"})
)
