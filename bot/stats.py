"""`python main.py stats`: the onboarding funnel and the mail outbox from the database, as a
table, under the name of the database it read."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.settings import Settings
from services.funnel import PERIODS, FunnelService, Milestone
from services.mail_status import MailStatus, MailStatusService, describe_age
from storage.db import create_engine, create_session_factory, migrate

LABELS = {
    Milestone.SIGNUP_STARTED: "sign-ups started",
    Milestone.ACCOUNT_CREATED: "accounts created",
    Milestone.ACCOUNT_CONFIRMED: "accounts confirmed",
    Milestone.COMPANY_SAVED: "company data saved",
    Milestone.RESET_REQUESTED: "resets requested",
    Milestone.RESET_COMPLETED: "resets completed",
}


def render(figures: dict[Milestone, dict[str, int]]) -> str:
    width = max(len(label) for label in LABELS.values())
    header = f"{'':<{width}}  " + "  ".join(f"{period:>7}" for period in PERIODS)
    lines = [header.rstrip()]
    for milestone, label in LABELS.items():
        counts = "  ".join(f"{figures[milestone][period]:>7}" for period in PERIODS)
        lines.append(f"{label:<{width}}  {counts}")
    return "\n".join(lines)


def render_mail(status: MailStatus) -> str:
    age = status.oldest_pending_age
    rows = {
        "mail pending": str(status.pending),
        "mail given up": str(status.dead),
        "oldest pending": "-" if age is None else describe_age(age),
    }
    width = max(len(label) for label in rows)
    return "\n".join(f"{label:<{width}}  {value}" for label, value in rows.items())


def sqlite_file(database_url: str) -> Path | None:
    """The file a SQLite URL names, made absolute; None for other databases."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database).resolve()


def shown(database_url: str) -> str:
    """The URL as an operator can tell it apart: a SQLite file's absolute path, no password."""
    url = make_url(database_url)
    path = sqlite_file(database_url)
    if path is not None:
        url = url.set(database=str(path))
    return url.render_as_string(hide_password=True)


async def print_stats(settings: Settings) -> int:
    """Print the report; 1, and where it looked, when there is no database to read."""
    path = sqlite_file(settings.database_url)
    if path is not None and not path.is_file():
        # Opening it would create an empty database and report zeros: the wrong folder.
        print(
            f"main.py stats: no database at {path} (DATABASE_URL={settings.database_url}); "
            "run it from the bot's folder or set DATABASE_URL",
            file=sys.stderr,
        )
        return 1
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        sessions = create_session_factory(engine)
        figures = await FunnelService(sessions=sessions).report()
        mail = await MailStatusService(sessions=sessions).report()
    finally:
        await engine.dispose()
    print(f"database: {shown(settings.database_url)}")
    print(render(figures))
    print()
    print(render_mail(mail))
    return 0
