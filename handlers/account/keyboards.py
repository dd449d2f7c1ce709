"""/cuenta's buttons, by name, with their data."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from chat.keyboards import Text, Values, for_account, rows

MENU_ACCOUNT = "menu:account"
ACCOUNT_CHANGE_EMAIL = "account:email"
ACCOUNT_CHANGE_PASSWORD = "account:password"
ACCOUNT_DELETE = "account:delete"
ACCOUNT_SIGN_OUT_OTHERS = "account:sign-out-others"
ACCOUNT_DELETE_YES = "account:delete-yes"
ACCOUNT_KEEP = "account:keep"
ACCOUNT_CONTACT_EMAIL = "account:contact-email"


def account(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """/cuenta's choices; signing the other chats out only when there are some (`others`)."""
    others = [[("account.button-sign-out-others", for_account(ACCOUNT_SIGN_OUT_OTHERS, values))]]
    return rows(
        t,
        [
            [("account.button-change-email", for_account(ACCOUNT_CHANGE_EMAIL, values))],
            [("account.button-change-password", for_account(ACCOUNT_CHANGE_PASSWORD, values))],
            *(others if (values or {}).get("others") else []),
            [("account.button-delete", for_account(ACCOUNT_DELETE, values))],
        ],
    )


def sign_out_others(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    data = for_account(ACCOUNT_SIGN_OUT_OTHERS, values)
    return rows(t, [[("account.button-sign-out-others", data)]])


def contact_email(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """Make the account's new address the company's contact address too."""
    data = for_account(ACCOUNT_CONTACT_EMAIL, values)
    return rows(t, [[("account.button-contact-email", data)]])


def delete_account(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(
        t,
        [
            [("account.button-delete-yes", ACCOUNT_DELETE_YES)],
            [("account.button-keep", ACCOUNT_KEEP)],
        ],
    )


KEYBOARDS = {
    "account": account,
    "sign-out-others": sign_out_others,
    "delete-account": delete_account,
    "contact-email": contact_email,
}
# Typing instead of tapping (chat.typed): the buttons a typed «sí» presses, and «no».
AFFIRMATIVE = frozenset({ACCOUNT_DELETE_YES, ACCOUNT_CONTACT_EMAIL})
NEGATIVE = frozenset({ACCOUNT_KEEP})
