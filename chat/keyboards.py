"""Inline keyboards, by name, so that a question can be asked again with its buttons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from services.company import FIELDS as COMPANY_FIELDS

Text = Callable[..., str]
Values = dict[str, Any]
Builder = Callable[[Text, Values], InlineKeyboardMarkup]

MENU_SIGNUP = "menu:signup"
MENU_CONFIRM = "menu:confirm"
MENU_RESEND = "menu:resend"
MENU_HELP = "menu:help"
MENU_COMPANY = "menu:company"
MENU_SIGNIN = "menu:signin"
MENU_ACCOUNT = "menu:account"
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


def menu(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """A chat with no account: make one, or use one (the company data comes after)."""
    return _rows(
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
    return _rows(
        t,
        [
            [("start.button-confirm", MENU_CONFIRM), ("start.button-resend", MENU_RESEND)],
            [("start.button-signup", MENU_SIGNUP)],
            [("start.button-signin", MENU_SIGNIN), ("start.button-reset", MENU_RESET)],
            [("start.button-help", MENU_HELP)],
        ],
    )


def after_signup(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(
        t, [[("start.button-confirm", MENU_CONFIRM), ("start.button-resend", MENU_RESEND)]]
    )


def after_wrong_sign_in(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(
        t,
        [
            [("start.button-signin", MENU_SIGNIN), ("start.button-reset", MENU_RESET)],
            [("start.button-confirm", MENU_CONFIRM), ("start.button-resend", MENU_RESEND)],
        ],
    )


def rfc_check(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(t, [[("signup.rfc-check-yes", RFC_YES), ("signup.rfc-check-retype", RFC_RETYPE)]])


def signup_summary(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
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


COMPANY_START = "company:start"
COMPANY_SKIP = "company:skip"
COMPANY_SAVE = "company:save"
COMPANY_CANCEL = "company:cancel"
COMPANY_EDIT = "company:edit:"  # + field name
COMPANY_YES = "company:yes"
COMPANY_NO = "company:no"
COMPANY_OMIT = "company:omit"
COMPANY_USE_EMAIL = "company:use-email"
REGIME = "regime:"  # + code


def company_intro(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(
        t, [[("company.button-start", COMPANY_START)], [("company.button-skip", COMPANY_SKIP)]]
    )


def yes_no(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(t, [[("company.button-yes", COMPANY_YES), ("company.button-no", COMPANY_NO)]])


def drop_capital(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(
        t, [[("company.button-drop-capital", COMPANY_YES)], [("company.button-keep", COMPANY_NO)]]
    )


def omit(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(t, [[("company.button-omit", COMPANY_OMIT)]])


def use_email(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    label = t("company.button-use-email", email=(values or {}).get("email", ""))
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=COMPANY_USE_EMAIL)]])


def regimes(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"{code} · {name}", callback_data=REGIME + code)]
            for code, name in (values or {}).get("choices", [])
        ]
    )


def company_summary(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    edits = [
        InlineKeyboardButton("✏️ " + t(f"company.label.{name}"), callback_data=COMPANY_EDIT + name)
        for name in COMPANY_FIELDS
    ]
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(t("company.button-save"), callback_data=COMPANY_SAVE)],
            *[edits[i : i + 2] for i in range(0, len(edits), 2)],
            [InlineKeyboardButton(t("company.button-cancel"), callback_data=COMPANY_CANCEL)],
        ]
    )


MENU_RESET = "menu:reset"
LANGUAGE = "lang:"  # + catalog language


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


CHECK = "hc:"  # + token + ":" + position, or ":new" for another challenge
CHECK_NEW = "new"


def challenge(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    token = (values or {}).get("token", "")
    symbols = [
        InlineKeyboardButton(symbol, callback_data=f"{CHECK}{token}:{position}")
        for position, symbol in enumerate((values or {}).get("buttons", []))
    ]
    return InlineKeyboardMarkup(
        [
            *[symbols[i : i + 3] for i in range(0, len(symbols), 3)],
            [
                InlineKeyboardButton(
                    t("check.button-new"), callback_data=f"{CHECK}{token}:{CHECK_NEW}"
                )
            ],
        ]
    )


ACCOUNT_CHANGE_EMAIL = "account:email"
ACCOUNT_CHANGE_PASSWORD = "account:password"
ACCOUNT_DELETE = "account:delete"
ACCOUNT_SIGN_OUT_OTHERS = "account:sign-out-others"
ACCOUNT_DELETE_YES = "account:delete-yes"
ACCOUNT_KEEP = "account:keep"
ACCOUNT_CONTACT_EMAIL = "account:contact-email"


def for_account(data: str, values: Values | None) -> str:
    """A /cuenta button's data names the account it was shown for (`account` in values),
    so that pressed after the chat changed accounts it acts on none."""
    account = (values or {}).get("account")
    return f"{data}:{account}" if account is not None else data


def account(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """/cuenta's choices; signing the other chats out only when there are some (`others`)."""
    others = [[("account.button-sign-out-others", for_account(ACCOUNT_SIGN_OUT_OTHERS, values))]]
    return _rows(
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
    return _rows(t, [[("account.button-sign-out-others", data)]])


def contact_email(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """Make the account's new address the company's contact address too."""
    data = for_account(ACCOUNT_CONTACT_EMAIL, values)
    return _rows(t, [[("account.button-contact-email", data)]])


def delete_account(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(
        t,
        [
            [("account.button-delete-yes", ACCOUNT_DELETE_YES)],
            [("account.button-keep", ACCOUNT_KEEP)],
        ],
    )


PRIVACY_ACCEPT = "privacy:accept"


def privacy_accept(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(t, [[("privacy.button-accept", PRIVACY_ACCEPT)]])


# What a person can do next, after a flow ends (issue 13)
MENU_SIGNOUT = "menu:signout"
NEXT_LATER = "next:later"
NEXT_COMPANY = "next:company"
LEAVE_YES = "leave:yes"
LEAVE_NO = "leave:no"
SWITCH_ACCOUNT = "switch:yes"
SWITCH_STAY = "switch:stay"
EMAIL_SUGGESTED = "email:suggested"
EMAIL_AS_TYPED = "email:as-typed"


# /soporte: write the problem here; an admin marks a request handled (its number after).
SUPPORT_WRITE = "support:write"
SUPPORT_HANDLED = "support:handled:"


def support_write(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(t, [[("support.button-write", SUPPORT_WRITE)]])


def support_handled(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """A button per open request shown (`numbers`), to mark it handled."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("support.button-handled", number=number),
                    callback_data=f"{SUPPORT_HANDLED}{number}",
                )
            ]
            for number in (values or {}).get("numbers", [])
        ]
    )


def signed_in(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """What fits a signed-in chat: its company data, its account, signing out."""
    return _rows(
        t,
        [
            [("start.button-company", MENU_COMPANY)],
            [("next.button-account", MENU_ACCOUNT), ("next.button-signout", MENU_SIGNOUT)],
        ],
    )


def leave_flow(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """«¿Dejamos lo que estábamos haciendo?»"""
    return _rows(
        t, [[("common.leave.button-yes", LEAVE_YES), ("common.leave.button-no", LEAVE_NO)]]
    )


def after_confirm(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(t, [[("next.button-company", NEXT_COMPANY)], [("next.button-later", NEXT_LATER)]])


def after_company(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(
        t,
        [
            [("next.button-csd", MENU_CSD)],
            [("next.button-account", MENU_ACCOUNT), ("next.button-signout", MENU_SIGNOUT)],
        ],
    )


def after_csd(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """Everything asked for is in: the account, or leaving."""
    return _rows(
        t, [[("next.button-account", MENU_ACCOUNT), ("next.button-signout", MENU_SIGNOUT)]]
    )


def switch_account(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
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


def company_stored(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """The stored company data, looked at: a button per field to change it."""
    edits = [
        InlineKeyboardButton("✏️ " + t(f"company.label.{name}"), callback_data=COMPANY_EDIT + name)
        for name in COMPANY_FIELDS
    ]
    csd = [InlineKeyboardButton(t("start.button-csd"), callback_data=MENU_CSD)]
    return InlineKeyboardMarkup([*[edits[i : i + 2] for i in range(0, len(edits), 2)], csd])


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


# Lists too long for one message (the colonias of a postal code, the municipios of an
# estado) come a page at a time. A button carries all it needs, the list's scope (postal
# code or estado) included, so that it still means the same after a restart and a button
# of an earlier list is told apart: "col:06600:0930", "col:06600:p2", "col:06600:other".
COLONIA = "col:"  # + postal code + ":" + colonia code, page or OTHER
MUNICIPIO = "mun:"  # + estado code + ":" + municipio code or page
PAGE = "p"  # + page number, counted from 0
OTHER = "other"
PAGE_SIZE = 8
COMPANY_LUGAR_SAME = "company:lugar-same"
COMPANY_LUGAR_OTHER = "company:lugar-other"


def page_of(scope: str, items: list[tuple[str, str]], page: int) -> Values:
    """The values a paged list shows: `page` (kept within the list) of `items`."""
    pages = -(-len(items) // PAGE_SIZE)
    page = max(0, min(page, pages - 1))
    shown = items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    return {"scope": scope, "page": page, "pages": pages, "choices": [list(i) for i in shown]}


def _paged(prefix: str, t: Text, values: Values, other: str | None) -> InlineKeyboardMarkup:
    scope, page, pages = values["scope"], values["page"], values["pages"]

    def data(choice: str) -> str:
        return f"{prefix}{scope}:{choice}"

    rows = [
        [InlineKeyboardButton(name, callback_data=data(code))] for code, name in values["choices"]
    ]
    turns = [
        InlineKeyboardButton(t(key), callback_data=data(f"{PAGE}{to}"))
        for key, to, shown in (
            ("company.sat.button-previous", page - 1, page > 0),
            ("company.sat.button-more", page + 1, page + 1 < pages),
        )
        if shown
    ]
    extra = [[InlineKeyboardButton(t(other), callback_data=data(OTHER))]] if other else []
    return InlineKeyboardMarkup([*rows, *([turns] if turns else []), *extra])


def colonias(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _paged(COLONIA, t, values or {}, "company.sat.button-other-colonia")


def municipios(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _paged(MUNICIPIO, t, values or {}, None)


def place_of_issue(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    same = t("company.sat.button-lugar-same", code=(values or {}).get("code", ""))
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(same, callback_data=COMPANY_LUGAR_SAME)],
            [
                InlineKeyboardButton(
                    t("company.sat.button-lugar-other"), callback_data=COMPANY_LUGAR_OTHER
                )
            ],
        ]
    )


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
    return _rows(
        t,
        [
            [
                ("csd.button-replace", for_account(CSD_REPLACE, values)),
                ("csd.button-delete", for_account(CSD_DELETE, values)),
            ]
        ],
    )


def csd_replace(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(
        t, [[("csd.button-replace-yes", CSD_REPLACE_YES)], [("csd.button-keep", CSD_KEEP)]]
    )


def csd_delete(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return _rows(t, [[("csd.button-delete-yes", CSD_DELETE_YES)], [("csd.button-keep", CSD_KEEP)]])


def csd_name(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    use = t("csd.button-use-name", suggested=(values or {}).get("suggested", ""))
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(use, callback_data=CSD_USE_NAME)],
            [InlineKeyboardButton(t("csd.button-keep-name"), callback_data=CSD_KEEP_NAME)],
        ]
    )


KEYBOARDS: dict[str, Builder] = {
    "support-write": support_write,
    "support-handled": support_handled,
    "languages": languages,
    "challenge": challenge,
    "menu": menu,
    "menu-pending": menu_pending,
    "after-signup": after_signup,
    "after-wrong-sign-in": after_wrong_sign_in,
    "rfc-check": rfc_check,
    "signup-summary": signup_summary,
    "company-intro": company_intro,
    "yes-no": yes_no,
    "drop-capital": drop_capital,
    "omit": omit,
    "use-email": use_email,
    "regimes": regimes,
    "company-summary": company_summary,
    "colonias": colonias,
    "municipios": municipios,
    "place-of-issue": place_of_issue,
    "account": account,
    "sign-out-others": sign_out_others,
    "delete-account": delete_account,
    "contact-email": contact_email,
    "signed-in": signed_in,
    "after-confirm": after_confirm,
    "leave-flow": leave_flow,
    "after-company": after_company,
    "after-csd": after_csd,
    "switch-account": switch_account,
    "email-typo": email_typo,
    "company-stored": company_stored,
    "csd-stored": csd_stored,
    "csd-replace": csd_replace,
    "csd-delete": csd_delete,
    "csd-name": csd_name,
    "privacy-accept": privacy_accept,
}


# Typing instead of tapping (chat.typed): the buttons that say yes, taken by a typed «sí»,
# and those that say no, by a typed «no» (by their data, an account's suffix aside).
AFFIRMATIVE = frozenset(
    {
        RFC_YES,
        COMPANY_YES,
        EMAIL_SUGGESTED,
        ACCOUNT_DELETE_YES,
        ACCOUNT_CONTACT_EMAIL,
        CSD_REPLACE_YES,
        CSD_DELETE_YES,
        CSD_USE_NAME,
        NEXT_COMPANY,  # «¿Capturamos los datos de tu empresa?», after confirming
        LEAVE_YES,  # «¿Dejamos lo que estábamos haciendo?»
    }
)
NEGATIVE = frozenset(
    {
        RFC_RETYPE,
        COMPANY_NO,
        EMAIL_AS_TYPED,
        ACCOUNT_KEEP,
        CSD_KEEP,
        CSD_KEEP_NAME,
        NEXT_LATER,
        LEAVE_NO,
        COMPANY_OMIT,  # «… o toca «Omitir» si no tiene»: «no» (tiene)
    }
)
# Questions whose buttons typed text never presses: the human check is a tap, by design.
TAP_ONLY = frozenset({"challenge"})
