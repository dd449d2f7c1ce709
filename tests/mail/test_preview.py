"""`python main.py preview-mail`: every email in both languages as files to look at, and
screenshots when a headless Chromium is installed."""

from __future__ import annotations

import os
import stat
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from mail.identity import Operator
from mail.preview import find_browser, screenshot, write_previews
from mail.samples import sample_letters
from main import main
from tests.mail.reading import read_html

FAKE_CHROMIUM = """#!/bin/sh
echo "$@" >> "${0%/*}/calls"
for argument in "$@"; do
  case "$argument" in
    --screenshot=*) printf '\\211PNG\\r\\n\\032\\n' > "${argument#--screenshot=}";;
  esac
done
"""


@pytest.fixture
def run_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """main() run from an empty folder (no .env) with a PATH of our own; its umask undone."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.setenv("OPERATOR_NAME", "Timbres del Norte")
    monkeypatch.setenv("SUPPORT_CONTACT", "soporte@timbres.example")
    umask = os.umask(0o022)
    os.umask(umask)
    yield tmp_path
    os.umask(umask)


def expected_pages() -> set[str]:
    return {
        f"{letter.name}.{language}"
        for language in ("es", "en")
        for letter in sample_letters(language)
    }


def test_preview_mail_writes_every_email_in_both_languages(
    run_here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preview-mail", "--out", "previews"]) == 0
    out = capsys.readouterr().out
    assert "no PNG screenshots: no headless Chromium on PATH" in out
    folder = run_here / "previews"
    assert {path.name.removesuffix(".html") for path in folder.glob("*.*.html")} == expected_pages()
    for page in expected_pages():
        document = read_html((folder / f"{page}.html").read_text(encoding="utf-8"))
        assert document.body.first_words()[1] == "Timbres del Norte"
        assert "soporte@timbres.example" in document.visible_text()
        text = (folder / f"{page}.txt").read_text(encoding="utf-8")
        assert text.startswith("Subject: ") and "soporte@timbres.example" in text
    index = read_html((folder / "index.html").read_text(encoding="utf-8"))
    assert {href for href in index.hrefs() if href.endswith(".html")} == {
        f"{page}.html" for page in expected_pages()
    }
    assert not list(folder.glob("*.png"))


def test_preview_mail_takes_a_phone_and_a_desktop_screenshot_of_each_with_chromium(
    run_here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    browser = run_here / "bin" / "chromium"
    browser.write_text(FAKE_CHROMIUM)
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    assert main(["preview-mail", "--out", "previews"]) == 0
    shots = 2 * sum(len(sample_letters(language)) for language in ("es", "en"))
    assert f"{shots} PNG screenshots taken with {browser}" in capsys.readouterr().out
    folder = run_here / "previews"
    for page in expected_pages():
        for screen in ("phone", "desktop"):
            assert (folder / f"{page}.{screen}.png").read_bytes().startswith(b"\x89PNG")
    calls = (run_here / "bin" / "calls").read_text().splitlines()
    assert len(calls) == shots and all("--headless" in call for call in calls)
    assert sum("--window-size=390," in call for call in calls) == shots // 2


def test_preview_mail_without_out_writes_under_var(run_here: Path) -> None:
    assert main(["preview-mail"]) == 0
    assert (run_here / "var" / "mail-preview" / "confirmation.es.html").is_file()


@pytest.mark.skipif(find_browser() is None, reason="no headless Chromium installed")
def test_a_real_chromium_screenshot_is_a_png_of_the_phones_width(tmp_path: Path) -> None:
    browser = find_browser()
    assert browser is not None
    [page] = [p for p in write_previews(tmp_path, Operator()) if p.name == "confirmation.es.html"]
    png = tmp_path / "confirmation.png"
    screenshot(browser, page, width=390, height=900, png=png)
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (390, 900)
