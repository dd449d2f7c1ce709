"""Typing instead of tapping: while a question with buttons is open, typed text that
names one of its buttons counts as that press. Folded (case, accents, punctuation, a
leading emoji), it is a button's text, or «sí/si/yes/ok/correcto» for the button that
says yes and «no» for the one that says no (each flow's `affirmative` and `negative`,
chat.registry).
Anything else is the step's typed answer, as always; at a question for a secret, typed
text is never a press (a password may be «no»)."""

from __future__ import annotations

import contextlib
import re
import unicodedata
from typing import Any, NamedTuple

from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, TypeHandler

from chat.common import TYPED_TEXT
from chat.context import BotContext, Handler, held_chat
from chat.registry import registered
from chat.state import ChatData

YES = frozenset({"si", "yes", "ok", "okay", "correcto", "correct"})
NO = frozenset({"no"})
_NOT_A_LETTER = re.compile(r"[\W_]+")
_ACCOUNT_SUFFIX = re.compile(r":\d+$")


def fold(text: str) -> str:
    """`text` as compared with a button's: lower case, without accents, punctuation or
    emoji, single spaces («✅ Sí, usar x@y.mx» -> «si usar x y mx»)."""
    letters = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in letters if not unicodedata.combining(c)).casefold()
    return " ".join(_NOT_A_LETTER.sub(" ", plain).split())


def typed_choice(markup: InlineKeyboardMarkup, text: str) -> str | None:
    """The data of the button that `text` names, if it names one."""
    typed = fold(text)
    if not typed:
        return None
    buttons = [b for row in markup.inline_keyboard for b in row if isinstance(b.callback_data, str)]
    for button in buttons:
        if fold(button.text) == typed:
            return str(button.callback_data)
    flows = registered()
    side = flows.affirmative if typed in YES else flows.negative if typed in NO else None
    if side is None:
        return None
    for button in buttons:
        data = str(button.callback_data)
        if _ACCOUNT_SUFFIX.sub("", data) in side:
            return data
    return None


class TypedPress(CallbackQuery):
    """A press typed as text. There is no query to answer; its message is the question's
    (its buttons come off as with a tap, and if they are gone already, no matter)."""

    async def answer(self, *args: Any, **kwargs: Any) -> bool:
        return True

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Message | bool:
        with contextlib.suppress(BadRequest):
            return await super().edit_message_reply_markup(*args, **kwargs)
        return True


class UnshownTypedPress(TypedPress):
    """A typed press whose question's message is not known (asked before it was noted):
    the typed message stands for it, and has no buttons to take off."""

    async def edit_message_reply_markup(self, *args: Any, **kwargs: Any) -> Message | bool:
        return True


class OpenQuestion(NamedTuple):
    keyboard: str
    values: dict[str, Any]
    message: int | None  # the message that shows its buttons, when known


def open_question(chat: ChatData | None) -> OpenQuestion | None:
    """The keyboard and values of the question in hand, when typed text may press one of
    its buttons: a question asked by the way (`offer`: outside any flow, or «¿Dejamos lo
    que estábamos haciendo?» inside one), which only the update right after it may
    answer, or else the flow's question."""
    if chat is None:
        return None
    offered, chat.offer = chat.offer, None
    chat.answering = offered["key"] if offered else None
    prompt = offered or (chat.prompt if chat.flow is not None else None)
    if not prompt or prompt["key"] in registered().secret_prompts:
        return None
    keyboard = prompt.get("keyboard")
    if not keyboard or keyboard in registered().tap_only:
        return None
    return OpenQuestion(keyboard, prompt.get("values", {}), prompt.get("message"))


async def press_typed(update: Update, context: BotContext) -> None:
    """Typed text naming a button of the question in hand: handled as that press (the
    update dispatched again as a button's), and nothing else."""
    question = open_question(held_chat())
    message = update.message
    if question is None or message is None or message.text is None:
        return
    if message.from_user is None or not TYPED_TEXT.check_update(update):
        return

    def t(name: str, **text_values: Any) -> str:
        return context.label(update, name, **text_values)

    data = typed_choice(registered().keyboards[question.keyboard](t, question.values), message.text)
    if data is None:
        return
    # Pressed on the question's message when it is known, else on the typed one
    kind: type[TypedPress] = UnshownTypedPress
    pressed_on = message
    if question.message is not None:
        kind, pressed_on = TypedPress, Message(question.message, message.date, message.chat)
        pressed_on.set_bot(context.bot)
    query = kind(
        id=f"typed-{message.chat.id}-{message.message_id}",
        from_user=message.from_user,
        chat_instance=str(message.chat.id),
        message=pressed_on,
        data=data,
    )
    query.set_bot(context.bot)
    await context.application.process_update(Update(update.update_id, callback_query=query))
    raise ApplicationHandlerStop


def typed_press_handlers() -> list[Handler]:
    """Before the flows (their own group), after the guards: every update, as each one
    leaves a question outside a flow behind."""
    return [TypeHandler(Update, press_typed)]
