"""`python main.py preview-mail`: every email, in every language, written as HTML (and
text) files to open in a browser, and as PNG screenshots (a phone's width and a desktop's)
when a headless Chromium is installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from html import escape
from pathlib import Path

from mail.identity import Operator
from mail.samples import BOT_USERNAME, sample_letters
from mail.templates import catalogs

DEFAULT_DIR = Path("var/mail-preview")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# (file suffix, window width, window height): a phone's screen and a desktop mail app's.
SCREENS = (("phone", 390, 1400), ("desktop", 900, 1100))
SCREENSHOT_TIMEOUT = 60


def write_previews(directory: Path, operator: Operator) -> list[Path]:
    """Write `<email>.<language>.html` and `.txt` for every email and an index.html
    linking them; returns the HTML files."""
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    rows: list[str] = []
    for language in sorted(catalogs()):
        for letter in sample_letters(language):
            content = letter.render(operator, bot_username=BOT_USERNAME)
            stem = f"{letter.name}.{language}"
            (directory / f"{stem}.html").write_text(content.html, encoding="utf-8")
            (directory / f"{stem}.txt").write_text(
                f"Subject: {content.subject}\n"
                + (f"Reply-To: {content.reply_to}\n" if content.reply_to else "")
                + f"\n{content.text}",
                encoding="utf-8",
            )
            written.append(directory / f"{stem}.html")
            rows.append(
                f'<li><a href="{stem}.html">{escape(stem)}</a> ({escape(content.subject)}) · '
                f'<a href="{stem}.txt">text</a></li>'
            )
    index = '<!DOCTYPE html><meta charset="utf-8"><title>Emails</title><ul>'
    (directory / "index.html").write_text(index + "".join(rows) + "</ul>\n", encoding="utf-8")
    return written


def find_browser() -> str | None:
    """A headless-capable Chromium on PATH, if any."""
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    return None


def screenshot(browser: str, page: Path, *, width: int, height: int, png: Path) -> None:
    command = [
        browser,
        "--headless",
        "--disable-gpu",
        "--hide-scrollbars",
        "--no-first-run",
        f"--window-size={width},{height}",
        f"--screenshot={png.resolve()}",
        page.resolve().as_uri(),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    subprocess.run(command, check=True, capture_output=True, timeout=SCREENSHOT_TIMEOUT)


def preview_mail(directory: Path, operator: Operator, say: Callable[[str], None] = print) -> int:
    """Write the previews and, with a browser, their screenshots; returns an exit code."""
    pages = write_previews(directory, operator)
    say(f"wrote {len(pages)} emails as HTML and text to {directory}/ (open index.html)")
    browser = find_browser()
    if browser is None:
        say(f"no PNG screenshots: no headless Chromium on PATH ({', '.join(BROWSERS)})")
        return 0
    failed = 0
    for page in pages:
        for screen, width, height in SCREENS:
            png = page.with_suffix(f".{screen}.png")
            try:
                screenshot(browser, page, width=width, height=height, png=png)
                if not png.is_file():
                    raise subprocess.SubprocessError("no file written")
            except (OSError, subprocess.SubprocessError) as error:
                failed += 1
                say(f"screenshot of {page.name} ({screen}) failed: {type(error).__name__}")
    say(f"{len(pages) * len(SCREENS) - failed} PNG screenshots taken with {browser}")
    return 1 if failed else 0
