"""The company form's buttons (/empresa), by name, with their data."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from chat.keyboards import Text, Values, rows
from handlers.csd.keyboards import MENU_CSD
from services.company import FIELDS as COMPANY_FIELDS

MENU_COMPANY = "menu:company"
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
COMPANY_CSF = "company:csf"  # send the Constancia de Situación Fiscal instead of typing


def company_intro(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(
        t,
        [
            [("company.csf.button-send", COMPANY_CSF)],
            [("company.button-start", COMPANY_START)],
            [("company.button-skip", COMPANY_SKIP)],
        ],
    )


def csf_ask(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """Waiting for the Constancia: typing the data instead."""
    return rows(t, [[("company.csf.button-type", COMPANY_START)]])


def yes_no(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(t, [[("company.button-yes", COMPANY_YES), ("company.button-no", COMPANY_NO)]])


def drop_capital(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(
        t, [[("company.button-drop-capital", COMPANY_YES)], [("company.button-keep", COMPANY_NO)]]
    )


def omit(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    return rows(t, [[("company.button-omit", COMPANY_OMIT)]])


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


NEXT_COMPANY = "next:company"
NEXT_CSF = "next:csf"


def company_stored(t: Text, values: Values | None = None) -> InlineKeyboardMarkup:
    """The stored company data, looked at: a button per field to change it."""
    edits = [
        InlineKeyboardButton("✏️ " + t(f"company.label.{name}"), callback_data=COMPANY_EDIT + name)
        for name in COMPANY_FIELDS
    ]
    csd = [InlineKeyboardButton(t("start.button-csd"), callback_data=MENU_CSD)]
    return InlineKeyboardMarkup([*[edits[i : i + 2] for i in range(0, len(edits), 2)], csd])


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


KEYBOARDS = {
    "company-intro": company_intro,
    "csf-ask": csf_ask,
    "yes-no": yes_no,
    "drop-capital": drop_capital,
    "omit": omit,
    "use-email": use_email,
    "regimes": regimes,
    "company-summary": company_summary,
    "colonias": colonias,
    "municipios": municipios,
    "place-of-issue": place_of_issue,
    "company-stored": company_stored,
}
# Typing instead of tapping (chat.typed): the buttons a typed «sí» presses, and «no».
AFFIRMATIVE = frozenset({COMPANY_YES})
NEGATIVE = frozenset({COMPANY_NO, COMPANY_OMIT})
