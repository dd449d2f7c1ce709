"""`python main.py stats`: the onboarding funnel from the database, as a table."""

from __future__ import annotations

from bot.settings import Settings
from services.funnel import PERIODS, FunnelService, Step
from storage.db import create_engine, create_session_factory, migrate

LABELS = {
    Step.SIGNUP_STARTED: "sign-ups started",
    Step.ACCOUNT_CREATED: "accounts created",
    Step.ACCOUNT_CONFIRMED: "accounts confirmed",
    Step.COMPANY_SAVED: "company data saved",
    Step.RESET_REQUESTED: "resets requested",
    Step.RESET_COMPLETED: "resets completed",
}


def render(figures: dict[Step, dict[str, int]]) -> str:
    width = max(len(label) for label in LABELS.values())
    header = f"{'':<{width}}  " + "  ".join(f"{period:>7}" for period in PERIODS)
    lines = [header.rstrip()]
    for step, label in LABELS.items():
        counts = "  ".join(f"{figures[step][period]:>7}" for period in PERIODS)
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
