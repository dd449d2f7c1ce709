"""`python -m bench --processes N`: what it refuses, what it counts and how it prints its
runs (the runs themselves take minutes: `python -m bench --processes 2 --people 30`)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import aiohttp

from bench.processes import OUTSIDE, Tally, breakdown, tallying
from bench.report import processes_table
from emulator import BotApiEmulator, Person

ROOT = Path(__file__).resolve().parents[2]


def bench(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_several_processes_without_postgresql_are_refused_in_one_line(tmp_path: Path) -> None:
    for database in (["--db", "sqlite"], ["--database-url", "sqlite+aiosqlite:///x.sqlite3"]):
        process = bench("--processes", "2", *database, "--out", str(tmp_path))
        assert process.returncode != 0
        [line] = process.stderr.splitlines()
        assert "--processes 2 needs PostgreSQL" in line
        assert "postgresql+asyncpg://postgres@127.0.0.1:5432" in line  # the default
        assert process.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing was run


async def test_the_requests_a_bot_makes_are_counted_by_kind() -> None:
    """What the ceiling is computed from: every call the emulator serves, the sends among
    them (what Telegram's 429 counts) and those in a chat (what the bot's limiter paces)."""
    emulator = BotApiEmulator()
    await emulator.start()
    person = Person(emulator, "9:tally")
    base = f"{emulator.base_url}9:tally"
    try:
        async with aiohttp.ClientSession() as client:
            with tallying(Tally()) as tally:
                await client.post(f"{base}/getMe")
                await client.post(
                    f"{base}/sendMessage", json={"chat_id": person.chat.id, "text": "a"}
                )
                sent = person.bot_messages()[0]
                await client.post(
                    f"{base}/deleteMessage",
                    json={"chat_id": person.chat.id, "message_id": sent.message_id},
                )
            await client.post(f"{base}/sendMessage", json={"chat_id": person.chat.id, "text": "b"})
    finally:
        await emulator.stop()
    assert tally.of("9:tally") == {"requests": 3, "sends": 1, "in_a_chat": 2}
    assert tally.of("8:other") == {"requests": 0, "sends": 0, "in_a_chat": 0}


async def test_the_requests_are_counted_by_method_and_by_step() -> None:
    """A request in a chat counts for the step that chat is at (a button's answer too, by
    the person who pressed it); one in no chat for none; each step's requests per update
    over the updates that step took."""
    emulator = BotApiEmulator()
    await emulator.start()
    ana, bea = Person(emulator, "9:steps"), Person(emulator, "9:steps")
    base = f"{emulator.base_url}9:steps"
    try:
        async with aiohttp.ClientSession() as client:
            with tallying(Tally()) as tally:
                tally.steps.update({ana.chat.id: "email", bea.chat.id: "save"})

                async def call(method: str, **params: object) -> None:
                    await client.post(f"{base}/{method}", json=params)

                await call("getUpdates", timeout=0)
                await call("sendMessage", chat_id=ana.chat.id, text="¿RFC?")
                await call("sendMessage", chat_id=ana.chat.id, text="¿RFC?")
                await call("answerCallbackQuery", callback_query_id=f"{bea.user.id}-1")
                await call("sendMessage", chat_id=bea.chat.id, text="guardados")
    finally:
        await emulator.stop()
    made = breakdown("9:steps", tally.detail, Counter({"email": 2, "save": 1}))
    steps = made["by_step"]
    assert steps["email"]["methods"] == {"sendmessage": 2}
    assert steps["email"]["in_a_chat_per_update"] == 1.0
    assert steps["save"]["methods"] == {"answercallbackquery": 1, "sendmessage": 1}
    assert steps["save"]["in_a_chat"] == 1  # the answer has no chat_id: not paced
    assert steps[OUTSIDE]["methods"] == {"getupdates": 1}
    methods = made["by_method"]
    assert methods["sendmessage"]["in_a_chat"] == 3 and methods["sendmessage"]["telegram_counts"]
    assert methods["answercallbackquery"]["in_a_chat"] == 0
    assert methods["sendmessage"]["per_update"] == 1.0  # 3 over 3 updates


def run(processes: int, limit: bool, per_second: float, ceiling: float | None) -> dict:
    return {
        "name": f"{processes}, {limit}",
        "processes": processes,
        "limit": limit,
        "people": 30,
        "finished": 30,
        "updates_per_second": per_second,
        "ceiling_updates_per_second": ceiling,
        "first_reply_p50": 0.01,
        "first_reply_p95": 0.2,
        "first_reply_p99": 0.5,
        "too_many_requests": 4 if limit else 0,
        "replies_per_person": [26, 27] if processes > 1 else [26, 26],
    }


def test_the_table_shows_the_ceiling_beside_each_run_with_the_limit_on() -> None:
    runs = [
        run(1, False, 25.0, 17.3),
        run(1, True, 11.9, 17.3),
        run(2, False, 26.4, 17.1),
        run(2, True, 12.2, 17.1),
    ]
    heading, *rows = processes_table({"processes": {"telegram_per_second": 30, "runs": runs}})
    for head in ("processes", "limit", "updates/s", "ceiling", "p50 / p95 / p99", "429s"):
        assert head in heading
    assert [row.split()[:4] for row in rows] == [
        ["1", "off", "25.0", "–"],
        ["1", "on", "11.9", "17.3"],
        ["2", "off", "26.4", "–"],
        ["2", "on", "12.2", "17.1"],
    ]
    assert rows[1].split()[4:10] == ["0.010", "/", "0.200", "/", "0.500", "4"]
    assert rows[0].split()[-1] == "26" and rows[2].split()[-1] == "26–27"  # replies each
    assert len({len(line) for line in [heading, *rows]}) == 1  # columns line up
