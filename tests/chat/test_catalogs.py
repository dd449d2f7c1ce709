"""Every language says everything, with the same placeholders."""

from __future__ import annotations

from string import Formatter, Template

from chat.texts import Catalog
from mail.templates import catalogs as mail_catalogs


def placeholders(text: str, language: str) -> set[str]:
    """The values a text uses; one given per language (`name_es`) counts as its own
    language's `name_*`."""
    names = {name for _, name, _, _ in Formatter().parse(text) if name}
    return {
        name.removesuffix(f"_{language}") + ("_*" if name.endswith(f"_{language}") else "")
        for name in names
    }


def test_bot_catalogs_have_the_same_keys_and_placeholders() -> None:
    languages = Catalog.load().languages
    assert set(languages) == {"es", "en"}
    spanish, english = languages["es"], languages["en"]
    assert set(spanish) == set(english)
    for key in spanish:
        assert placeholders(spanish[key], "es") == placeholders(english[key], "en"), key


def test_mail_catalogs_have_the_same_keys_and_placeholders() -> None:
    languages = mail_catalogs()
    assert set(languages) == {"es", "en"}
    spanish, english = languages["es"], languages["en"]
    assert set(spanish) == set(english)
    for email in spanish:
        assert set(spanish[email]) == set(english[email]), email
        for part, text in spanish[email].items():
            assert template_names(text) == template_names(english[email][part]), (email, part)


def template_names(text: str) -> set[str]:
    return {m.group("named") or m.group("braced") for m in Template.pattern.finditer(text)} - {None}


def test_telegram_language_picks_the_catalog() -> None:
    catalog = Catalog.load()
    assert catalog.language_for("en") == "en"
    assert catalog.language_for("en-GB") == "en"
    assert catalog.language_for("es-MX") == "es"
    assert catalog.language_for("pt-br") == "es"
    assert catalog.language_for(None) == "es"
