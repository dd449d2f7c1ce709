"""Typing instead of tapping (chat.typed): which typed text names which button, and the
questions whose buttons typing never presses."""

from __future__ import annotations

from typing import Any

from chat.state import ChatData
from chat.texts import Catalog
from chat.typed import fold, open_question, typed_choice
from handlers import register_flows
from handlers.account.keyboards import ACCOUNT_CONTACT_EMAIL
from handlers.company.keyboards import COMPANY_EDIT, COMPANY_NO, COMPANY_SAVE, COMPANY_YES, page_of
from handlers.email_typo import EMAIL_AS_TYPED, EMAIL_SUGGESTED

CATALOG = Catalog.load()


def markup(name: str, language: str = "es", **values: Any) -> Any:
    def t(key: str, **text_values: Any) -> str:
        return CATALOG.label(language, key, **text_values)

    return register_flows().keyboards[name](t, values)


def test_folding_drops_case_accents_punctuation_and_a_leading_emoji() -> None:
    assert fold("✅ Sí, usar juan@hotmail.com") == "si usar juan hotmail com"
    assert fold("  ¡SÍ!  ") == fold("si") == fold("Sí.") == "si"
    assert fold("✏️ Razón social") == "razon social"
    assert fold("👍") == ""


def test_yes_and_no_words_press_the_buttons_that_say_yes_and_no() -> None:
    yes_no = markup("yes-no")
    for typed in ("sí", "Si.", "YES", "ok", "Correcto", "¡Sí!"):
        assert typed_choice(yes_no, typed) == COMPANY_YES
    assert typed_choice(yes_no, "no.") == COMPANY_NO
    for typed in ("06700", "sí, pero no", "", "👍", "nop"):
        assert typed_choice(yes_no, typed) is None
    typo = markup("email-typo", "en", typed="a@hotmal.com", suggested="a@hotmail.com")
    assert typed_choice(typo, "yes") == EMAIL_SUGGESTED
    assert typed_choice(typo, "No") == EMAIL_AS_TYPED


def test_a_button_that_names_its_account_is_pressed_with_its_account() -> None:
    contact = markup("contact-email", account=7)
    assert typed_choice(contact, "sí") == f"{ACCOUNT_CONTACT_EMAIL}:7"
    assert typed_choice(contact, "no") is None  # no button says no: the step's answer


def test_a_button_is_pressed_by_its_own_words() -> None:
    summary = markup("company-summary")
    assert typed_choice(summary, "guardar") == COMPANY_SAVE
    assert typed_choice(summary, "razón social") == COMPANY_EDIT + "razon_social"
    assert typed_choice(summary, "sí") is None  # no button of the summary says yes
    colonias = markup("colonias", **page_of("06600", [("0930", "Juárez")], 0))
    assert typed_choice(colonias, "JUAREZ") == "col:06600:0930"


def asked(key: str, keyboard: str, flow: str | None = "company") -> ChatData:
    return ChatData(flow=flow, prompt={"key": key, "keyboard": keyboard, "values": {}})


def test_a_question_for_a_secret_is_never_answered_by_typing() -> None:
    assert open_question(asked("company.confirm-place", "yes-no")) == ("yes-no", {}, None)
    assert open_question(asked("signin.ask-password", "yes-no")) is None
    assert open_question(asked("csd.ask-password", "yes-no")) is None


def test_the_human_check_is_only_tapped() -> None:
    assert open_question(asked("check.tap", "challenge")) is None


def test_outside_a_flow_only_the_next_update_may_answer_a_question() -> None:
    chat = ChatData(offer={"key": "confirm.confirmed", "keyboard": "after-confirm", "values": {}})
    assert open_question(chat) == ("after-confirm", {}, None)
    assert open_question(chat) is None
    assert open_question(asked("company.confirm-place", "yes-no", flow=None)) is None
