"""python -m bench: N people through sign-up, confirmation and the company form, against
the bot and against a bare echo bot, on one emulator; prints figures, writes JSON and a
latency chart. See the README's performance section."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope

from bench.burst import measure_burst
from bench.parked import measure_parked
from bench.processes import POSTGRESQL, Tally, breakdown, measure_processes, refusal, tallying
from bench.procs import ROOT, BotProcess, free_port, percentile
from bench.report import chart, print_processes, print_realistic, print_report
from bench.scenario import ECHO_STEPS, Run, Sample, echo, onboard
from bot.settings import Settings
from emulator import BotApiEmulator, FloodLimits, Person
from emulator.flood import FloodControl, TooManyRequests
from services.passwords import PasswordHasher
from storage.crypto import new_key


class Mailbox:
    """A real SMTP server's inbox, waited on by recipient."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.texts: dict[str, str] = {}
        self.arrived = asyncio.Event()

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default, _class=EmailMessage)
        body = message.get_body(preferencelist=("plain",))
        for address in envelope.rcpt_tos:
            self.texts[address] = body.get_content() if body else ""
        self.loop.call_soon_threadsafe(self.arrived.set)
        return "250 OK"

    async def for_address(self, address: str) -> str:
        while address not in self.texts:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 120)
        return self.texts[address]


async def drive(
    name: str,
    process: BotProcess,
    script: list[str],
    people: list[Person],
    play: Callable[[Run, Person, int], Awaitable[None]],
    tally: Tally,
    *,
    pauses: tuple[float, float] | None = None,
    arrivals: float = 0.0,
    together: asyncio.Barrier | None = None,
    flood: FloodByBot | None = None,
) -> dict[str, Any]:
    """One bot's run: its people (each arriving at a random time within `arrivals`
    seconds, then pausing `pauses` or ARGS.pause between steps) and its figures. Runs
    driven at once share `together`: their people start when every bot is ready."""
    await process.start(script)
    if together is not None:
        await together.wait()
    before = process.usage()
    calls_before, detail_before = tally.of(process.token), Counter(tally.detail)
    loop = asyncio.get_running_loop()
    run = Run(began=loop.time(), pause=ARGS.pause, pauses=pauses, steps=tally.steps)

    async def arrive(person: Person, number: int) -> None:
        if arrivals:
            await asyncio.sleep(random.uniform(0, arrivals))
        await play(run, person, number)

    await asyncio.gather(*(arrive(person, number) for number, person in enumerate(people)))
    wall = loop.time() - run.began
    after = process.usage()
    calls = {key: n - calls_before[key] for key, n in tally.of(process.token).items()}
    made = tally.detail - detail_before  # the same moment: the stop makes requests too
    await process.stop()
    latencies = [s.latency for s in run.samples if not s.hashes]
    hashing_latencies = [s.latency for s in run.samples if s.hashes]
    updates = len(run.samples)
    cpu = after.cpu_seconds - before.cpu_seconds
    hashing = after.hashing_cpu_seconds - before.hashing_cpu_seconds
    in_a_chat = calls["in_a_chat"] / updates
    limit = ARGS.flood_limit or TELEGRAM_PER_SECOND
    return {
        "name": name,
        "people": len(people),
        "finished": run.finished,
        "updates": updates,
        "seconds": wall,
        "updates_per_second": updates / wall,
        **sustained(run.samples),
        "first_reply_p50": percentile(latencies, 0.50),
        "first_reply_p95": percentile(latencies, 0.95),
        "first_reply_p99": percentile(latencies, 0.99),
        "first_reply_p50_hashing_steps": percentile(hashing_latencies, 0.50),
        "first_reply_p95_hashing_steps": percentile(hashing_latencies, 0.95),
        "first_reply_p99_hashing_steps": percentile(hashing_latencies, 0.99),
        "cpu_seconds": cpu,
        "cpu_seconds_per_update": cpu / updates,
        "hashing_cpu_seconds": hashing,
        "cpu_seconds_per_update_without_hashing": (cpu - hashing) / updates,
        "peak_rss_mb": after.peak_rss_bytes / 2**20,
        # The Bot API requests it made during the run, per update: all, the sends and
        # edits (Telegram's flood control counts them) and those in a chat (the rate
        # limiter paces them: what counts against the limit); the ceiling is the limit
        # divided by the latter; and each by method and by step of the journey.
        "requests_per_update": calls["requests"] / updates,
        "sends_per_update": calls["sends"] / updates,
        "requests_in_a_chat_per_update": in_a_chat,
        "ceiling_updates_per_second": limit / in_a_chat if in_a_chat else None,
        "requests_by": breakdown(
            process.token,
            made,
            Counter(s.step for s in run.samples),
        ),
        "too_many_requests": flood.by_bot[process.token] if flood else 0,
        "samples": [[s.at, s.latency, s.step] for s in run.samples],
    }


SUSTAINED_WINDOW = 60.0  # seconds


def sustained(samples: list[Sample]) -> dict[str, float]:
    """The most updates answered in any SUSTAINED_WINDOW seconds (or over the whole run,
    if shorter), a second: what the bot keeps up when the load asks for it."""
    ends = sorted(s.at + s.latency for s in samples)
    if len(ends) < 2:
        return {"sustained_updates_per_second": 0.0, "sustained_window_seconds": 0.0}
    window = min(SUSTAINED_WINDOW, ends[-1] - ends[0]) or 1.0
    most, first = 0, 0
    for last, end in enumerate(ends):
        while ends[first] < end - window:
            first += 1
        most = max(most, last - first + 1)
    return {"sustained_updates_per_second": most / window, "sustained_window_seconds": window}


@dataclass
class FloodByBot(FloodControl):
    """The emulator's flood control, its 429s counted by bot (token) too."""

    by_bot: Counter[str] = field(default_factory=Counter)

    def admit(self, token: str, chat_id: int | None) -> None:
        try:
            super().admit(token, chat_id)
        except TooManyRequests:
            self.by_bot[token] += 1
            raise


def hash_seconds() -> float:
    hasher = PasswordHasher()._hasher
    timings = []
    for _ in range(5):
        started = time.process_time()
        hasher.hash("tres tristes tigres tragan trigo")
        timings.append(time.process_time() - started)
    return statistics.median(timings)


async def database_url(
    kind: str, workdir: Path, name: str = "bench"
) -> tuple[str, Callable[[], Awaitable[None]] | None]:
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / f'{name}.sqlite3'}", None
    import asyncpg

    admin_url = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"{name}_{int(time.time())}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()

    async def drop() -> None:
        admin = await asyncpg.connect(admin_url)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}", drop


def bot_environment(url: str, smtp_port: int) -> dict[str, str]:
    """The onboarding bot's settings, for every process of it the benchmark starts."""
    return {
        "TELEGRAM_CONNECTION_POOL_SIZE": str(ARGS.pool),
        "DATABASE_URL": url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_SECURITY": "none",
        "MAIL_FROM": "bench@example.mx",
        "SUPPORT_CONTACT": "soporte@example.mx",
        "DATA_ENCRYPTION_KEY": new_key(),
        "LOG_LEVEL": "WARNING",
        **({"PYTHONASYNCIODEBUG": "1"} if os.environ.get("BENCH_ASYNCIO_DEBUG") else {}),
        # The CPU time of the loop's longest callback: 2 µs more per callback (bot.loopwatch).
        **({"BOT_LOOP_WATCH_CPU": "1"} if os.environ.get("BENCH_LOOP_CPU") else {}),
    }


async def main() -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    emulator = BotApiEmulator()
    await emulator.start()
    mailbox = Mailbox(asyncio.get_running_loop())
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    url, drop = await database_url(ARGS.db, workdir)
    transport = {"TELEGRAM_CONNECTION_POOL_SIZE": str(ARGS.pool)}  # the same for both bots
    bot_env = {
        **bot_environment(url, smtp_port),
        "BOT_LOOP_WATCH_FILE": str(workdir / "loop.json"),
    }
    echo_script = str(ROOT / "bench" / "echo_bot.py")
    with tallying(Tally()) as tally:
        try:
            floors = {}
            for number, (key, name, transport_name) in enumerate(FLOORS):
                token = f"1{number}:echo"
                echo_people = [
                    Person(emulator, token, user_id=10_000 * (number + 1) + n)
                    for n in range(ARGS.people)
                ]
                floors[key] = await drive(
                    name,
                    BotProcess(emulator, token, transport, workdir),
                    [echo_script, "--transport", transport_name],
                    echo_people,
                    lambda run, person, number: echo(run, person, number),
                    tally,
                )
            flood = None
            if ARGS.flood_limit:  # the onboarding bot only: the floors show the bare cost
                flood = FloodByBot(
                    FloodLimits(overall=ARGS.flood_limit, per_chat=ARGS.flood_per_chat or None)
                )
                emulator.flood = flood
            bot = BotProcess(emulator, "2:bot", bot_env, workdir)
            bot_people = [Person(emulator, "2:bot", user_id=50_000 + n) for n in range(ARGS.people)]
            ours = await drive(
                "onboarding bot",
                bot,
                [str(ROOT / "main.py")],
                bot_people,
                lambda run, person, number: onboard(run, person, number, mailbox),
                tally,
                flood=flood,
            )
            emulator.flood = None
            stall = json.loads((workdir / "loop.json").read_text())
            parked = (
                await measure_parked(emulator, bot_env, workdir, ARGS.parked)
                if ARGS.parked
                else None
            )
            burst = (
                await measure_burst(emulator, bot_env, workdir, ARGS.burst, ARGS.burst_seconds)
                if ARGS.burst
                else None
            )
        finally:
            smtp.stop()
            await emulator.stop()
            if drop is not None:
                await drop()
    one_hash = hash_seconds()
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "arguments": {
            "people": ARGS.people,
            "pause": ARGS.pause,
            "db": ARGS.db,
            "pool": ARGS.pool,
            "flood_limit": ARGS.flood_limit,
            "flood_per_chat": ARGS.flood_per_chat,
        },
        **floors,
        "bot": ours,
        "updates_per_person": {"bot": ours["updates"] / ARGS.people, "echo": ECHO_STEPS},
        "password_hash_seconds": one_hash,
        "event_loop": stall,
        "parked": parked,
        "burst": burst,
    }


async def main_realistic() -> dict:
    """People as they use a bot (`--realistic`): they arrive over ARGS.arrivals seconds and
    take 5 to 15 s over each step (both times ARGS.pause_scale), against the bot and the two
    echo bots at once, all three under Telegram's limit: the emulator's flood control and
    each bot's own rate limiter (bot.ratelimit) at ARGS.flood_limit sends a second."""
    random.seed(ARGS.seed)
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    emulator = BotApiEmulator()
    await emulator.start()
    mailbox = Mailbox(asyncio.get_running_loop())
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    url, drop = await database_url(ARGS.db, workdir)
    limit = ARGS.flood_limit
    flood = FloodByBot(FloodLimits(overall=limit, per_chat=ARGS.flood_per_chat or None))
    emulator.flood = flood
    limited = {"TELEGRAM_SENDS_PER_SECOND": str(limit)}
    bot_env = {
        **bot_environment(url, smtp_port),
        **limited,
        "BOT_LOOP_WATCH_FILE": str(workdir / "loop.json"),
    }
    transport = {"TELEGRAM_CONNECTION_POOL_SIZE": str(ARGS.pool)}
    echo_script = str(ROOT / "bench" / "echo_bot.py")
    scale = ARGS.pause_scale
    pauses = (REALISTIC_PAUSES[0] * scale, REALISTIC_PAUSES[1] * scale)
    together = asyncio.Barrier(len(FLOORS) + 1)
    runs: dict[str, Awaitable[dict[str, Any]]] = {}
    with tallying(Tally()) as tally:
        try:
            for number, (key, name, transport_name) in enumerate(FLOORS):
                token = f"1{number}:echo"
                runs[key] = drive(
                    f"{name}, rate limiter at {limit}/s",
                    BotProcess(emulator, token, transport, workdir),
                    [echo_script, "--transport", transport_name, "--rate-limit", str(limit)],
                    [
                        Person(emulator, token, user_id=10_000 * (number + 1) + n)
                        for n in range(ARGS.people)
                    ],
                    lambda run, person, number: echo(run, person, number),
                    tally,
                    pauses=pauses,
                    arrivals=ARGS.arrivals * scale,
                    together=together,
                    flood=flood,
                )
            runs["bot"] = drive(
                "onboarding bot",
                BotProcess(emulator, "2:bot", bot_env, workdir),
                [str(ROOT / "main.py")],
                [Person(emulator, "2:bot", user_id=50_000 + n) for n in range(ARGS.people)],
                lambda run, person, number: onboard(run, person, number, mailbox),
                tally,
                pauses=pauses,
                arrivals=ARGS.arrivals * scale,
                together=together,
                flood=flood,
            )
            figures = dict(zip(runs, await asyncio.gather(*runs.values()), strict=True))
            stall = json.loads((workdir / "loop.json").read_text())
        finally:
            smtp.stop()
            await emulator.stop()
            if drop is not None:
                await drop()
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_after": os.getloadavg(),
        },
        "arguments": {
            "realistic": True,
            "people": ARGS.people,
            "pause": f"{pauses[0]:g}–{pauses[1]:g}",
            "arrivals_seconds": ARGS.arrivals * scale,
            "pause_scale": scale,
            "seed": ARGS.seed,
            "db": ARGS.db,
            "pool": ARGS.pool,
            "flood_limit": limit,
            "flood_per_chat": ARGS.flood_per_chat,
        },
        **figures,
        "updates_per_person": {"bot": figures["bot"]["updates"] / ARGS.people, "echo": ECHO_STEPS},
        "event_loop": stall,
        "parked": None,
        "burst": None,
    }


async def main_processes() -> dict:
    """One bot process against ARGS.processes, Telegram's limit on and off (bench.processes)."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))

    async def database(run: int) -> tuple[str, Callable[[], Awaitable[None]] | None]:
        """The database of one run: the one given, or a fresh one (a run's leftovers, such
        as updates a failed run kept in the inbox, are not the next run's work)."""
        if ARGS.database_url:
            return ARGS.database_url, None
        try:
            return await database_url(ARGS.db or "postgresql", workdir, f"bench_run{run}")
        except OSError as error:
            raise SystemExit(f"python -m bench: PostgreSQL does not answer: {error}") from None

    emulator = BotApiEmulator()
    await emulator.start()
    mailbox = Mailbox(asyncio.get_running_loop())
    smtp_port = free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    try:
        figures = await measure_processes(
            emulator,
            mailbox,
            bot_environment("", smtp_port),  # DATABASE_URL: each run's
            database,
            workdir,
            processes=ARGS.processes,
            people=ARGS.people,
            pause=ARGS.pause,
            flood_per_chat=ARGS.flood_per_chat,
        )
    finally:
        smtp.stop()
        await emulator.stop()
    return {
        "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "arguments": {
            "processes": ARGS.processes,
            "people": ARGS.people,
            "pause": ARGS.pause,
            "db": "sqlite" if ARGS.db == "sqlite" else "postgresql",
            "database": "given" if ARGS.database_url else "a fresh one each run, dropped after",
            "pool": ARGS.pool,
            "flood_per_chat": ARGS.flood_per_chat,
        },
        "processes": figures,
        "logs": str(workdir),
    }


# The floor is a bare PTB echo bot, PTB as shipped. Beside it, the same echo bot with the
# onboarding bot's transport (bot.transport): what is left when PTB's HTTP client is not.
FLOORS = [
    ("echo", "echo bot (floor): PTB as shipped", "httpx"),
    ("echo_aiohttp", "echo bot with the bot's transport", "aiohttp"),
]

# The realistic mode: a person takes 5 to 15 s over a step (reading, typing), and people
# arrive over some minutes, so that the offered load rises to near the limit and past it.
REALISTIC_PAUSES = (5.0, 15.0)
TELEGRAM_PER_SECOND = 30

if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--people", type=int, help="simulated people (200; with --realistic, 600)")
    parser.add_argument(
        "--realistic",
        action="store_true",
        help="people as they use a bot: arriving over --arrivals seconds, 5 to 15 s over each"
        " step; the bot and both echo bots at once, all under Telegram's limit"
        " (--flood-limit, 30) on the emulator and in each bot's rate limiter",
    )
    parser.add_argument(
        "--arrivals",
        type=float,
        default=300.0,
        help="with --realistic: the seconds over which people start, each at random (300)",
    )
    parser.add_argument(
        "--pause-scale",
        type=float,
        default=1.0,
        help="with --realistic: multiplies the pauses and --arrivals (1; a smoke test: 0.01)",
    )
    parser.add_argument(
        "--seed", type=int, default=26, help="with --realistic: the random pauses' seed (26)"
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=1.0,
        help="mean pause between a person's steps in seconds; 0 = stress (1)",
    )
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgresql"],
        help="sqlite (the default), or postgresql: a fresh database on TEST_POSTGRES_URL's"
        " server, dropped after; with --processes, postgresql is the default",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=0,
        help="instead of the usual run: one bot process against this many side by side,"
        " in webhook mode, each with Telegram's limit on and off (bench.processes); more than"
        " one needs PostgreSQL",
    )
    parser.add_argument(
        "--database-url",
        help="with --processes: the database the processes share, used as it is (default: a"
        f" fresh one at {POSTGRESQL}/bench_…, dropped after)",
    )
    pool = Settings.model_fields["telegram_connection_pool_size"].default
    parser.add_argument(
        "--pool",
        type=int,
        default=pool,
        help=f"HTTP connections each bot keeps to the emulator ({pool}; PTB's default is 256)",
    )
    parser.add_argument(
        "--flood-limit",
        type=int,
        help="the emulator refuses (429) the bot's sends past this many a second; 0 = none"
        " (0; with --realistic, 30)",
    )
    parser.add_argument(
        "--flood-per-chat",
        type=int,
        help="with --flood-limit, or --processes' limit on, sends a second allowed in one chat;"
        " 0 = none (3; with --processes 0: the bot does not pace a private chat)",
    )
    parser.add_argument(
        "--parked",
        type=int,
        help="parked conversations for the memory/restart figures; 0 skips (100000)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        help="people sending /registro in a burst, then SIGTERM; 0 skips (10000)",
    )
    parser.add_argument(
        "--burst-seconds",
        type=float,
        default=35.0,
        help="how long the burst's people take to send it (35)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("var/bench"), help="where the JSON and PNG go"
    )
    ARGS = parser.parse_args()
    refused = refusal(ARGS.processes, ARGS.db, ARGS.database_url)
    if refused:
        sys.exit(refused)
    ARGS.people = ARGS.people or (600 if ARGS.realistic else 200)
    ARGS.parked = 100_000 if ARGS.parked is None else ARGS.parked
    ARGS.burst = 10_000 if ARGS.burst is None else ARGS.burst
    if ARGS.processes:
        ARGS.flood_per_chat = ARGS.flood_per_chat or 0
        result = asyncio.run(main_processes())
    elif ARGS.realistic:
        ARGS.db = ARGS.db or "sqlite"
        ARGS.flood_limit = TELEGRAM_PER_SECOND if ARGS.flood_limit is None else ARGS.flood_limit
        ARGS.flood_per_chat = 3 if ARGS.flood_per_chat is None else ARGS.flood_per_chat
        if not ARGS.flood_limit:
            sys.exit("python -m bench: --realistic measures under Telegram's limit (--flood-limit)")
        result = asyncio.run(main_realistic())
    else:
        ARGS.db = ARGS.db or "sqlite"
        ARGS.flood_limit = ARGS.flood_limit or 0
        ARGS.flood_per_chat = 3 if ARGS.flood_per_chat is None else ARGS.flood_per_chat
        result = asyncio.run(main())
    ARGS.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (ARGS.out / f"bench-{stamp}.json").write_text(json.dumps(result, indent=1))
    chart(result, ARGS.out / f"bench-{stamp}.png")
    if ARGS.processes:
        print_processes(result)
    elif ARGS.realistic:
        print_realistic(result)
    else:
        print_report(result)
    print(f"written: {ARGS.out / f'bench-{stamp}.json'} and .png")
