"""`python -m bench --processes N`: the same kind of people (sign-up, confirmation with the
emailed code, the company form) served by one bot process, then by N side by side, each
with Telegram's limit on and off. The processes run as they would behind a load balancer:
webhook mode on one PostgreSQL database, the emulator delivering each update to their
addresses in turn.

Telegram's limit on: the emulator answers 429 past 30 sends a second by the bot (all its
processes together, as Telegram counts per bot; in one chat, only with --flood-per-chat:
the bot does not pace a private chat, see bot.ratelimit), and each process paces itself
at its share of the limit (TELEGRAM_SENDS_PER_SECOND). Off: neither
(TELEGRAM_SENDS_PER_SECOND=0). With the limit on, no
number of processes passes the ceiling, 30 a second divided by the requests the bot makes
in a chat per update (those its limiter paces; Telegram counts the sends and edits among
them)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from bench.procs import ROOT, BotProcess, Usage, free_port, percentile
from bench.scenario import Inbox, Run, onboard
from emulator import BotApiEmulator, FloodLimits, Person
from emulator.flood import FloodControl, counts
from emulator.registry import METHODS

TELEGRAM_PER_SECOND = 30  # a bot's sends, all its processes together
PUBLIC_URL = "https://bot.example.mx/hook"  # the webhook behind the load balancer
PATH = "/hook"  # what each process serves: the public URL's path
POSTGRESQL = "postgresql+asyncpg://postgres@127.0.0.1:5432"  # where the fresh database goes
FIRST_USER_ID = 80_000_000  # each run's people have their own ids and addresses
PER_RUN = 1_000_000
FAILURES_KEPT = 5


def refusal(processes: int, db: str | None, database_url: str | None) -> str | None:
    """The one line that refuses the arguments, or None. Several processes share their
    work through PostgreSQL; a SQLite file serves one process only."""
    if processes <= 1:
        return None
    url = database_url or ("sqlite" if db == "sqlite" else POSTGRESQL)
    if url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres"):
        return None
    return (
        f"python -m bench: --processes {processes} needs PostgreSQL (SQLite serves one process):"
        f" give --database-url postgresql+asyncpg://…, or leave out --db and --database-url"
        f" for a fresh database at {POSTGRESQL}"
    )


def plan(processes: int) -> list[tuple[int, bool]]:
    """The runs: one process and then `processes`, each with the limit off and on."""
    counts_ = sorted({1, processes})
    return [(count, limited) for count in counts_ for limited in (False, True)]


OUTSIDE = "-"  # the step of requests made in no person's chat (getUpdates, setWebhook)


def chat_of(name: str, params: dict[str, Any]) -> int | None:
    """The chat a request is made in: its chat_id, or for a button's answer the person whose
    press it answers (the emulator's callback_query_id is "<user id>-<n>")."""
    chat_id = params.get("chat_id")
    if chat_id is not None:
        try:
            return int(chat_id)
        except (TypeError, ValueError):
            return None
    query = params.get("callback_query_id")
    if name == "answercallbackquery" and isinstance(query, str):
        head = query.split("-", 1)[0]
        return int(head) if head.isdigit() else None
    return None


@dataclass
class Tally:
    """The Bot API calls the emulator served, by bot (token) and method; the refused ones
    (429) are not among them. Also by step of the journey: `steps` says where each chat is
    (bench.scenario.Run sets it), and a call in a chat counts for that chat's step."""

    calls: Counter[tuple[str, str]] = field(default_factory=Counter)
    in_a_chat: Counter[str] = field(default_factory=Counter)  # with a chat_id
    steps: dict[int, str] = field(default_factory=dict)
    # (token, step, method, with a chat_id: what the bot's limiter paces) -> calls
    detail: Counter[tuple[str, str, str, bool]] = field(default_factory=Counter)

    def webhook_set(self, token: str, times: int) -> Callable[[], bool]:
        """Whether the bot has called setWebhook `times` times (each process calls it once
        it listens)."""
        return lambda: self.calls[token, "setwebhook"] >= times

    def of(self, token: str) -> dict[str, int]:
        mine = {method: n for (bot, method), n in self.calls.items() if bot == token}
        return {
            "requests": sum(mine.values()),
            "sends": sum(n for method, n in mine.items() if counts(method)),
            "in_a_chat": self.in_a_chat[token],
        }

    def count(self, token: str, name: str, params: dict[str, Any]) -> None:
        self.calls[token, name] += 1
        paced = params.get("chat_id") is not None
        if paced:
            self.in_a_chat[token] += 1
        chat = chat_of(name, params)
        step = self.steps.get(chat, OUTSIDE) if chat is not None else OUTSIDE
        self.detail[token, step, name, paced] += 1


def breakdown(
    token: str, made: Counter[tuple[str, str, str, bool]], updates: Counter[str]
) -> dict[str, Any]:
    """The requests of one bot (`made`: Tally.detail's difference over a run) by Bot API
    method and by step of the journey, each with its count per update (`updates`: the
    updates each step took). Counted against the limit ("in_a_chat"): the requests with a
    chat_id, which the bot's limiter paces; "telegram_counts": the sends and edits among
    them, which Telegram's flood control counts."""
    mine = [
        (step, method, paced, n) for (bot, step, method, paced), n in made.items() if bot == token
    ]
    total = sum(updates.values())
    methods: dict[str, dict[str, Any]] = {}
    for _, method, paced, n in mine:
        entry = methods.setdefault(
            method, {"requests": 0, "in_a_chat": 0, "telegram_counts": counts(method)}
        )
        entry["requests"] += n
        entry["in_a_chat"] += n if paced else 0
    for entry in methods.values():
        entry["per_update"] = entry["requests"] / total if total else 0.0
        entry["in_a_chat_per_update"] = entry["in_a_chat"] / total if total else 0.0
    steps: dict[str, dict[str, Any]] = {
        step: {"updates": n, "requests": 0, "in_a_chat": 0, "telegram_counts": 0, "methods": {}}
        for step, n in updates.items()
    }
    for step, method, paced, n in mine:
        entry = steps.setdefault(
            step, {"updates": 0, "requests": 0, "in_a_chat": 0, "telegram_counts": 0, "methods": {}}
        )
        entry["requests"] += n
        entry["in_a_chat"] += n if paced else 0
        entry["telegram_counts"] += n if counts(method) else 0
        entry["methods"][method] = entry["methods"].get(method, 0) + n
    for entry in steps.values():
        updates_ = entry["updates"]
        entry["in_a_chat_per_update"] = entry["in_a_chat"] / updates_ if updates_ else None
    return {
        "by_method": dict(sorted(methods.items(), key=lambda item: -item[1]["requests"])),
        "by_step": steps,
    }


@contextlib.contextmanager
def tallying(tally: Tally) -> Iterator[Tally]:
    """Count every call the emulator serves while inside (its table of methods wrapped,
    then put back)."""
    originals = dict(METHODS)

    def counted(name: str, function: Any) -> Any:
        async def call(emulator: BotApiEmulator, bot: Any, params: dict[str, Any]) -> Any:
            tally.count(bot.token, name, params)
            return await function(emulator, bot, params)

        return call

    METHODS.update({name: counted(name, function) for name, function in originals.items()})
    try:
        yield tally
    finally:
        METHODS.update(originals)


EXCEPTION = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): ", re.MULTILINE)


def read_log(path: Path) -> dict[str, Any]:
    text = path.read_text(errors="replace") if path.exists() else ""
    return {
        "errors": text.count(" ERROR "),
        "warnings": text.count(" WARNING "),
        "exceptions": dict(Counter(EXCEPTION.findall(text)).most_common(3)),
    }


async def watch_connections(url: str, peak: dict[str, int]) -> None:
    """The most connections seen (every 0.1 s) to the run's database and to the whole
    server, and the server's max_connections; until cancelled."""
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        peak["max_connections"] = int(await connection.fetchval("SHOW max_connections"))
        while True:
            ours, server = await connection.fetchrow(
                "SELECT count(*) FILTER (WHERE datname = current_database()), count(*)"
                " FROM pg_stat_activity WHERE backend_type = 'client backend'"
            )
            peak["to_database"] = max(peak.get("to_database", 0), ours - 1)  # not this one
            peak["on_server"] = max(peak.get("on_server", 0), server)
            await asyncio.sleep(0.1)
    finally:
        await connection.close()


def usage_or_none(process: BotProcess) -> Usage | None:
    try:
        return process.usage()
    except (AssertionError, FileNotFoundError, ProcessLookupError):
        return None  # it has exited


async def one_run(
    emulator: BotApiEmulator,
    mailbox: Inbox,
    env: dict[str, str],
    workdir: Path,
    tally: Tally,
    *,
    index: int,
    processes: int,
    limited: bool,
    people: int,
    pause: float,
    flood_per_chat: int,
    usual: int | None,
) -> dict[str, Any]:
    token = f"{60 + index}:processes"
    plural = "es" if processes > 1 else ""
    label = f"{processes} process{plural}, limit {'on' if limited else 'off'}"
    script = [str(ROOT / "main.py")]
    secret = secrets.token_urlsafe(32)
    ports = [free_port() for _ in range(processes)]
    addresses = [f"http://127.0.0.1:{port}{PATH}" for port in ports]
    emulator.webhook_routes[PUBLIC_URL] = addresses
    emulator.flood = (
        FloodControl(FloodLimits(overall=TELEGRAM_PER_SECOND, per_chat=flood_per_chat or None))
        if limited
        else None
    )
    connections: dict[str, int] = {}
    watch = (
        asyncio.create_task(watch_connections(env["DATABASE_URL"], connections))
        if env["DATABASE_URL"].startswith("postgres")
        else None
    )
    bots = []
    for number, port in enumerate(ports):
        webhook = {
            "WEBHOOK_URL": PUBLIC_URL,
            "WEBHOOK_SECRET": secret,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
            "TELEGRAM_SENDS_PER_SECOND": str(TELEGRAM_PER_SECOND if limited else 0),
        }
        name = f"processes-{index}-{number + 1}"
        bot = BotProcess(emulator, token, {**env, **webhook}, workdir, name=name)
        # One after the other, each ready once it has set the webhook (the first also
        # brings the database's schema up to date).
        await bot.start(script, ready=tally.webhook_set(token, times=number + 1))
        bots.append(bot)
    first_id = FIRST_USER_ID + index * PER_RUN
    crowd = [Person(emulator, token, user_id=first_id + n) for n in range(people)]
    loop = asyncio.get_running_loop()
    before = [usage_or_none(bot) for bot in bots]
    calls_before = tally.of(token)
    detail_before = Counter(tally.detail)
    run = Run(began=loop.time(), pause=pause, steps=tally.steps)
    outcomes = await asyncio.gather(
        *(onboard(run, person, index * PER_RUN + n, mailbox) for n, person in enumerate(crowd)),
        return_exceptions=True,
    )
    after = [usage_or_none(bot) for bot in bots]
    calls_after = tally.of(token)
    requests_by = breakdown(
        token, tally.detail - detail_before, Counter(s.step for s in run.samples)
    )
    exited = [b.process.returncode for b in bots if b.process and b.process.returncode is not None]
    await asyncio.gather(*(bot.stop() for bot in bots))
    if watch is not None:
        watch.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watch
    delivery = emulator.webhooks.get(token)
    deliveries = list(getattr(delivery, "log", []))
    if delivery is not None:
        await delivery.stop()
    refused = emulator.too_many_requests
    emulator.flood = None
    emulator.webhook_routes.pop(PUBLIC_URL, None)

    logged = [read_log(workdir / f"{bot.name}.log") for bot in bots]
    failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    answered = list(run.samples)
    seconds = max((s.at + s.latency for s in answered), default=0.0)
    latencies = [s.latency for s in answered if not s.hashes]
    updates = len(answered)
    made = {key: calls_after[key] - calls_before[key] for key in calls_after}
    per_update = {key: made[key] / updates if updates else 0.0 for key in made}
    cpu = sum(a.cpu_seconds - b.cpu_seconds for a, b in zip(after, before, strict=True) if a and b)
    replies = sorted(
        sum(1 for m in person.messages if m.from_bot)
        for person, outcome in zip(crowd, outcomes, strict=True)
        if not isinstance(outcome, BaseException)
    )
    # Replies a person saw more than once (their first words): none in this scenario
    # unless the bot sent something twice. And the chats of a few people who saw more or
    # fewer replies than is usual (each message's first words): as many as most people
    # saw in the first run (one process, no limit).
    repeated: Counter[str] = Counter()
    for person in crowd:
        texts = Counter((m.text or "")[:60] for m in person.messages if m.from_bot)
        repeated.update({text: n - 1 for text, n in texts.items() if n > 1})
    most = Counter(replies).most_common(1)[0][0] if replies else None
    usual = most if usual is None else usual
    unusual = [
        [
            f"{'bot' if m.from_bot else 'me'}: {(m.text or '')[:60]}"
            + (" (deleted)" if m.deleted else "")
            for m in person.messages
        ]
        for person, outcome in zip(crowd, outcomes, strict=True)
        if not isinstance(outcome, BaseException)
        and sum(1 for m in person.messages if m.from_bot) != usual
    ]
    return {
        "name": label,
        "processes": processes,
        "limit": limited,
        "people": people,
        "finished": run.finished,
        "failed": len(failures),
        "failures": [f"{type(f).__name__}: {str(f)[:300]}" for f in failures[:FAILURES_KEPT]],
        "updates": updates,
        "seconds": seconds,  # from the first message to the last reply awaited
        "updates_per_second": updates / seconds if seconds else 0.0,
        "first_reply_p50": percentile(latencies, 0.50),
        "first_reply_p95": percentile(latencies, 0.95),
        "first_reply_p99": percentile(latencies, 0.99),
        "first_reply_p95_hashing_steps": percentile(
            [s.latency for s in answered if s.hashes], 0.95
        ),
        "requests_per_update": per_update["requests"],
        "sends_per_update": per_update["sends"],
        "requests_in_a_chat_per_update": per_update["in_a_chat"],
        # What Telegram's limit allows: 30 a second of the requests the bot's limiter paces.
        "ceiling_updates_per_second": (
            TELEGRAM_PER_SECOND / per_update["in_a_chat"] if per_update["in_a_chat"] else None
        ),
        "too_many_requests": refused,
        "requests_by": requests_by,
        # Each person's replies (the same scenario: the same number each, unless some
        # were sent twice or lost), the least and the most among those who finished.
        "replies_per_person": [replies[0], replies[-1]] if replies else None,
        "repeated_replies": dict(repeated.most_common(FAILURES_KEPT)),
        "usual_replies": usual,
        "people_with_unusual_replies": len(unusual),
        "unusual_chats": unusual[:2],
        "deliveries": len(deliveries),
        "deliveries_refused": sum(1 for d in deliveries if not 200 <= d[2] < 300),
        "delivered_to": [
            sum(1 for d in deliveries if d[0] == address and 200 <= d[2] < 300)
            for address in addresses
        ],
        "exited_early": exited,
        # What the processes logged (LOG_LEVEL=WARNING): the lines at ERROR and WARNING
        # and the exceptions most often named, one count for each process.
        "logged": logged,
        # PostgreSQL: the most connections the processes held at once (and all clients'
        # on the server, the benchmark's own watcher included, against its max_connections).
        "postgresql_connections": connections or None,
        "cpu_seconds_per_update": cpu / updates if updates else 0.0,
        "peak_rss_mb": max((a.peak_rss_bytes for a in after if a), default=0) / 2**20,
        "samples": [[s.at, s.latency, s.step] for s in answered],
    }


async def measure_processes(
    emulator: BotApiEmulator,
    mailbox: Inbox,
    env: dict[str, str],
    database: Callable[[int], Awaitable[tuple[str, Callable[[], Awaitable[None]] | None]]],
    workdir: Path,
    *,
    processes: int,
    people: int,
    pause: float,
    flood_per_chat: int,
) -> dict[str, Any]:
    runs = []
    with tallying(Tally()) as tally:
        for index, (count, limited) in enumerate(plan(processes)):
            url, drop = await database(index)
            try:
                figures = await one_run(
                    emulator,
                    mailbox,
                    {**env, "DATABASE_URL": url},
                    workdir,
                    tally,
                    index=index,
                    processes=count,
                    limited=limited,
                    people=people,
                    pause=pause,
                    flood_per_chat=flood_per_chat,
                    usual=runs[0]["usual_replies"] if runs else None,
                )
            finally:
                if drop is not None:
                    await drop()
            runs.append(figures)
    return {"telegram_per_second": TELEGRAM_PER_SECOND, "runs": runs}
