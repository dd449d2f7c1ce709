"""Inline keyboards, by name, so that a question can be asked again with its buttons."""

from __future__ import annotations

from collections.abc import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Text = Callable[[str], str]

MENU_SIGNUP = "menu:signup"
MENU_CONFIRM = "menu:confirm"
MENU_RESEND = "menu:resend"
MENU_HELP = "menu:help"
SIGNUP_CREATE = "signup:create"
SIGNUP_FIX_EMAIL = "signup:fix-email"
SIGNUP_FIX_RFC = "signup:fix-rfc"
SIGNUP_FIX_PASSWORD = "signup:fix-password"
SIGNUP_CANCEL = "signup:cancel"
RFC_YES = "rfc:yes"
RFC_RETYPE = "rfc:retype"


def _rows(t: Text, rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(t(key), callback_data=data) for key, data in row] for row in rows]
    )


def menu(t: Text) -> InlineKeyboardMarkup:
    return _rows(
        t,
        [
            [("start.button-signup", MENU_SIGNUP)],
            [("start.button-confirm", MENU_CONFIRM), ("start.button-resend", MENU_RESEND)],
            [("start.button-help", MENU_HELP)],
        ],
    )


def after_signup(t: Text) -> InlineKeyboardMarkup:
    return _rows(
        t, [[("start.button-confirm", MENU_CONFIRM), ("start.button-resend", MENU_RESEND)]]
    )


def rfc_check(t: Text) -> InlineKeyboardMarkup:
    return _rows(t, [[("signup.rfc-check-yes", RFC_YES), ("signup.rfc-check-retype", RFC_RETYPE)]])


def signup_summary(t: Text) -> InlineKeyboardMarkup:
    return _rows(
        t,
        [
            [("signup.button-create", SIGNUP_CREATE)],
            [
                ("signup.button-fix-email", SIGNUP_FIX_EMAIL),
                ("signup.button-fix-rfc", SIGNUP_FIX_RFC),
            ],
            [("signup.button-fix-password", SIGNUP_FIX_PASSWORD)],
            [("signup.button-cancel", SIGNUP_CANCEL)],
        ],
    )


KEYBOARDS: dict[str, Callable[[Text], InlineKeyboardMarkup]] = {
    "menu": menu,
    "after-signup": after_signup,
    "rfc-check": rfc_check,
    "signup-summary": signup_summary,
}
