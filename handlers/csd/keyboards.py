"""/csd's buttons, by name, with their data."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from chat.keyboards import Text, Values, for_account, rows

# The Certificado de Sello Digital (/csd)
MENU_CSD = "menu:csd"
CSD_REPLACE = "csd:replace"  # + ":" + account, as /cuenta's buttons
CSD_DELETE = "csd:delete"  # + ":" + account
CSD_REPLACE_YES = "csd:replace-yes"
CSD_DELETE_YES = "csd:delete-yes"
CSD_KEEP = "csd:keep"
CSD_USE_NAME = "csd:use-name"
CSD_KEEP_NAME = "csd:keep-name"


def csd_stored(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """The stored CSD, looked at: replace it or delete it (buttons naming the account)."""
    return rows(
        t,
        [
            [
                ("csd.button-replace", for_account(CSD_REPLACE, values)),
                ("csd.button-delete", for_account(CSD_DELETE, values)),
            ]
        ],
    )


def csd_replace(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(t, [[("csd.button-replace-yes", CSD_REPLACE_YES)], [("csd.button-keep", CSD_KEEP)]])


def csd_delete(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(t, [[("csd.button-delete-yes", CSD_DELETE_YES)], [("csd.button-keep", CSD_KEEP)]])


def csd_name(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    use = t("csd.button-use-name", suggested=(values or {}).get("suggested", ""))
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(use, callback_data=CSD_USE_NAME)],
            [InlineKeyboardButton(t("csd.button-keep-name"), callback_data=CSD_KEEP_NAME)],
        ]
    )


KEYBOARDS = {
    "csd-stored": csd_stored,
    "csd-replace": csd_replace,
    "csd-delete": csd_delete,
    "csd-name": csd_name,
}
# Typing instead of tapping (chat.typed): the buttons a typed «sí» presses, and «no».
AFFIRMATIVE = frozenset({CSD_REPLACE_YES, CSD_DELETE_YES, CSD_USE_NAME})
NEGATIVE = frozenset({CSD_KEEP, CSD_KEEP_NAME})
