"""Memory and restart time with many people parked mid-conversation."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.procs import ROOT, BotProcess
from emulator import BotApiEmulator, Person
from services.chats import ChatRecords
from storage.crypto import SecretBox
from storage.db import create_engine, create_session_factory

FIRST_ID = 50_000_000
PASSWORD_STEP = 4  # handlers.signup.Step.PASSWORD
BATCH = 5000


async def park(database_url: str, key: str, count: int) -> None:
    """`count` chats in the middle of sign-up, waiting for their password, written through
    the bot's own records (sealed with the bot's key)."""
    engine = create_engine(database_url)
    records = ChatRecords(create_session_factory(engine), SecretBox.from_setting(key))
    for start in range(0, count, BATCH):
        ids = range(FIRST_ID + start, FIRST_ID + min(count, start + BATCH))
        await records.store(
            {
                i: {
                    "flow": "signup",
                    "step": PASSWORD_STEP,
                    "prompt": {"key": "signup.ask-password", "keyboard": None, "values": {}},
                    "signup": {"email": f"parked{i}@example.mx", "rfc": "MAB9307148T4"},
                }
                for i in ids
            }
        )
    await engine.dispose()


async def measure_parked(emulator: BotApiEmulator, env: dict, workdir: Path, count: int) -> dict:
    bot = BotProcess(
        emulator, "3:parked", {k: v for k, v in env.items() if k != "BOT_LOOP_WATCH_FILE"}, workdir
    )
    script = [str(ROOT / "main.py")]
    idle_start = await bot.start(script)
    await asyncio.sleep(1)
    idle = bot.usage().rss_bytes
    await bot.stop()
    await park(env["DATABASE_URL"], env["DATA_ENCRYPTION_KEY"], count)
    restart = await bot.start(script)
    await asyncio.sleep(1)
    loaded = bot.usage().rss_bytes
    person = Person(emulator, "3:parked", user_id=FIRST_ID + count - 1)
    await person.send("tres tristes tigres tragan trigo")
    await person.expect("otra vez", timeout=60)  # the last parked chat resumes at its step
    await bot.stop()
    return {
        "conversations": count,
        "idle_rss_mb": idle / 2**20,
        "parked_rss_mb": loaded / 2**20,
        "extra_rss_mb": (loaded - idle) / 2**20,
        "idle_start_seconds": idle_start,
        "restart_seconds": restart,
    }
