"""A campaign's burst: many people send /registro within seconds; the bot's peak memory,
then SIGTERM in the middle of the work and how long the process takes to exit, then
where every chat stands: its step stored, or its update kept in the bot's inbox, or still
at Telegram (not taken yet). None may be nowhere."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.procs import ROOT, BotProcess
from emulator import BotApiEmulator, Person
from services.chats import ChatRecords
from services.inbox import Inbox
from storage.crypto import SecretBox
from storage.db import create_engine, create_session_factory

FIRST_ID = 70_000_000
TOKEN = "4:burst"
ASK_EMAIL = "usuario para entrar"  # the last of /registro's three messages


async def where_they_stand(database_url: str, key: str, count: int) -> tuple[set[int], set[int]]:
    """The burst's chats with a stored signup step, and those whose update waits in the
    inbox (read through the bot's own storage API)."""
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    box = SecretBox.from_setting(key)
    records = ChatRecords(sessions, box)
    at_step: set[int] = set()
    after: int | None = FIRST_ID - 1
    while True:
        page = await records.page(after=after, limit=5000)
        at_step.update(
            chat_id
            for chat_id, data in page
            if chat_id < FIRST_ID + count and data.get("flow") == "signup" and data.get("step")
        )
        if len(page) < 5000 or page[-1][0] >= FIRST_ID + count:
            break
        after = page[-1][0]
    waiting = await Inbox(sessions, box).pending(count)
    await engine.dispose()
    return at_step, {item.chat_id for item in waiting if item.chat_id is not None}


async def measure_burst(
    emulator: BotApiEmulator, env: dict, workdir: Path, count: int, seconds: float
) -> dict:
    bot = BotProcess(
        emulator, TOKEN, {k: v for k, v in env.items() if k != "BOT_LOOP_WATCH_FILE"}, workdir
    )
    script = [str(ROOT / "main.py")]
    await bot.start(script)
    await asyncio.sleep(1)
    idle = bot.usage().rss_bytes
    account = emulator.bot(TOKEN)
    people = [Person(emulator, TOKEN, user_id=FIRST_ID + n) for n in range(count)]
    loop = asyncio.get_running_loop()
    began = loop.time()
    for number, person in enumerate(people):  # evenly over `seconds`
        await person.send("/registro")
        ahead = began + seconds * (number + 1) / count - loop.time()
        if ahead > 0:
            await asyncio.sleep(ahead)
    sent_in = loop.time() - began
    usage = bot.usage()
    answered = sum(1 for p in people if any(ASK_EMAIL in m.text for m in p.bot_messages()))
    assert bot.process is not None
    signalled = loop.time()
    bot.process.terminate()
    code = await asyncio.wait_for(bot.process.wait(), 120)
    exit_seconds = loop.time() - signalled
    bot.process = None
    at_step, in_inbox = await where_they_stand(
        env["DATABASE_URL"], env["DATA_ENCRYPTION_KEY"], count
    )
    at_telegram = {int(u["message"]["chat"]["id"]) for u in account.updates}
    # Restarted: the updates kept are processed first; the first of them is answered.
    waiting = [p for p in people if not p.bot_messages()]
    restart = await bot.start(script)
    resumed = loop.time()
    if waiting:
        await waiting[0].expect(ASK_EMAIL, timeout=60)
    first_kept_answered = loop.time() - resumed
    await bot.stop()
    return {
        "chats": count,
        "sent_in_seconds": sent_in,
        "idle_rss_mb": idle / 2**20,
        "peak_rss_mb": usage.peak_rss_bytes / 2**20,
        "answered_before_sigterm": answered,
        "sigterm_to_exit_seconds": exit_seconds,
        "exit_code": code,
        "steps_stored": len(at_step),
        "kept_in_inbox": len(in_inbox),
        "not_yet_taken_at_telegram": len(at_telegram - in_inbox),
        # Stored, and not yet acknowledged when the process stopped: Telegram delivers
        # them again and the inbox takes each once.
        "kept_and_at_telegram": len(in_inbox & at_telegram),
        "lost": count - len(at_step | in_inbox | at_telegram),
        "restart_seconds": restart,
        "first_kept_answered_seconds": first_kept_answered,
    }
