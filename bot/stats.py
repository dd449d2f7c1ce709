"""`python main.py stats`: the onboarding funnel from the database, as a table."""

from __future__ import annotations

from bot.settings import Settings
from services.funnel import PERIODS, FunnelService, Milestone
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


async def print_stats(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine)
        figures = await FunnelService(sessions=create_session_factory(engine)).report()
    finally:
        await engine.dispose()
    print(render(figures))
