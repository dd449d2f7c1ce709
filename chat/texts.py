"""Text catalogs, one TOML file per language under chat/locales, keyed by meaning
(`signup.ask-rfc`). Values given to a text are HTML-escaped: texts are sent as HTML."""

from __future__ import annotations

import tomllib
from functools import cache
from html import escape
from pathlib import Path
from typing import Any

LOCALES_DIR = Path(__file__).with_name("locales")
DEFAULT_LANGUAGE = "es"


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


@cache
def _read(directory: Path) -> dict[str, dict[str, str]]:
    """Each language's texts in `directory`, read once per process (the files ship with
    the code; a Catalog never changes what it is given)."""
    languages = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as file:
            languages[path.stem] = _flatten(tomllib.load(file))
    return languages


class Html(str):
    """Text that is already HTML (another rendered text): inserted without escaping."""


class Catalog:
    def __init__(
        self, languages: dict[str, dict[str, str]], constants: dict[str, str] | None = None
    ) -> None:
        self.languages = languages
        # Values every text may use (the operator's name, say), given at start.
        self.constants = constants or {}

    @classmethod
    def load(
        cls, directory: Path = LOCALES_DIR, *, constants: dict[str, str] | None = None
    ) -> Catalog:
        return cls(_read(directory), constants)

    def language_for(self, code: str | None) -> str:
        """A catalog's language for a Telegram language code ("en-US" -> "en")."""
        short = (code or "").split("-")[0].lower()
        return short if short in self.languages else DEFAULT_LANGUAGE

    def _template(self, language: str, key: str) -> str:
        catalog = self.languages.get(language) or self.languages[DEFAULT_LANGUAGE]
        return catalog.get(key) or self.languages[DEFAULT_LANGUAGE][key]

    def text(self, language: str, key: str, **values: object) -> Html:
        given = {**self.constants, **values}
        safe = {name: v if isinstance(v, Html) else escape(str(v)) for name, v in given.items()}
        return Html(self._template(language, key).format_map(safe))

    def label(self, language: str, key: str, **values: object) -> str:
        """A button's text: plain, so its values are not HTML-escaped (a button shows
        «KEMPER & HIJOS» as written, not «KEMPER &amp; HIJOS»)."""
        return self._template(language, key).format_map({**self.constants, **values})
