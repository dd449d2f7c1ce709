"""What every flow shares: speaking from the catalog, asking (and asking again), the flow
guard, /cancelar, /ayuda and the answer to anything unexpected."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Message, MessageEntity, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from chat import keyboards
from chat.context import BotContext, Callback, Handler, chat_id, typed
from chat.flow import END
from chat.secrets import SECRET_PROMPTS, forget_secret, note_secret, secret_recent
from chat.texts import DEFAULT_LANGUAGE, Html

logger = logging.getLogger(__name__)


# The bot's commands, Spanish name first, in the order of the command menu; they are
# never taken as a typed value (not even as a password).
COMMANDS = {
    "start": ("start",),
    "signup": ("registro", "signup"),
    "confirm": ("confirmar", "confirm"),
    "resend": ("reenviar", "resend"),
    "signin": ("entrar", "login"),
    "company": ("empresa", "company"),
    "csd": ("csd", "certificate"),
    "account": ("cuenta", "account"),
    "signout": ("salir", "logout"),
    "reset": ("recuperar", "reset"),
    "language": ("idioma", "language"),
    "privacy": ("privacidad", "privacy"),
    "support": ("soporte", "support"),
    "cancel": ("cancelar", "cancel"),
    "help": ("ayuda", "help"),
}
KNOWN_COMMAND_PATTERN = re.compile(
    r"^/(" + "|".join(name for names in COMMANDS.values() for name in names) + r")(@\w+)?(\s|$)"
)
KNOWN_COMMAND = filters.Regex(KNOWN_COMMAND_PATTERN)
# The commands that start a flow (each flow is named as its command's key): typed inside
# another flow, they ask whether to leave it. The others answer everywhere.
FLOW_COMMANDS = ("signup", "confirm", "resend", "signin", "company", "csd", "account", "reset")
FLOW_COMMAND_PATTERN = re.compile(
    r"^/(" + "|".join(name for key in FLOW_COMMANDS for name in COMMANDS[key]) + r")(@\w+)?(\s|$)"
)

# A value typed at a step («no me llegó» while the chat's sign-up waits is answered before
# the flows see it: handlers/confirm.missing_mail_handlers).
TYPED_TEXT = filters.TEXT & ~filters.COMMAND
# A password may begin with "/", so only the bot's own commands are not taken as one.
PASSWORD_TEXT = filters.TEXT & ~KNOWN_COMMAND


async def say(
    update: Update, context: BotContext, key: str, *, keyboard: str | None = None, **values: Any
) -> Message:
    def t(name: str, **text_values: Any) -> str:
        return context.label(update, name, **text_values)

    markup = keyboards.KEYBOARDS[keyboard](t, values) if keyboard else None
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(
        context.text(update, key, **values), parse_mode=ParseMode.HTML, reply_markup=markup
    )


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
    if key in SECRET_PROMPTS:
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
        await query.edit_message_reply_markup(keyboards.KEYBOARDS[keyboard](t, values))


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
    if FLOW_COMMAND_PATTERN.match(text):
        return text
    return " ".join(part for part in ("/" + COMMANDS[name][0], text) if part)


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
    match = FLOW_COMMAND_PATTERN.match(text)
    key = next((k for k in FLOW_COMMANDS if match and match.group(1) in COMMANDS[k]), None)
    if key is None or key == context.chat.flow:
        await unexpected(update, context)
        return
    await offer_to_leave(update, context, text)


async def leave_for_command(update: Update, context: BotContext) -> int | None:
    """«Sí, dejarlo»: end the flow in hand, its drafts dropped as /cancelar drops them,
    and have the command run once it has ended."""
    command_text, context.chat.leave_for = context.chat.leave_for, None
    if command_text is None:
        await stale_button(update, context)
        return None
    await close_buttons(update)
    return switch_to_command(context, command_text)


async def stay_in_flow(update: Update, context: BotContext) -> None:
    """«No, seguir»: nothing dropped; the question in hand again."""
    await close_buttons(update)
    context.chat.leave_for = None
    await ask_again(update, context, "common.leave.stayed")


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


def leave_handlers() -> list[Handler]:
    """The answers to «¿Dejamos lo que estábamos haciendo?»."""
    return [
        CallbackQueryHandler(leave_for_command, pattern=f"^{keyboards.LEAVE_YES}$"),
        CallbackQueryHandler(stay_in_flow, pattern=f"^{keyboards.LEAVE_NO}$"),
    ]


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
    if not text or KNOWN_COMMAND_PATTERN.match(text) or not secret_recent(context):
        return None
    deleted = await delete_quietly(message)
    return "common.secret-deleted" if deleted else "common.secret-not-deleted"


async def close_buttons(update: Update, answer: str | None = None) -> None:
    """Answer a button press and take the buttons off its message. A quick second tap on
    them finds them already gone, which is no error."""
    query = update.callback_query
    assert query is not None
    await query.answer(answer)
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)


def format_wait(update: Update, context: BotContext, wait: timedelta | None) -> str:
    seconds = max(1, int((wait or timedelta(0)).total_seconds() + 0.999))
    if seconds < 90:
        return context.text(update, "common.wait-seconds", seconds=seconds)
    return context.text(update, "common.wait-minutes", minutes=(seconds + 59) // 60)


def leave_flow(context: BotContext) -> bool:
    """End whatever flow the chat is in and drop every draft; whether it was in one."""
    in_flow = context.chat.flow is not None
    context.chat.signup = None
    context.chat.login_email = None
    context.chat.company = None
    context.chat.reset = None
    context.chat.account = None
    context.chat.csd = None
    context.chat.leave_for = None
    end_flow(context)
    return in_flow


async def cancel(update: Update, context: BotContext) -> int:
    """Leave whatever flow the chat is in; drafts are dropped."""
    in_flow = leave_flow(context)
    await say(update, context, "common.cancelled" if in_flow else "common.nothing-to-cancel")
    return END


async def sign_out(update: Update, context: BotContext) -> int:
    """/salir (or its button): close this chat's session; inside a flow, leave it too
    (drafts dropped), as on a shared computer one would expect."""
    if update.callback_query:
        await close_buttons(update)
    signed_out = await context.services.signin.sign_out(chat_id(update))
    for_flow = leave_flow(context)
    await say(update, context, "signin.signed-out" if signed_out else "signin.not-signed-in")
    if for_flow and not signed_out:
        await say(update, context, "common.cancelled")
    return END


async def show_help(update: Update, context: BotContext) -> None:
    """The list of commands; inside a flow, followed by the question in hand."""
    if update.callback_query:
        await update.callback_query.answer()
    await say(update, context, "help.text")
    if context.chat.flow is not None:
        await ask_again(update, context, "help.still-waiting")


async def show_privacy(update: Update, context: BotContext) -> None:
    """/privacidad: the aviso de privacidad; inside a flow, then the question in hand."""
    operator = context.services.operator
    await say(update, context, "privacy.notice", version=operator.privacy_notice_version)
    if operator.privacy_notice_url:
        await say(update, context, "privacy.full-notice", url=operator.privacy_notice_url)
    if context.chat.flow is not None:
        await ask_again(update, context, "help.still-waiting")


async def say_privacy_short(update: Update, context: BotContext) -> None:
    """The short aviso de privacidad, with the full notice's link when there is one."""
    url = context.services.operator.privacy_notice_url
    if url:
        await say(update, context, "privacy.short-link", url=url)
    else:
        await say(update, context, "privacy.short")


async def show_support(update: Update, context: BotContext) -> None:
    """/soporte: how to reach a person, and a button to write the problem here (see
    handlers/support.py); inside a flow, the contact, then the question in hand."""
    # SUPPORT_CONTACT is required to serve Telegram, and local mode sets one.
    contact = context.services.operator.support_contact or ""
    if context.chat.flow is None:
        # An offer: a problem typed next instead of tapping is taken (handlers.support).
        await offer(update, context, "support.contact", keyboard="support-write", contact=contact)
        return
    await say(update, context, "support.contact-in-flow", contact=contact)
    await ask_again(update, context, "help.still-waiting")


async def unexpected(update: Update, context: BotContext) -> None:
    """Anything a flow does not expect: say what it waits for, and ask again."""
    message = update.effective_message
    typed = message is not None and message.text is not None
    await ask_again(update, context, "common.unexpected" if typed else "common.not-text")


async def stale_button(update: Update, context: BotContext) -> None:
    """A button of an earlier question: say so, and ask the question in hand again."""
    query = update.callback_query
    assert query is not None
    await query.answer(context.text(update, "common.unexpected-button"))
    if context.chat.flow is not None:
        await ask_again(update, context, "help.still-waiting")
    else:
        await say(update, context, "common.idle", keyboard=await menu_for(update, context))


async def menu_for(update: Update, context: BotContext) -> str:
    """The menu that fits the chat: what a signed-in person can do; confirming first while
    this chat's sign-up waits for its code; else making or using an account."""
    if await context.services.signin.current_account(chat_id(update)) is not None:
        return "signed-in"
    return "menu-pending" if awaits_confirmation(context) else "menu"


def awaits_confirmation(context: BotContext) -> bool:
    """Whether this chat signed up and has not confirmed since. Known from the chat alone,
    the same for any address (it says nothing of other people's accounts)."""
    return context.chat.signup_email is not None


def command(key: str, callback: Callback, **kwargs: Any) -> CommandHandler[BotContext, Any]:
    return CommandHandler(COMMANDS[key], callback, **kwargs)


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


def local_name(names: tuple[str, ...], language: str) -> str:
    """A command's name as a language's menu shows it: the English alias in English, the
    Spanish name otherwise (each works in every language)."""
    return names[-1] if language == "en" else names[0]


async def choose_language(update: Update, context: BotContext) -> None:
    """/idioma: offer the catalogs' languages as buttons."""
    catalog = context.catalog
    # The default language first, as people of this service mostly read it.
    ordered = sorted(catalog.languages, key=lambda language: language != DEFAULT_LANGUAGE)
    choices = {language: catalog.text(language, "language.name") for language in ordered}
    await say(update, context, "language.ask", keyboard="languages", choices=choices)


async def set_language(update: Update, context: BotContext) -> None:
    """Remember the chosen language; inside a flow, ask its question again in it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    language = query.data.removeprefix(keyboards.LANGUAGE)
    await query.answer()
    if language in context.catalog.languages:
        context.chat.language = language
    await say(update, context, "language.set")
    if context.chat.flow is not None:
        await ask_again(update, context, "help.still-waiting")


def language_handlers() -> list[Handler]:
    return [
        command("language", choose_language),
        CallbackQueryHandler(set_language, pattern=f"^{keyboards.LANGUAGE}"),
    ]


def flow_fallbacks(*extra: Handler) -> list[Handler]:
    """Fallbacks of every flow: /cancelar, /ayuda, /idioma, the flow's own extras, then the
    rest."""
    return [
        command("cancel", cancel),
        command("signout", sign_out),
        CallbackQueryHandler(sign_out, pattern=f"^{keyboards.MENU_SIGNOUT}$"),
        command("help", show_help),
        command("privacy", show_privacy),
        command("support", show_support),
        *language_handlers(),
        *leave_handlers(),
        *extra,
        MessageHandler(filters.Regex(FLOW_COMMAND_PATTERN), other_flow_command),
        MessageHandler(filters.ALL, unexpected),
        CallbackQueryHandler(stale_button),
    ]
