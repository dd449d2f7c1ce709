"""Entry point: `python main.py` serves Telegram with TELEGRAM_BOT_TOKEN set, or starts
local mode without it (or with --local)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError

from bot.runtime import BotRuntime, StartupError
from bot.settings import Settings, describe_error

DESCRIPTION = """\
Telegram bot for Facturación Electrónica por Internet: sign-up, confirmation, company
data and password recovery, in chat.

Modes:
  with TELEGRAM_BOT_TOKEN   serve Telegram (long polling; webhook when WEBHOOK_URL is set)
  without it, or --local    local mode: an emulated Telegram and a chat in this terminal
  stats                     print the onboarding funnel and the mail outbox from the
                            database and exit (1 if there is no database where it looks)
  new-key, --generate-key   print a new random DATA_ENCRYPTION_KEY and exit
  preview-mail [--out DIR]  write every email, in Spanish and English, as HTML and text
                            files to look at (default var/mail-preview), and PNG
                            screenshots when a headless Chromium is on PATH"""


def settings_help() -> str:
    lines = ["Settings (environment or .env; .env.example explains each):"]
    for name, field in Settings.model_fields.items():
        default = getattr(field.default, "value", field.default)
        shown = "-" if default in (None, ()) else str(default)
        lines.append(f"  {name.upper():<30} default: {shown}")
    return "\n".join(lines)


OWN_PACKAGES = ("bot", "chat", "handlers", "services", "storage", "mail", "emulator", "__main__")


def configure_logging(level: str, logfile: Path | None = None) -> None:
    handler: logging.Handler
    if logfile is not None:
        logfile.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(logfile, encoding="utf-8")
    else:
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # Libraries log at most INFO, whatever LOG_LEVEL says: at DEBUG, PTB logs whole updates
    # (passwords included) and aiosqlite logs SQL parameters (codes in outgoing mail).
    numeric = logging.getLevelName(level)
    logging.basicConfig(level=max(logging.INFO, numeric), handlers=[handler], force=True)
    for package in OWN_PACKAGES:
        logging.getLogger(package).setLevel(numeric)
    # httpx logs every request URL at INFO, and a Bot API URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="main.py",
        description=DESCRIPTION,
        epilog=settings_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "mode",
        nargs="?",
        choices=["stats", "new-key", "preview-mail"],
        help="stats: print the funnel and the outbox; new-key: print a new "
        "DATA_ENCRYPTION_KEY; preview-mail: write every email as files to look at",
    )
    parser.add_argument("--local", action="store_true", help="local mode even with a token set")
    parser.add_argument(
        "--generate-key", action="store_true", help="print a new DATA_ENCRYPTION_KEY (= new-key)"
    )
    parser.add_argument(
        "--out", type=Path, metavar="DIR", help="preview-mail: where to write (var/mail-preview)"
    )
    args = parser.parse_args(argv)
    if args.mode == "new-key" or args.generate_key:
        from storage.crypto import new_key

        print(new_key())
        return 0
    # Whatever the bot creates (the SQLite database and its journal, mail files, logs, the
    # local key) is its owner's alone.
    os.umask(0o077)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"main.py: bad setting: {describe_error(error)}", file=sys.stderr)
        return 2

    if args.mode == "preview-mail":
        from mail.preview import DEFAULT_DIR, preview_mail

        # The emails as this operator's settings write them (name, support, notice, Reply-To).
        return preview_mail(args.out or DEFAULT_DIR, settings.operator)

    if args.mode == "stats":
        from bot.stats import print_stats

        configure_logging("WARNING")
        return asyncio.run(print_stats(settings))

    if args.local or settings.telegram_bot_token is None:
        from bot.local import run_local

        configure_logging(settings.log_level, Path("var/local.log"))
        try:
            return asyncio.run(run_local(settings))
        except KeyboardInterrupt:
            return 0
        except StartupError as error:
            print(f"main.py: {error}", file=sys.stderr)
            return 1

    configure_logging(settings.log_level)
    try:
        asyncio.run(BotRuntime(settings).run_until_signalled())
    except StartupError as error:
        print(f"main.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
