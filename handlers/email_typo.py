"""An address with a likely typo (sign-up, /recuperar, /cuenta): the correction offered
with a button, or the address as typed."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from chat.keyboards import Text, Values
from chat.registry import FlowSpec

EMAIL_SUGGESTED = "email:suggested"
EMAIL_AS_TYPED = "email:as-typed"


def email_typo(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    suggested = (values or {}).get("suggested", "")
    typed = (values or {}).get("typed", "")
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("signup.typo.button-suggested", suggested=suggested),
                    callback_data=EMAIL_SUGGESTED,
                )
            ],
            [
                InlineKeyboardButton(
                    t("signup.typo.button-as-typed", typed=typed), callback_data=EMAIL_AS_TYPED
                )
            ],
        ]
    )


EMAIL_TYPO = FlowSpec(
    "email-typo",
    keyboards={"email-typo": email_typo},
    affirmative=frozenset({EMAIL_SUGGESTED}),
    negative=frozenset({EMAIL_AS_TYPED}),
)
