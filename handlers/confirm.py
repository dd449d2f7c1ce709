"""Confirmar cuenta (the code, pasted or from the email's link) and Reenviar código.
Diagram in confirm.mmd."""

from __future__ import annotations

from enum import IntEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from chat.common import (
    TYPED_TEXT,
    ask,
    ask_again,
    begin_flow,
    close_buttons,
    command,
    end_flow,
    format_wait,
    offer,
    say,
    switch_to_command,
)
from chat.context import BotContext, Handler, chat_id, typed, user_id
from chat.flow import Flow
from chat.keyboards import Text, Values
from chat.reasons import say_reason
from chat.registry import FlowSpec, registered
from handlers.basics import (
    awaits_confirmation,
    flow_fallbacks,
)
from handlers.missing_mail import says_mail_missing
from handlers.signup import SignupDraft
from services.accounts import ConfirmResult, ConfirmStatus
from services.codes import DEEP_LINK_PREFIX, code_from_payload, looks_like_code
from services.validation import Invalid, parse_email

MENU_CONFIRM = "menu:confirm"
MENU_RESEND = "menu:resend"
SWITCH_ACCOUNT = "switch:yes"
SWITCH_STAY = "switch:stay"


def switch_account_buttons(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    new = (values or {}).get("new", "")
    current = (values or {}).get("current", "")
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("confirm.switch.button-yes", new=new), callback_data=SWITCH_ACCOUNT
                )
            ],
            [
                InlineKeyboardButton(
                    t("confirm.switch.button-stay", current=current), callback_data=SWITCH_STAY
                )
            ],
        ]
    )


# The questions whose own help answers «no me llegó» (the code went by email), and those
# that take any message as it is (a problem written for /soporte may say just that).
CODE_PROMPTS = frozenset({"confirm.ask-code", "account.ask-code", "reset.ask-code"})
MESSAGE_PROMPTS = frozenset({"support.ask", "support.ask-signed-in"})
CONFIRM_FLOW = "confirm"


def own_answer_prompts() -> frozenset[str]:
    """The questions that take «no me llegó» as their own answer (secrets included)."""
    return CODE_PROMPTS | MESSAGE_PROMPTS | registered().secret_prompts


RESEND_FLOW = "resend"
DEEP_LINK = filters.Regex(rf"^/start(@\w+)?\s+{DEEP_LINK_PREFIX}")


class _PastedCode(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        return looks_like_code(message.text or "")


PASTED_CODE = filters.TEXT & ~filters.COMMAND & _PastedCode(name="pasted_code")


class Step(IntEnum):
    CODE = 1
    RESEND_EMAIL = 2


@begin_flow(CONFIRM_FLOW)
async def start_confirm(update: Update, context: BotContext) -> Step | int:
    """Ask for the code, or use the one given as `/confirmar <code>`."""
    if context.args:
        return await check_code(update, context, " ".join(context.args))
    await ask(update, context, "confirm.ask-code")
    return Step.CODE


@begin_flow(CONFIRM_FLOW)
async def confirm_pasted(update: Update, context: BotContext) -> Step | int:
    """A code pasted without a command."""
    return await check_code(update, context, typed(update))


async def receive_code(update: Update, context: BotContext) -> Step | int:
    return await check_code(update, context, typed(update))


async def receive_code_command(update: Update, context: BotContext) -> Step | int:
    """`/confirmar <code>` again while the code is awaited."""
    if context.args:
        return await check_code(update, context, " ".join(context.args))
    await ask(update, context, "confirm.ask-code")
    return Step.CODE


async def resend_instead(update: Update, context: BotContext) -> int:
    """/reenviar at the code prompt, as the prompt's help says: no need to ask whether to
    leave (nothing typed would be lost); the code is sent again, or its address asked."""
    return switch_to_command(context, typed(update))


async def confirm_link(update: Update, context: BotContext) -> int:
    """The email's t.me link: `/start c_<code>`; ends whatever flow the chat was in. In a
    chat signed in to another account than the code's, it asks before switching."""
    payload = context.args[0] if context.args else ""
    code = code_from_payload(payload) or ""
    if not await offer_switch(update, context, code):
        await check_code(update, context, code)
    context.chat.drop(SignupDraft)
    return end_flow(context)


async def offer_switch(update: Update, context: BotContext, code: str) -> bool:
    """Whether the code would move this chat from its account to another: if so, ask
    first (keeping only the code's digest), and use nothing yet."""
    current = await context.services.signin.current_account(chat_id(update))
    if current is None:
        return False
    owner = await context.services.accounts.code_owner(
        text=code, chat_id=chat_id(update), user_id=user_id(update)
    )
    if owner is None or owner.account_id == current.id:
        return False
    context.chat.switch_code = owner.code_hash
    await say(
        update,
        context,
        "confirm.switch.ask",
        keyboard="switch-account",
        current=current.email,
        new=owner.email,
    )
    return True


async def switch_account(update: Update, context: BotContext) -> None:
    """«Cambiar»: use the link's code now, which signs the chat in to its account."""
    await close_buttons(update)
    code_hash, context.chat.switch_code = context.chat.switch_code, None
    if code_hash is None:
        await say(update, context, "common.unexpected-button")
        return
    result = await context.services.accounts.confirm_chosen(
        code_hash=code_hash, chat_id=chat_id(update), user_id=user_id(update)
    )
    await say_result(update, context, result)
    end_flow(context)


async def stay_in_account(update: Update, context: BotContext) -> None:
    """«Seguir»: nothing changes, and the link's code stays unused."""
    await close_buttons(update)
    context.chat.switch_code = None
    current = await context.services.signin.current_account(chat_id(update))
    if current is None:
        await say(update, context, "signin.not-signed-in")
        return
    await say(update, context, "confirm.switch.stayed", keyboard="signed-in", email=current.email)


async def check_code(update: Update, context: BotContext, text: str) -> Step | int:
    result = await context.services.accounts.confirm(
        text=text, chat_id=chat_id(update), user_id=user_id(update)
    )
    return await say_result(update, context, result)


async def say_result(update: Update, context: BotContext, result: ConfirmResult) -> Step | int:
    """Say how a confirmation went: a wrong code (or words) keeps the code asked for."""
    if result.status in (ConfirmStatus.WRONG, ConfirmStatus.NOT_A_CODE):
        context.chat.prompt = {"key": "confirm.ask-code", "keyboard": None, "values": {}}
        if result.status is ConfirmStatus.WRONG:
            await say(update, context, "confirm.wrong")
        else:
            await ask_again(update, context, "confirm.not-a-code")
        return Step.CODE
    if result.status is ConfirmStatus.TOO_MANY_TRIES:
        wait = format_wait(update, context, result.retry_after)
        await say(update, context, "confirm.too-many", wait=wait)
    else:
        if result.left_email is not None:
            await say(update, context, "confirm.switched", left=result.left_email)
        key = {
            ConfirmStatus.CONFIRMED: "confirm.confirmed",
            ConfirmStatus.ALREADY_CONFIRMED: "confirm.already",
            ConfirmStatus.EXPIRED: "confirm.expired",
            ConfirmStatus.OTHER_USER: "confirm.other-user",
        }[result.status]
        # Confirmed: on to the next step, the company data (or later).
        confirmed = result.status is ConfirmStatus.CONFIRMED
        if confirmed:
            context.chat.signup_email = None  # nothing waits for a code any more
            await offer(update, context, key, keyboard="after-confirm")
        else:
            await say(update, context, key)
    return end_flow(context)


@begin_flow(RESEND_FLOW)
async def start_resend(update: Update, context: BotContext) -> Step | int:
    """Resend to the address this chat signed up with, or ask which address."""
    if context.chat.signup_email:
        return await resend(update, context, context.chat.signup_email)
    await ask(update, context, "resend.ask-email")
    return Step.RESEND_EMAIL


async def receive_resend_email(update: Update, context: BotContext) -> Step | int:
    try:
        email = parse_email(typed(update))
    except Invalid as error:
        await say_reason(update, context, error)
        await ask(update, context, "resend.ask-email")
        return Step.RESEND_EMAIL
    return await resend(update, context, email)


async def resend(update: Update, context: BotContext, email: str) -> int:
    result = await context.services.accounts.resend_code(
        email=email, chat_id=chat_id(update), user_id=user_id(update)
    )
    if result.retry_after is not None:
        await say(
            update, context, "resend.wait", wait=format_wait(update, context, result.retry_after)
        )
    else:
        await say(update, context, "resend.sent", email=email)
    return end_flow(context)


def deep_link_handler() -> CommandHandler[BotContext, int]:
    return CommandHandler("start", confirm_link, filters=DEEP_LINK)


def switch_handlers() -> list[Handler]:
    """The answers to «switch accounts?», asked outside any flow."""
    return [
        CallbackQueryHandler(switch_account, pattern=f"^{SWITCH_ACCOUNT}$"),
        CallbackQueryHandler(stay_in_account, pattern=f"^{SWITCH_STAY}$"),
    ]


def build_confirm_conversation() -> Flow:
    return Flow(
        CONFIRM_FLOW,
        entry_points=[
            command("confirm", start_confirm),
            CallbackQueryHandler(start_confirm, pattern=f"^{MENU_CONFIRM}$"),
            MessageHandler(PASTED_CODE, confirm_pasted),
        ],
        states={
            Step.CODE: [
                MessageHandler(TYPED_TEXT, receive_code),
                command("confirm", receive_code_command),
                command("resend", resend_instead),
            ]
        },
        fallbacks=flow_fallbacks(deep_link_handler()),
    )


def build_resend_conversation() -> Flow:
    return Flow(
        RESEND_FLOW,
        entry_points=[
            command("resend", start_resend),
            CallbackQueryHandler(start_resend, pattern=f"^{MENU_RESEND}$"),
        ],
        states={Step.RESEND_EMAIL: [MessageHandler(TYPED_TEXT, receive_resend_email)]},
        fallbacks=flow_fallbacks(deep_link_handler()),
    )


async def missing_mail(update: Update, context: BotContext) -> None:
    """«No me llegó» typed inside a flow while this chat's sign-up waits for its code: the
    help about that email, then the question in hand again. Outside a flow `idle` answers
    it; at a code's, a secret's or a support message's prompt the step takes it (a code's
    help says where the code went; a password is a password; a problem is a problem).
    With no sign-up waiting it is a value like any."""
    message = update.message
    prompt = context.chat.prompt
    if (
        context.chat.flow is None
        or message is None
        or not says_mail_missing(message.text)
        or not awaits_confirmation(context)
        or (
            prompt is not None
            and prompt["key"] in CODE_PROMPTS | MESSAGE_PROMPTS | registered().secret_prompts
        )
    ):
        return
    help_text = context.text(update, "confirm.missing-mail")
    await ask_again(update, context, "confirm.missing-mail-in-flow", help=help_text)
    raise ApplicationHandlerStop


def missing_mail_handlers() -> list[Handler]:
    """Before the flows (their own group): «no me llegó» wherever it is typed."""
    return [MessageHandler(TYPED_TEXT, missing_mail)]


# «No me llegó» wherever it is typed, before the flows.
MISSING_MAIL = FlowSpec("missing-mail", build=missing_mail_handlers, group=-1)
# After the flows that await a secret: a password of hexadecimal characters must reach
# them, not be taken for a pasted confirmation code.
CONFIRM = FlowSpec(
    CONFIRM_FLOW,
    ("confirmar", "confirm"),
    menu=20,
    starts_flow=True,
    build=lambda: [build_confirm_conversation()],
    order=80,
)
RESEND = FlowSpec(
    RESEND_FLOW,
    ("reenviar", "resend"),
    menu=30,
    starts_flow=True,
    build=lambda: [build_resend_conversation()],
    order=81,
)
# The email's link, and the answer to «¿Cambiamos de cuenta?»: no command of their own.
CONFIRM_LINK = FlowSpec(
    "confirm-link",
    build=lambda: [deep_link_handler(), *switch_handlers()],
    order=85,
    keyboards={"switch-account": switch_account_buttons},
)
