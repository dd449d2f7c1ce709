"""What every flow shares: speaking from the catalog, asking (and asking again), the flow
guard, leaving a flow for another and the answer to anything unexpected. The commands
every flow answers (/cancelar, /ayuda, /idioma…) are handlers (handlers.basics)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import CallbackQuery, Chat, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    TypeHandler,
    filters,
)

from chat.context import BotContext, Callback, Handler, typed
from chat.flow import END
from chat.registry import registered
from chat.secrets import forget_secret, note_secret, secret_recent
from chat.texts import Html

logger = logging.getLogger(__name__)


class _Command(filters.MessageFilter):
    """A message that begins with one of the registered commands (chat.registry), any of
    them or (`flows`) one that starts a flow; read when a message comes, so that the
    filter holds whatever flows the application registered."""

    def __init__(self, *, flows: bool) -> None:
        super().__init__(name="FLOW_COMMAND" if flows else "KNOWN_COMMAND")
        self.flows = flows

    def filter(self, message: Message) -> bool:
        flows = registered()
        pattern = flows.flow_command if self.flows else flows.known_command
        return bool(message.text and pattern.match(message.text))


# The bot's commands are never taken as a typed value (not even as a password).
KNOWN_COMMAND = _Command(flows=False)
# The commands that start a flow: typed inside another flow, they ask whether to leave it.
# The others answer everywhere.
FLOW_COMMAND = _Command(flows=True)

# A value typed at a step («no me llegó» while the chat's sign-up waits is answered before
# the flows see it: handlers/confirm.missing_mail_handlers).
TYPED_TEXT = filters.TEXT & ~filters.COMMAND
# A password may begin with "/", so only the bot's own commands are not taken as one.
PASSWORD_TEXT = filters.TEXT & ~KNOWN_COMMAND


# Telegram's longest message (its text, once the HTML is read; the HTML is measured here,
# which is longer, so that a merged message never comes near it).
MAX_MESSAGE = 4096


class _Pending:
    """What the update in hand has still to say or undo: the presses whose buttons are
    still on their messages, and the leads (texts said before the next one)."""

    def __init__(self) -> None:
        self.presses: list[CallbackQuery] = []
        self.leads: list[Html] = []


# See `answering_presses`; None outside one (then each is done at once, as it comes).
_PENDING: ContextVar[_Pending | None] = ContextVar("pending", default=None)


@contextlib.asynccontextmanager
async def answering_presses(chat: Chat) -> AsyncIterator[None]:
    """Around one update's handling (bot.processor), so that it costs as few requests as
    it can against Telegram's limit of about 30 a second for the whole bot: a button
    pressed keeps its message until the update's first `say`, which edits that message
    into the answer (one request where taking the buttons off and sending were two), and
    a `lead` waits for the next `say`, to go in the same message. What the update did not
    say by its end (failed update included) is done then: the leads sent, the buttons
    taken off. An update cut short by a stop does nothing more (it is processed again
    after the restart)."""
    pending = _Pending()
    token = _PENDING.set(pending)
    try:
        yield
    except Exception:
        await _settle(chat, pending)
        raise
    else:
        await _settle(chat, pending)
    finally:
        _PENDING.reset(token)


async def _settle(chat: Chat, pending: _Pending) -> None:
    """What an update left unsaid: its leads sent, its pressed buttons taken off."""
    if pending.leads:
        await chat.send_message("\n\n".join(pending.leads), parse_mode=ParseMode.HTML)
    for query in pending.presses:
        await _take_buttons_off(query)


async def lead(update: Update, context: BotContext, key: str, **values: Any) -> None:
    """Say `key`'s text at the head of the next thing said in this update (a note before
    a question: one message, not two); at once outside an update's handling."""
    pending = _PENDING.get()
    if pending is None:
        await say(update, context, key, **values)
        return
    pending.leads.append(context.text(update, key, **values))


async def _take_buttons_off(query: CallbackQuery) -> None:
    """A quick second tap finds them already gone, which is no error."""
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)


def _pressed_message(update: Update) -> tuple[CallbackQuery, Message] | None:
    """The press of this update whose buttons are still on its message, taken: the
    next thing said is edited into that message."""
    pending = _PENDING.get()
    query = update.callback_query
    if pending is None or query is None or query not in pending.presses:
        return None
    message = query.message
    assert isinstance(message, Message)  # as buttons_off noted it
    pending.presses.remove(query)
    return query, message


def _chosen(query: CallbackQuery, message: Message) -> str:
    """The text of the button pressed, as the message showed it."""
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            if button.callback_data == query.data:
                return button.text
    return ""


async def say(
    update: Update, context: BotContext, key: str, *, keyboard: str | None = None, **values: Any
) -> Message:
    """Send `key`'s text; after a button press in this update, the pressed message is
    edited instead into its own text, the button chosen and this text (one request)."""

    def t(name: str, **text_values: Any) -> str:
        return context.label(update, name, **text_values)

    markup = registered().keyboards[keyboard](t, values) if keyboard else None
    text = await _after_leads(update, context.text(update, key, **values))
    pressed = _pressed_message(update)
    if pressed is not None:
        edited = await _edit_into(update, context, *pressed, text, markup)
        if edited is not None:
            return edited
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=markup)


async def _after_leads(update: Update, text: str) -> str:
    """`text` after the update's leads not said yet (sent alone first if together they
    would be too long for one message)."""
    pending = _PENDING.get()
    if pending is None or not pending.leads:
        return text
    leads, pending.leads = "\n\n".join(pending.leads), []
    if len(leads) + len(text) + 2 <= MAX_MESSAGE:
        return f"{leads}\n\n{text}"
    chat = update.effective_chat
    assert chat is not None
    await chat.send_message(leads, parse_mode=ParseMode.HTML)
    return text


async def _edit_into(
    update: Update,
    context: BotContext,
    query: CallbackQuery,
    message: Message,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> Message | None:
    """The pressed message edited into its text, the choice and `text` (with `markup`),
    so that the chat still reads as question, answer, next question; None when it cannot
    be (too long, or Telegram refuses the edit): its buttons are then taken off, and the
    text is to be sent."""
    chosen = _chosen(query, message)  # none: a button no longer on the message's copy
    choice = f"\n\n{context.text(update, 'common.chosen', choice=chosen)}" if chosen else ""
    merged = f"{message.text_html}{choice}\n\n{text}"
    if len(merged) <= MAX_MESSAGE:
        try:
            edited = await query.edit_message_text(
                merged, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except BadRequest as error:  # gone, or not modified: say it anew
            logger.info("could not edit the pressed message: %s", error)
        else:
            if isinstance(edited, Message):
                return edited
    await _take_buttons_off(query)
    return None


async def ask(
    update: Update, context: BotContext, key: str, *, keyboard: str | None = None, **values: Any
) -> Message:
    """Ask a question and remember it, so that it can be asked again word for word."""
    remember(context, key, keyboard=keyboard, **values)
    message = await say(update, context, key, keyboard=keyboard, **values)
    return shown_with_buttons(context.chat.prompt, message)


def shown_with_buttons(question: dict[str, Any] | None, message: Message) -> Message:
    """Note the message that shows a question's buttons, so that a press typed as text
    takes them off as a tap does (chat.typed)."""
    if question and question.get("keyboard") and message.reply_markup:
        question["message"] = message.message_id
    return message


async def offer(
    update: Update, context: BotContext, key: str, *, keyboard: str, **values: Any
) -> Message:
    """A question with buttons outside any flow: the chat's next message may still name
    one of them instead of tapping it (chat.typed)."""
    context.chat.offer = {"key": key, "keyboard": keyboard, "values": values}
    message = await say(update, context, key, keyboard=keyboard, **values)
    return shown_with_buttons(context.chat.offer, message)


def remember(context: BotContext, key: str, *, keyboard: str | None = None, **values: Any) -> None:
    """Make `key` the question in hand without saying it (a reason says it next, through
    its {prompt}). A question that asks for a secret is noted (chat.secrets)."""
    context.chat.prompt = {"key": key, "keyboard": keyboard, "values": values}
    if key in registered().secret_prompts:
        note_secret(context)
    else:
        forget_secret(context)


async def show_buttons(
    update: Update, context: BotContext, key: str, *, keyboard: str, **values: Any
) -> None:
    """Other buttons for the question on the message pressed (a list's next page), the
    question remembered with them so that asking it again shows the same."""
    query = update.callback_query
    assert query is not None
    context.chat.prompt = {"key": key, "keyboard": keyboard, "values": values}
    if isinstance(query.message, Message):
        context.chat.prompt["message"] = query.message.message_id

    def t(name: str, **text_values: Any) -> str:
        return context.label(update, name, **text_values)

    await query.answer()
    with contextlib.suppress(BadRequest):  # pressed twice: the page is already shown
        await query.edit_message_reply_markup(registered().keyboards[keyboard](t, values))


def prompt_text(update: Update, context: BotContext) -> Html:
    prompt = context.chat.prompt
    if not prompt:
        return context.text(update, "common.idle")
    return context.text(update, prompt["key"], **prompt["values"])


async def ask_again(update: Update, context: BotContext, lead: str, **values: Any) -> None:
    """Say why (`lead`, a catalog key, with `values`) and repeat the question in hand,
    with its buttons."""
    prompt = context.chat.prompt or {}
    sent = await say(
        update,
        context,
        lead,
        keyboard=prompt.get("keyboard"),
        **{**prompt.get("values", {}), **values, "prompt": prompt_text(update, context)},
    )
    shown_with_buttons(context.chat.prompt, sent)


def begin_flow(name: str) -> Callable[[Callback], Callback]:
    """Wrap a flow's entry point: inside another flow, ask whether to leave it for this one
    and start nothing yet, so that a chat is only ever in one flow."""

    def wrap(callback: Callback) -> Callback:
        async def entry(update: Update, context: BotContext) -> Any:
            if update.callback_query:
                await update.callback_query.answer()
            previous = context.chat.flow
            if previous not in (None, name):
                await offer_to_leave(update, context, as_command(update, name))
                return None
            context.chat.flow = name
            try:
                return await callback(update, context)
            except BaseException:
                context.chat.flow = previous  # the flow did not start
                raise

        entry.__name__ = callback.__name__
        entry.__doc__ = callback.__doc__
        return entry

    return wrap


def as_command(update: Update, name: str) -> str:
    """What started flow `name` as a command to run later: the command typed, else the
    flow's command followed by the text (a code pasted without one), else (a button) the
    command alone."""
    text = typed(update) if update.message else ""
    if registered().flow_command.match(text):
        return text
    return " ".join(part for part in ("/" + registered().names(name)[0], text) if part)


async def offer_to_leave(update: Update, context: BotContext, command_text: str) -> None:
    """Ask once whether to leave the flow in hand for `command_text` (a command that starts
    another); the question in hand stays remembered, for a «no»."""
    context.chat.leave_for = command_text
    name = command_text.split()[0]  # never the rest: a code may follow /confirmar
    await offer(update, context, "common.leave.ask", keyboard="leave-flow", command=name)


async def other_flow_command(update: Update, context: BotContext) -> None:
    """Inside a flow, a command that starts another: ask whether to leave (the flow's own
    command gets the usual hint and the same question)."""
    text = typed(update)
    match = registered().flow_command.match(text)
    key = registered().flow_of_command(match.group(1)) if match else None
    if key is None or key == context.chat.flow:
        await unexpected(update, context)
        return
    await offer_to_leave(update, context, text)


def switch_to_command(context: BotContext, command_text: str) -> int:
    """End the flow in hand, its drafts dropped as /cancelar drops them, and have
    `command_text` run once it has ended (`run_chosen_command`, in a later group)."""
    leave_flow(context)
    context.chat.switch_to = command_text
    return END


async def run_chosen_command(update: Update, context: BotContext) -> None:
    """After a flow ended to make way for a command («Sí, dejarlo»): the command, processed
    as if typed now, so that its own flow starts (PTB lets only a flow's own handlers end
    it, and only an entry point start another)."""
    command_text, context.chat.switch_to = context.chat.switch_to, None
    chat, user, said = update.effective_chat, update.effective_user, update.effective_message
    if command_text is None or chat is None or user is None or said is None:
        return
    message = Message(
        message_id=said.message_id,
        date=datetime.now(UTC),
        chat=chat,
        from_user=user,
        text=command_text,
        entities=[MessageEntity(MessageEntity.BOT_COMMAND, 0, len(command_text.split()[0]))],
    )
    message.set_bot(context.bot)
    await context.application.process_update(Update(update.update_id, message=message))


def chosen_command_handlers() -> list[Handler]:
    """Run after the flows (their own, later group): the command a flow ended for."""
    return [TypeHandler(Update, run_chosen_command)]


def end_flow(context: BotContext) -> int:
    context.chat.flow = context.chat.step = None
    context.chat.prompt = None
    return END


async def delete_quietly(message: Message | None) -> bool:
    """Delete a message that may hold a secret; whether it worked (a failure is logged)."""
    if message is None:
        return False
    try:
        return await message.delete()
    except TelegramError as error:
        logger.warning("could not delete message %s: %s", message.message_id, error)
        return False


async def delete_late_secret(update: Update, context: BotContext) -> str | None:
    """A message no flow took, soon after the bot asked for a secret (a lock, /cancelar or
    a timeout closed the question, and the password comes all the same): deleted, and
    the note to say returned (a catalog key with a {prompt}); otherwise None."""
    message = update.effective_message
    text = (message.text or message.caption) if message else None
    if not text or registered().known_command.match(text) or not secret_recent(context):
        return None
    deleted = await delete_quietly(message)
    return "common.secret-deleted" if deleted else "common.secret-not-deleted"


async def close_buttons(update: Update, answer: str | None = None) -> None:
    """Answer a button press and take the buttons off its message: within an update's
    handling (`answering_presses`) by the next `say`, which edits the message into the
    answer, or at the end if nothing is said."""
    query = update.callback_query
    assert query is not None
    await query.answer(answer)
    await buttons_off(update)


async def buttons_off(update: Update) -> None:
    """Take the buttons off the pressed message (its query answered already): within an
    update's handling, by the next `say` or at the end (`answering_presses`)."""
    query = update.callback_query
    assert query is not None
    pending = _PENDING.get()
    message = query.message
    # A press typed as text (chat.typed) names its question's message without its text:
    # its answer follows the typed message, so the buttons come off at once, as a caption's.
    editable = (
        isinstance(message, Message)
        and message.text is not None
        and (message.from_user is None or message.from_user.is_bot)
    )
    if pending is None or not editable:
        await _take_buttons_off(query)
    elif query not in pending.presses:
        pending.presses.append(query)


def format_wait(update: Update, context: BotContext, wait: timedelta | None) -> str:
    seconds = max(1, int((wait or timedelta(0)).total_seconds() + 0.999))
    if seconds < 90:
        return context.text(update, "common.wait-seconds", seconds=seconds)
    return context.text(update, "common.wait-minutes", minutes=(seconds + 59) // 60)


def leave_flow(context: BotContext) -> bool:
    """End whatever flow the chat is in and drop every draft; whether it was in one."""
    in_flow = context.chat.flow is not None
    context.chat.drafts.clear()
    context.chat.leave_for = None
    end_flow(context)
    return in_flow


async def unexpected(update: Update, context: BotContext) -> None:
    """Anything a flow does not expect: say what it waits for, and ask again."""
    message = update.effective_message
    typed = message is not None and message.text is not None
    await ask_again(update, context, "common.unexpected" if typed else "common.not-text")


def command(key: str, callback: Callback, **kwargs: Any) -> CommandHandler[BotContext, Any]:
    """The command registered as `key` (chat.registry), by any of its names."""
    return CommandHandler(registered().names(key), callback, **kwargs)


def button(callback: Callback, data: str) -> CallbackQueryHandler[BotContext, Any]:
    """The press of the button whose data is exactly `data`."""
    return CallbackQueryHandler(callback, pattern=f"^{data}$")


def account_button(callback: Callback, data: str) -> CallbackQueryHandler[BotContext, Any]:
    """The press of a button that may name, after a colon, the account it was shown for
    (see `button_account`)."""
    return CallbackQueryHandler(callback, pattern=rf"^{data}(:\d+)?$")


def button_account(update: Update) -> int | None:
    """The account the pressed button was shown for (None for one made before buttons
    named it)."""
    query = update.callback_query
    suffix = ((query.data if query else None) or "").rpartition(":")[2]
    return int(suffix) if suffix.isdigit() else None
