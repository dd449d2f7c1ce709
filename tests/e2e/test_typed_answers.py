"""Typing instead of tapping (chat.typed): at every question with buttons, typed text that
names a button («sí», «Sí.», «yes», «no», a button's own words) gets the reply its tap
gets, in Spanish and in English; anything else stays the step's typed answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from emulator import Person
from tests import journeys
from tests.conftest import Mailbox
from tests.e2e.conftest import Harness
from tests.factories import (
    CATALOG,
    PASSWORD,
    RFC_FISICA,
    expect_text,
    label,
    shown,
)
from tests.sat_certs import SAT_CSD_RFC, SAT_CSD_SERIAL, SAT_PASSWORD, make_csd, sat_file

TYPO = "juan@hotmal.com"
SUGGESTED = "juan@hotmail.com"
# 06600 is Cuauhtémoc, Ciudad de México, in SAT's catalog (and so is 06700)
PLACE = "Cuauhtémoc, Ciudad de México"

Reach = Callable[[Person, str, Mailbox], Awaitable[None]]


async def signup_email_typo(person: Person, language: str, mailbox: Mailbox) -> None:
    await person.send("/registro")
    await expect_text(person, language, "signup.ask-email")
    await person.send(TYPO)
    await expect_text(person, language, "signup.typo.ask", typed=TYPO, suggested=SUGGESTED)


async def rfc_check_digit(person: Person, language: str, mailbox: Mailbox) -> None:
    await person.send("/registro")
    await expect_text(person, language, "signup.ask-email")
    await person.send("ana@example.mx")
    await expect_text(person, language, "signup.ask-rfc")
    await person.send("GODE561231GR9")
    await expect_text(person, language, "signup.rfc-check-digit", rfc="GODE561231GR9")


async def reset_email_typo(person: Person, language: str, mailbox: Mailbox) -> None:
    await person.send("/recuperar")
    await expect_text(person, language, "reset.intro")
    challenge = await person.reply()
    target = next(b for b in challenge.button_texts() if b in challenge.text)
    await person.press(target, message=challenge)
    await expect_text(person, language, "reset.ask-email")
    await person.send(TYPO)
    await expect_text(person, language, "signup.typo.ask", typed=TYPO, suggested=SUGGESTED)


async def after_confirming(person: Person, language: str, mailbox: Mailbox) -> None:
    """«¿Capturamos los datos de tu empresa?», right after the account is confirmed."""
    await journeys.confirmed(person, mailbox, "juan@example.mx", language=language)


async def company_form(person: Person, language: str, mailbox: Mailbox, rfc: str) -> None:
    await journeys.confirmed(person, mailbox, "juan@example.mx", rfc, language=language)
    await person.send("/empresa")
    await person.press(label(language, "company.button-start"))
    fisica = len(rfc) == 13
    await expect_text(
        person, language, "company.ask-full-name" if fisica else "company.ask-razon-social"
    )


async def leaving_the_flow(person: Person, language: str, mailbox: Mailbox) -> None:
    """«¿Dejamos lo que estábamos haciendo?», a command of another flow typed in one."""
    await company_form(person, language, mailbox, "GODE561231GR8")
    await person.send("/recuperar")
    await expect_text(person, language, "common.leave.ask", command="/recuperar")


async def postal_code_place(person: Person, language: str, mailbox: Mailbox) -> None:
    await company_form(person, language, mailbox, "GODE561231GR8")
    await person.send("Juan Pérez")
    await person.press("612 ·")
    await expect_text(person, language, "company.ask-postal-code")
    await person.send("06600")
    await expect_text(person, language, "company.confirm-place", code="06600", place=PLACE)


async def company_summary(person: Person, language: str, mailbox: Mailbox) -> None:
    await postal_code_place(person, language, mailbox)
    await person.press(label(language, "company.button-yes"))
    await expect_text(person, language, "company.ask-calle")
    for answer in ("Reforma", "123"):
        await person.send(answer)
    await person.press(label(language, "company.button-omit"))
    await person.press("Juárez")
    await person.send("55 1234 5678")
    await person.press(label(language, "company.button-use-email", email="juan@example.mx"))
    await person.press(label(language, "company.sat.button-lugar-same", code="06600"))
    await person.expect("Reforma")  # the summary


async def account_action(person: Person, language: str, mailbox: Mailbox, button: str) -> None:
    await journeys.confirmed(person, mailbox, "ana@example.mx", language=language)
    await person.send("/cuenta")
    await person.press(label(language, button))
    await expect_text(person, language, "account.ask-password")
    await person.send(PASSWORD)


async def account_email_typo(person: Person, language: str, mailbox: Mailbox) -> None:
    await account_action(person, language, mailbox, "account.button-change-email")
    await expect_text(person, language, "account.ask-new-email")
    await person.send(TYPO)
    await expect_text(person, language, "signup.typo.ask", typed=TYPO, suggested=SUGGESTED)


async def account_deletion(person: Person, language: str, mailbox: Mailbox) -> None:
    await account_action(person, language, mailbox, "account.button-delete")
    await expect_text(person, language, "account.delete-warning")


async def stored_csd(person: Person, language: str, mailbox: Mailbox) -> None:
    """An account with SAT's test CSD stored, and /csd showing it."""
    await journeys.confirmed(person, mailbox, "kemper@example.mx", SAT_CSD_RFC, language=language)
    await send_files(person, language, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await expect_text(person, language, "csd.ask-password")
    await person.send(SAT_PASSWORD)
    await person.send("/csd")


async def send_files(person: Person, language: str, cer: bytes, key: bytes) -> None:
    await person.send("/csd")
    await expect_text(person, language, "csd.ask-files")
    await person.send_document("CSD.cer", cer)
    await person.send_document("CSD.key", key)


async def csd_deletion(person: Person, language: str, mailbox: Mailbox) -> None:
    await stored_csd(person, language, mailbox)
    await person.press(label(language, "csd.button-delete"))
    await expect_text(person, language, "csd.confirm-delete", serial=SAT_CSD_SERIAL)


async def csd_replacement(person: Person, language: str, mailbox: Mailbox) -> None:
    await stored_csd(person, language, mailbox)
    await person.press(label(language, "csd.button-replace"))
    await expect_text(person, language, "csd.ask-files")
    new = make_csd()
    await person.send_document("CSD.cer", new.cer)
    await person.send_document("CSD.key", new.key)
    await expect_text(person, language, "csd.confirm-replace", old=SAT_CSD_SERIAL, new=new.serial)


@dataclass(frozen=True)
class Asked:
    """A value that is a question's text, in the person's language."""

    key: str


@dataclass(frozen=True)
class Question:
    reach: Reach
    typed: dict[str, str]  # by language: what the person types instead of tapping
    reply: str  # the catalog key of what tapping the button says next
    values: dict[str, object] = field(default_factory=dict)
    buttons_stay: bool = False  # a tap leaves the question's buttons too
    then: str | None = None  # the catalog key of a question said in the same message


QUESTIONS = {
    "signup email typo": Question(signup_email_typo, {"es": "si", "en": "Yes"}, "signup.ask-rfc"),
    "RFC check digit": Question(
        rfc_check_digit, {"es": "Sí.", "en": "yes!"}, "signup.ask-password"
    ),
    "RFC check digit, the other button": Question(
        rfc_check_digit, {"es": "lo escribo de nuevo", "en": "I'll type it again"}, "signup.ask-rfc"
    ),
    "reset email typo": Question(
        reset_email_typo, {"es": "sí", "en": "ok"}, "reset.sent", {"email": SUGGESTED}
    ),
    "company data after confirming": Question(
        after_confirming,
        {"es": "¡Sí!", "en": "yes"},
        "company.rfc-shown",
        {"rfc": RFC_FISICA, "person": "persona física"},
        then="company.ask-full-name",
    ),
    "leaving the flow": Question(
        leaving_the_flow,
        {"es": "No.", "en": "no"},
        "common.leave.stayed",
        {"prompt": Asked("company.ask-full-name")},
    ),
    "postal code place": Question(
        postal_code_place, {"es": "sí", "en": "Yes."}, "company.ask-calle"
    ),
    "company summary": Question(company_summary, {"es": "guardar", "en": "Save!"}, "company.saved"),
    "account email typo": Question(
        account_email_typo, {"es": "no", "en": "No"}, "account.code-sent", {"email": TYPO}
    ),
    "account deletion": Question(account_deletion, {"es": "No", "en": "no"}, "account.kept"),
    "CSD deletion": Question(csd_deletion, {"es": "no.", "en": "NO"}, "csd.kept"),
    "CSD replacement": Question(csd_replacement, {"es": "Sí", "en": "yes"}, "csd.ask-password"),
}


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("question", QUESTIONS)
async def test_typing_a_button_gets_the_reply_of_tapping_it(
    bot: Harness, smtp, question: str, language: str
) -> None:
    asked = QUESTIONS[question]
    person = bot.person(language_code=language)
    await asked.reach(person, language, smtp.mailbox)
    question = next(m for m in reversed(person.bot_messages()) if m.buttons)
    await person.send(asked.typed[language])
    values = {
        name: CATALOG.text(language, value.key) if isinstance(value, Asked) else value
        for name, value in asked.values.items()
    }
    expected = shown(language, asked.reply, **values)
    if asked.then:
        expected += "\n\n" + shown(language, asked.then)
    assert (await person.reply()).text == expected
    assert bool(question.buttons) is asked.buttons_stay  # as a tap leaves them


ANSWERS = {
    # At «¿Es correcto?» another postal code is the postal code step's answer, as ever
    "postal code place": ("06700", "company.confirm-place", {"code": "06700", "place": PLACE}),
    # At «¿Quisiste decir…?» another address is the address step's answer
    "signup email typo": ("ana@example.mx", "signup.ask-rfc", {}),
}


@pytest.mark.parametrize("question", ANSWERS)
async def test_text_naming_no_button_stays_the_steps_answer(
    bot: Harness, smtp, question: str
) -> None:
    typed, key, values = ANSWERS[question]
    person = bot.person()
    await QUESTIONS[question].reach(person, "es", smtp.mailbox)
    await person.send(typed)
    assert (await person.reply()).text == shown("es", key, **values)


async def test_no_typed_at_the_numero_interior_omits_it(bot: Harness, smtp) -> None:
    person = bot.person()
    await postal_code_place(person, "es", smtp.mailbox)
    await person.press(label("es", "company.button-yes"))
    await expect_text(person, "es", "company.ask-calle")
    for answer in ("Reforma", "123"):
        await person.send(answer)
    await person.expect("número interior")
    await person.send("no")
    await person.press("Juárez")
    await person.send("55 1234 5678")
    await person.press(label("es", "company.button-use-email", email="juan@example.mx"))
    await person.press(label("es", "company.sat.button-lugar-same", code="06600"))
    summary = await person.expect("Reforma")
    assert "número interior: no\n" not in summary.text.lower()
