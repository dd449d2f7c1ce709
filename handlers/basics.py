"""The commands and buttons that answer everywhere, inside a flow or not: /cancelar,
/salir, /ayuda (its list made from the registered commands), /privacidad, /soporte,
/idioma, «¿Dejamos lo que estábamos haciendo?», a stale button; and the fallbacks every
flow ends its table with. Their commands register here (/start's in handlers.start,
/privacidad's and /soporte's beside what they start)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from chat.common import (
    FLOW_COMMAND,
    ask_again,
    chosen_command_handlers,
    close_buttons,
    command,
    lead,
    leave_flow,
    offer,
    other_flow_command,
    say,
    switch_to_command,
    unexpected,
)
from chat.context import BotContext, Handler, chat_id
from chat.flow import END
from chat.keyboards import Text, Values, rows
from chat.registry import FlowSpec, local_name, registered
from chat.texts import DEFAULT_LANGUAGE, Html
from chat.typed import typed_press_handlers

MENU_HELP = "menu:help"
MENU_SIGNOUT = "menu:signout"
LANGUAGE = "lang:"  # + catalog language
LEAVE_YES = "leave:yes"
LEAVE_NO = "leave:no"


def languages(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """Each catalog's language, named in itself (`choices`: language -> name)."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(name, callback_data=LANGUAGE + code)
                for code, name in (values or {}).get("choices", {}).items()
            ]
        ]
    )


def leave_flow_buttons(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """«¿Dejamos lo que estábamos haciendo?»"""
    return rows(t, [[("common.leave.button-yes", LEAVE_YES), ("common.leave.button-no", LEAVE_NO)]])


# The commands that answer everywhere, by their place in the command menu.
SIGN_OUT_COMMAND = FlowSpec(
    "signout",
    ("salir", "logout"),
    menu=80,
    build=lambda: [command("signout", sign_out)],
    order=90,
)
LANGUAGE_COMMAND = FlowSpec(
    "language", ("idioma", "language"), menu=100, keyboards={"languages": languages}
)
CANCEL_COMMAND = FlowSpec("cancel", ("cancelar", "cancel"), menu=130)
HELP_COMMAND = FlowSpec("help", ("ayuda", "help"), menu=140)
# A typed text that names a button of the question in hand is that press (chat.typed),
# before the flows; the command a flow was left for runs after them (chat.common).
TYPED_PRESS = FlowSpec("typed-press", build=typed_press_handlers, group=-3)
CHOSEN_COMMAND = FlowSpec("chosen-command", build=chosen_command_handlers, group=1)
# «¿Dejamos lo que estábamos haciendo?» (chat.common.offer_to_leave)
LEAVING = FlowSpec(
    "leave-flow",
    keyboards={"leave-flow": leave_flow_buttons},
    affirmative=frozenset({LEAVE_YES}),
    negative=frozenset({LEAVE_NO}),
)


def help_lines(update: Update, context: BotContext) -> Html:
    """/ayuda's list: a line for each registered command, in the menu's order."""
    language = context.language(update)
    lines = [
        context.text(
            update,
            "help.line",
            command=local_name(spec.commands, language),
            text=context.text(update, f"help.command.{spec.name}"),
        )
        for spec in registered().help()
    ]
    return Html("\n".join(lines))


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


def leave_handlers() -> list[Handler]:
    """The answers to «¿Dejamos lo que estábamos haciendo?»."""
    return [
        CallbackQueryHandler(leave_for_command, pattern=f"^{LEAVE_YES}$"),
        CallbackQueryHandler(stay_in_flow, pattern=f"^{LEAVE_NO}$"),
    ]


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
    await say(update, context, "help.text", commands=help_lines(update, context))
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
    """The short aviso de privacidad, with the full notice's link when there is one, at
    the head of the next thing said (a question)."""
    url = context.services.operator.privacy_notice_url
    if url:
        await lead(update, context, "privacy.short-link", url=url)
    else:
        await lead(update, context, "privacy.short")


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
    language = query.data.removeprefix(LANGUAGE)
    await query.answer()
    if language in context.catalog.languages:
        context.chat.language = language
    await say(update, context, "language.set")
    if context.chat.flow is not None:
        await ask_again(update, context, "help.still-waiting")


def language_handlers() -> list[Handler]:
    return [
        command("language", choose_language),
        CallbackQueryHandler(set_language, pattern=f"^{LANGUAGE}"),
    ]


def answered_everywhere() -> list[Handler]:
    """The commands (and buttons) that answer inside a flow and outside alike: /cancelar,
    /ayuda, /privacidad, /soporte, /idioma and «Salir»."""
    return [
        command("cancel", cancel),
        command("help", show_help),
        command("privacy", show_privacy),
        command("support", show_support),
        *language_handlers(),
        CallbackQueryHandler(sign_out, pattern=f"^{MENU_SIGNOUT}$"),
    ]


def flow_fallbacks(*extra: Handler) -> list[Handler]:
    """Fallbacks of every flow: what answers everywhere, /salir, the flow's own extras,
    then the rest."""
    return [
        *answered_everywhere(),
        command("signout", sign_out),
        *leave_handlers(),
        *extra,
        MessageHandler(FLOW_COMMAND, other_flow_command),
        MessageHandler(filters.ALL, unexpected),
        CallbackQueryHandler(stale_button),
    ]
