"""What a person can do next, as buttons: the menus of /start and those offered when a
flow ends (issue 13). Each flow's button data is its own; the menus only place them."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from chat.keyboards import Text, Values, rows
from chat.registry import FlowSpec
from handlers.account.keyboards import MENU_ACCOUNT
from handlers.basics import MENU_HELP, MENU_SIGNOUT
from handlers.company.keyboards import MENU_COMPANY, NEXT_COMPANY, NEXT_CSF
from handlers.confirm import MENU_CONFIRM, MENU_RESEND
from handlers.csd.keyboards import MENU_CSD
from handlers.reset import MENU_RESET
from handlers.signin import MENU_SIGNIN
from handlers.signup import MENU_SIGNUP


def menu(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """A chat with no account: make one, or use one (the company data comes after)."""
    return rows(
        t,
        [
            [("start.button-signup", MENU_SIGNUP)],
            [("start.button-confirm", MENU_CONFIRM), ("start.button-resend", MENU_RESEND)],
            [("start.button-signin", MENU_SIGNIN), ("start.button-reset", MENU_RESET)],
            [("start.button-help", MENU_HELP)],
        ],
    )


def menu_pending(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """A chat whose sign-up waits for its code: confirming first."""
    return rows(
        t,
        [
            [("start.button-confirm", MENU_CONFIRM), ("start.button-resend", MENU_RESEND)],
            [("start.button-signup", MENU_SIGNUP)],
            [("start.button-signin", MENU_SIGNIN), ("start.button-reset", MENU_RESET)],
            [("start.button-help", MENU_HELP)],
        ],
    )


def after_signup(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(t, [[("start.button-confirm", MENU_CONFIRM), ("start.button-resend", MENU_RESEND)]])


def after_wrong_sign_in(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(
        t,
        [
            [("start.button-signin", MENU_SIGNIN), ("start.button-reset", MENU_RESET)],
            [("start.button-confirm", MENU_CONFIRM), ("start.button-resend", MENU_RESEND)],
        ],
    )


NEXT_LATER = "next:later"


def signed_in(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """What fits a signed-in chat: its company data, its account, signing out."""
    return rows(
        t,
        [
            [("start.button-company", MENU_COMPANY)],
            [("next.button-account", MENU_ACCOUNT), ("next.button-signout", MENU_SIGNOUT)],
        ],
    )


def after_confirm(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(
        t,
        [
            [("company.csf.button-send", NEXT_CSF)],
            [("next.button-company", NEXT_COMPANY)],
            [("next.button-later", NEXT_LATER)],
        ],
    )


def after_company(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(
        t,
        [
            [("next.button-csd", MENU_CSD)],
            [("next.button-account", MENU_ACCOUNT), ("next.button-signout", MENU_SIGNOUT)],
        ],
    )


def after_csd(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """Everything asked for is in: the account, or leaving."""
    return rows(t, [[("next.button-account", MENU_ACCOUNT), ("next.button-signout", MENU_SIGNOUT)]])


MENUS = FlowSpec(
    "menus",
    keyboards={
        "menu": menu,
        "menu-pending": menu_pending,
        "after-signup": after_signup,
        "after-wrong-sign-in": after_wrong_sign_in,
        "signed-in": signed_in,
        "after-confirm": after_confirm,
        "after-company": after_company,
        "after-csd": after_csd,
    },
    # «¿Capturamos los datos de tu empresa?», after confirming: «sí» or «no».
    affirmative=frozenset({NEXT_COMPANY}),
    negative=frozenset({NEXT_LATER}),
)
