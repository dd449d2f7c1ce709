"""Every email (each one registered in mail/samples.py), in every language, for an operator
with and without support, aviso de privacidad and Reply-To: its HTML part read with a
parser as a mail app reads it, and compared with its text part."""

from __future__ import annotations

import re
from string import Template

import pytest

from mail.identity import Operator
from mail.samples import BOT_USERNAME, CONFIRMATION_CODE, sample_letters
from mail.templates import LAYOUT, EmailContent, Letter, catalogs, confirmation_email
from tests.mail.reading import Document, read_html

LANGUAGES = sorted(catalogs())
BARE = Operator()
FULL = Operator(
    name="Facturas & Timbres <Norte>",
    support_contact="soporte@timbres.example · 81 1234 5678",
    privacy_notice_url="https://timbres.example/aviso?v=2&lang=es",
    reply_to="ayuda@timbres.example",
)
# The emails that invite a reply (they have a `reply` part in the catalogs).
INVITE_REPLIES = {
    "confirmation",
    "signup-attempt",
    "password-changed",
    "email-changed",
    "account-deleted",
    "csd-expiring",
}
BOT_URL = f"https://t.me/{BOT_USERNAME}"
NETWORK_TAGS = {"img", "link", "script", "style", "iframe", "object", "embed", "video", "audio"}
NETWORK_ATTRIBUTES = {"src", "srcset", "background", "poster", "data", "action"}

CASES = [
    pytest.param(letter, operator, id=f"{letter.name}-{language}-{label}")
    for language in LANGUAGES
    for letter in sample_letters(language)
    for label, operator in (("bare", BARE), ("full", FULL))
]
WITH_CODE = [case for case in CASES if "code" in case.values[0].values]
WITH_LINK = [case for case in CASES if "link" in case.values[0].values]


def rendered(letter: Letter, operator: Operator) -> tuple[EmailContent, Document]:
    content = letter.render(operator, bot_username=BOT_USERNAME)
    return content, read_html(content.html)


def plain(source: str, values: dict[str, str]) -> str:
    """A catalog text as the text part says it: values in, marks out."""
    return Template(source).substitute(values).replace("`", "").replace("*", "")


def test_every_email_in_the_catalogs_has_a_sample_in_every_language() -> None:
    for language in LANGUAGES:
        names = [letter.name for letter in sample_letters(language)]
        assert sorted(names) == sorted(set(catalogs()[language]) - {LAYOUT}), language
        assert {letter.language for letter in sample_letters(language)} == {language}


@pytest.mark.parametrize(("letter", "operator"), CASES)
def test_the_operators_name_heads_the_email(letter: Letter, operator: Operator) -> None:
    content, document = rendered(letter, operator)
    header, words = document.body.first_words()
    assert words == operator.name and header.tag == "td" and header.style()["font-weight"] == "bold"
    assert content.text.splitlines()[0] == operator.name
    assert document.root.find_all("html")[0].attrs["lang"] == letter.language


@pytest.mark.parametrize(("letter", "operator"), WITH_CODE)
def test_a_code_is_in_a_large_monospace_box_easy_to_copy(
    letter: Letter, operator: Operator
) -> None:
    code = letter.values["code"]
    content, document = rendered(letter, operator)
    [box] = [td for td in document.body.cells() if td.text() == code]
    style = box.style()
    assert "monospace" in style["font-family"] and int(style["font-size"].removesuffix("px")) >= 20
    # Wrapped between the groups of a long code, never inside one (see below).
    assert style["user-select"] == "all" and style["word-break"] == "normal"
    assert re.search(rf"^\S.*: {re.escape(code)}$", content.text, re.MULTILINE)


@pytest.mark.parametrize(("letter", "operator"), WITH_LINK)
def test_the_one_tap_link_is_a_button(letter: Letter, operator: Operator) -> None:
    link = letter.values["link"]
    content, document = rendered(letter, operator)
    [button] = [a for a in document.body.find_all("a") if a.attrs["href"] == link]
    assert button.style()["display"] == "inline-block" and button.text()
    assert button.parent is not None and button.parent.attrs.get("bgcolor")
    assert link in content.text.splitlines()


@pytest.mark.parametrize(("letter", "operator"), CASES)
def test_nothing_is_fetched_from_the_network(letter: Letter, operator: Operator) -> None:
    content, document = rendered(letter, operator)
    elements = list(document.root.iter())
    assert not {element.tag for element in elements} & NETWORK_TAGS
    assert not [e.tag for e in elements if set(e.attrs) & NETWORK_ATTRIBUTES]
    lowered = content.html.lower()
    assert "url(" not in lowered and "@import" not in lowered and "<script" not in lowered
    # The only addresses are the email's own link, the bot's and the aviso de privacidad.
    allowed = {letter.values.get("link"), operator.privacy_notice_url, BOT_URL}
    assert set(document.hrefs()) <= allowed


@pytest.mark.parametrize(("letter", "operator"), CASES)
def test_one_centred_column_up_to_600_px_styled_inline(letter: Letter, operator: Operator) -> None:
    _, document = rendered(letter, operator)
    [viewport] = [m for m in document.root.find_all("meta") if m.attrs.get("name") == "viewport"]
    assert "width=device-width" in viewport.attrs["content"]
    column = [t for t in document.body.find_all("table") if t.style().get("max-width") == "600px"]
    assert len(column) == 1 and column[0].style()["width"] == "100%"
    assert column[0].parent is not None and column[0].parent.attrs["align"] == "center"
    # Outlook's Word engine ignores max-width: a 600 px table only it reads holds the column.
    assert any('width="600"' in comment for comment in document.comments)
    assert not document.root.find_all("style") and not any(
        "class" in e.attrs for e in document.root.iter()
    )


@pytest.mark.parametrize(("letter", "operator"), CASES)
def test_the_text_and_html_parts_state_the_same_facts(letter: Letter, operator: Operator) -> None:
    content, document = rendered(letter, operator)
    seen = document.visible_text() + " " + " ".join(document.hrefs())
    facts = [*letter.values.values(), operator.name]
    for fact in facts:
        assert fact in content.text and fact in seen, fact
    for fact in (operator.support_contact, operator.privacy_notice_url):
        if fact is not None:
            assert fact in content.text and fact in seen, fact
    if operator.privacy_notice_url is None:
        command = "/privacidad" if letter.language == "es" else "/privacy"
        assert content.text.count(command) == 1 and command in seen
    if operator.support_contact is None:
        command = "/soporte" if letter.language == "es" else "/support"
        assert command in content.text.split("-- \n")[-1] and command in seen
    assert content.subject and "$" not in content.subject + content.text + content.html
    assert "*" not in content.text and "`" not in content.text


@pytest.mark.parametrize(("letter", "operator"), CASES)
def test_every_email_says_what_to_do_if_it_was_not_you(letter: Letter, operator: Operator) -> None:
    content, document = rendered(letter, operator)
    words = plain(catalogs()[letter.language][letter.name]["not_you"], {})
    assert words in content.text and words in document.visible_text()
    [note] = [td for td in document.body.cells() if td.text().startswith(words)]
    assert note.style()["border-left"]  # set apart from the rest


@pytest.mark.parametrize(("letter", "operator"), CASES)
def test_reply_to_only_where_the_email_invites_a_reply_and_it_is_set(
    letter: Letter, operator: Operator
) -> None:
    content, document = rendered(letter, operator)
    invites = letter.name in INVITE_REPLIES and operator.reply_to is not None
    assert content.reply_to == (operator.reply_to if invites else None)
    invitation = catalogs()[letter.language][letter.name].get("reply")
    if invitation is not None:
        # Without Reply-To a reply would go to the no-reply sender: the email does not ask.
        assert (plain(invitation, {}) in content.text) == invites
        assert (plain(invitation, {}) in document.visible_text()) == invites


def test_the_html_part_escapes_what_people_typed_and_the_operators_name() -> None:
    letter = confirmation_email(
        language="es",
        email="a<b>@example.mx",
        rfc="GODE561231GR8",
        code="c" * 40,
        link="https://t.me/x?start=c_1&y=2",
        ttl_hours=72,
    )
    content = letter.render(FULL)
    assert "a&lt;b&gt;@example.mx" in content.html and "a<b>@example.mx" in content.text
    assert "start=c_1&amp;y=2" in content.html and "<Norte>" not in content.html
    assert "Facturas &amp; Timbres &lt;Norte&gt;" in content.html
    assert "72 horas" in content.text


def test_signup_attempt_mentions_recovery_and_carries_no_code() -> None:
    [attempt] = [letter for letter in sample_letters("es") if letter.name == "signup-attempt"]
    content = attempt.render(BARE)
    assert "/recuperar" in content.text and "/recuperar" in content.html
    assert not re.search(r"[0-9a-f]{8}( ?[0-9a-f]{8}){4}|[A-Z2-9]{4}-[A-Z2-9]{4}", content.text)


@pytest.mark.parametrize(("letter", "operator"), CASES)
def test_every_email_names_the_bot_by_its_username_and_link(
    letter: Letter, operator: Operator
) -> None:
    # So that a wary person can tell an email of ours from phishing: the bot they know.
    content, document = rendered(letter, operator)
    footer = content.text.split("-- \n")[-1]
    assert f"@{BOT_USERNAME}" in footer and BOT_URL in footer
    assert f"@{BOT_USERNAME}" in document.visible_text() and BOT_URL in document.hrefs()


def test_the_confirmation_code_is_shown_in_groups_of_8() -> None:
    # 40 characters in a row break anywhere on a phone's narrow screen; groups of 8
    # wrap between groups, and the bot takes the code back with its spaces.
    letter = confirmation_email(
        language="es",
        email="a@b.mx",
        rfc="GODE561231GR8",
        code=CONFIRMATION_CODE,
        link="x",
        ttl_hours=72,
    )
    content, document = rendered(letter, BARE)
    groups = " ".join(CONFIRMATION_CODE[i : i + 8] for i in range(0, 40, 8))
    assert f"Código de confirmación: {groups}" in content.text
    [box] = [td for td in document.body.cells() if td.text() == groups]
    assert box.style()["word-break"] == "normal"
