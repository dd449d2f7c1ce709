"""What the benchmark prints, and its chart of latency over time."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

FIGURES = [
    ("updates/s", "updates_per_second", "{:.1f}"),
    ("first reply p50 (s)", "first_reply_p50", "{:.3f}"),
    ("first reply p95 (s)", "first_reply_p95", "{:.3f}"),
    ("first reply p99 (s)", "first_reply_p99", "{:.3f}"),
    ("CPU s/update", "cpu_seconds_per_update", "{:.5f}"),
    ("CPU s/update w/o hashing", "cpu_seconds_per_update_without_hashing", "{:.5f}"),
    ("peak RSS (MB)", "peak_rss_mb", "{:.1f}"),
]


def print_report(result: dict) -> None:
    bot, floor, same = result["bot"], result["echo"], result["echo_aiohttp"]
    print(f"{result['arguments']} on {result['machine']['cores']} cores")
    print("echo: PTB as shipped (the floor); echo': the same with the bot's transport")
    heads = ("", "bot", "echo", "bot/echo", "echo'", "bot/echo'")
    widths = (28, 11, 11, 10, 11, 10)
    print("".join(f"{head:>{width}}" for head, width in zip(heads, widths, strict=True)))
    for label, key, shape in FIGURES:
        cells = [shape.format(bot[key]), shape.format(floor[key])]
        ratio, ratio_same = (
            bot[key] / side[key] if side[key] else float("nan") for side in (floor, same)
        )
        print(
            f"{label:28}{cells[0]:>11}{cells[1]:>11}{ratio:>10.2f}"
            f"{shape.format(same[key]):>11}{ratio_same:>10.2f}"
        )
    finished = (f"{side['finished']}/{side['people']}" for side in (bot, floor, same))
    print("people finished: bot {}, echo {}, echo' {}".format(*finished))
    arguments = result["arguments"]
    if arguments.get("flood_limit"):
        print(
            f"flood control: the emulator allowed the bot {arguments['flood_limit']} sends a"
            f" second ({arguments['flood_per_chat'] or 'no limit'} in one chat) and answered"
            f" {bot['too_many_requests']} of them 429"
        )
    hashing_p95 = bot["first_reply_p95_hashing_steps"]
    print(f"first reply p95 of the two password steps (hashing): {hashing_p95:.3f} s")
    print(f"one password hash (argon2id, OWASP): {result['password_hash_seconds'] * 1000:.1f} ms")
    loop = result["event_loop"]
    blocking = loop["longest_callback_seconds"] * 1000
    cpu = loop.get("longest_callback_cpu_seconds")
    cpu = "not measured (BENCH_LOOP_CPU=1)" if cpu is None else f"{cpu * 1000:.1f} ms"
    print(
        f"event loop in the bot: longest blocking callback {blocking:.1f} ms"
        f" ({loop['longest_callback'][:90]}); most CPU in one callback {cpu}; longest"
        f" garbage-collector pass {loop['longest_gc_seconds'] * 1000:.1f} ms; longest 50 ms"
        f" timer lateness {loop['longest_timer_lateness_seconds'] * 1000:.1f} ms"
    )
    if result["parked"]:
        parked = result["parked"]
        print(
            f"{parked['conversations']} parked conversations: "
            f"+{parked['extra_rss_mb']:.1f} MB RSS over an idle bot, "
            f"restart ready in {parked['restart_seconds']:.2f} s "
            f"(idle {parked['idle_rss_mb']:.1f} MB, parked {parked['parked_rss_mb']:.1f} MB; "
            "the last parked chat resumed at its step)"
        )
    if result.get("burst"):
        burst = result["burst"]
        print(
            f"burst of {burst['chats']} chats sending /registro in "
            f"{burst['sent_in_seconds']:.0f} s: peak RSS {burst['peak_rss_mb']:.1f} MB "
            f"(idle {burst['idle_rss_mb']:.1f} MB); SIGTERM to exit "
            f"{burst['sigterm_to_exit_seconds']:.2f} s (exit code {burst['exit_code']}); "
            f"{burst['steps_stored']} steps stored, {burst['kept_in_inbox']} updates kept in "
            f"the inbox ({burst['kept_and_at_telegram']} of them not yet acknowledged), "
            f"{burst['not_yet_taken_at_telegram']} not yet taken from Telegram, "
            f"{burst['lost']} lost; restarted in {burst['restart_seconds']:.2f} s, the first "
            f"kept update answered {burst['first_kept_answered_seconds']:.2f} s later"
        )
    print(
        "requests in a chat per update (counted against the limit): bot"
        f" {bot['requests_in_a_chat_per_update']:.2f},"
        f" echo {floor['requests_in_a_chat_per_update']:.2f}"
    )
    print_requests(bot)


REALISTIC_FIGURES = [
    ("people finished", lambda side: f"{side['finished']}/{side['people']}"),
    ("updates/s over the run", lambda side: f"{side['updates_per_second']:.1f}"),
    (
        "updates/s sustained (busiest 60 s)",
        lambda side: f"{side['sustained_updates_per_second']:.1f}",
    ),
    (
        "ceiling: limit ÷ requests in a chat per update",
        lambda side: (
            f"{side['ceiling_updates_per_second'] or 0:.1f}"
            f" ({side['requests_in_a_chat_per_update']:.2f})"
        ),
    ),
    (
        "first reply p50 / p95 / p99 (s), steps that do not hash",
        lambda side: " / ".join(f"{side[f'first_reply_p{n}']:.2f}" for n in (50, 95, 99)),
    ),
    (
        "first reply p50 / p95 / p99 (s), password steps",
        lambda side: (
            " / ".join(f"{side[f'first_reply_p{n}_hashing_steps']:.2f}" for n in (50, 95, 99))
            if side["first_reply_p95_hashing_steps"]
            else "–"
        ),
    ),
    (
        "CPU ms per update (without hashing)",
        lambda side: (
            f"{side['cpu_seconds_per_update'] * 1000:.2f}"
            f" ({side['cpu_seconds_per_update_without_hashing'] * 1000:.2f})"
        ),
    ),
    ("peak RSS (MB)", lambda side: f"{side['peak_rss_mb']:.1f}"),
    ("429s from the emulator", lambda side: str(side["too_many_requests"])),
]


def print_realistic(result: dict) -> None:
    """The three bots of `--realistic` side by side, then the bot's requests by method and
    by step."""
    arguments = result["arguments"]
    print(
        f"{arguments['people']} people arriving over {arguments['arrivals_seconds']:g} s, pauses"
        f" {arguments['pause']} s a step (seed {arguments['seed']}), {arguments['db']}; all three"
        f" under {arguments['flood_limit']} sends a second (emulator and each bot's limiter);"
        f" {result['machine']['cores']} cores"
    )
    sides = [result[key] for key in ("bot", "echo", "echo_aiohttp")]
    widths = (56, 24, 24, 24)
    heads = ("", "bot", "echo", "echo'")
    print("".join(f"{head:>{width}}" for head, width in zip(heads, widths, strict=True)))
    for label, shape in REALISTIC_FIGURES:
        cells = [shape(side) for side in sides]
        print(f"{label:56}" + "".join(f"{cell:>24}" for cell in cells))
    bot, floor = result["bot"], result["echo"]
    without = bot["cpu_seconds_per_update_without_hashing"]
    for key, name in (("echo", "echo"), ("echo_aiohttp", "echo'")):
        floor = result[key]["cpu_seconds_per_update_without_hashing"]
        print(f"bot ÷ {name}, CPU per update without hashing: {without / floor:.2f}×")
    print_requests(bot)


def print_requests(side: dict) -> None:
    """A bot's requests per update by Bot API method, and those in a chat (what counts
    against the limit) by step of the journey."""
    requests = side["requests_by"]
    print(f"{side['name']}: requests per update by method (in a chat: counted against the limit)")
    for method, entry in requests["by_method"].items():
        telegram = ", Telegram counts it" if entry["telegram_counts"] else ""
        print(
            f"  {method:24} {entry['per_update']:.3f} ({entry['in_a_chat_per_update']:.3f}"
            f" in a chat{telegram})"
        )
    print(f"{side['name']}: requests in a chat per update, by step")
    for step, entry in requests["by_step"].items():
        if not entry["updates"]:
            continue
        methods = ", ".join(f"{m} {n}" for m, n in sorted(entry["methods"].items()))
        print(
            f"  {step[:24]:24} {entry['in_a_chat_per_update']:.2f}"
            f" ({entry['updates']} updates; {methods})"
        )


PROCESS_HEADS = (
    ("processes", 9),
    ("limit", 7),
    ("updates/s", 11),
    ("ceiling", 9),
    ("first reply p50 / p95 / p99 (s)", 33),
    ("429s", 7),
    ("finished", 10),
    ("replies each", 14),
)


def processes_table(result: dict) -> list[str]:
    """The runs of `python -m bench --processes N`, one line each under a heading; the
    ceiling (what Telegram's limit allows) beside the updates a second of the runs with
    the limit on."""
    widths = [width for _, width in PROCESS_HEADS]
    lines = ["".join(f"{head:>{width}}" for head, width in PROCESS_HEADS)]
    for run in result["processes"]["runs"]:
        ceiling = run["ceiling_updates_per_second"] if run["limit"] else None
        replies = run["replies_per_person"]
        cells = (
            str(run["processes"]),
            "on" if run["limit"] else "off",
            f"{run['updates_per_second']:.1f}",
            "–" if ceiling is None else f"{ceiling:.1f}",
            " / ".join(f"{run[f'first_reply_p{n}']:.3f}" for n in (50, 95, 99)),
            str(run["too_many_requests"]) if run["limit"] else "–",
            f"{run['finished']}/{run['people']}",
            "–" if not replies else "–".join(str(n) for n in sorted(set(replies))),
        )
        lines.append("".join(f"{cell:>{width}}" for cell, width in zip(cells, widths, strict=True)))
    return lines


def print_processes(result: dict) -> None:
    arguments = result["arguments"]
    per_second = result["processes"]["telegram_per_second"]
    print(
        f"{arguments['people']} people, pause {arguments['pause']} s, {arguments['db']}"
        f" ({arguments['database']}), webhook mode, on {result['machine']['cores']} cores"
    )
    for line in processes_table(result):
        print(line)
    print(
        f"limit on: the emulator answers 429 past {per_second} sends a second by the bot"
        f" ({arguments['flood_per_chat'] or 'no limit'} in one chat) and each process paces"
        f" itself; ceiling = {per_second} ÷ the requests in a chat per update (its limiter"
        " paces them all)"
    )
    for run in result["processes"]["runs"]:
        notes = [
            f"{run['requests_in_a_chat_per_update']:.2f} requests in a chat per update"
            f" ({run['sends_per_update']:.2f} of them sends, {run['requests_per_update']:.2f}"
            " requests in all)",
            f"CPU {run['cpu_seconds_per_update'] * 1000:.1f} ms per update",
            f"peak RSS {run['peak_rss_mb']:.0f} MB",
            "delivered " + " + ".join(str(n) for n in run["delivered_to"]),
        ]
        connections = run.get("postgresql_connections")
        if connections:
            notes.append(
                f"at most {connections['to_database']} PostgreSQL connections"
                f" ({connections['on_server']} on the server, which allows"
                f" {connections['max_connections']})"
            )
        if run["deliveries_refused"]:
            notes.append(f"{run['deliveries_refused']} deliveries refused and made again")
        if run["people_with_unusual_replies"]:
            unusual = run["people_with_unusual_replies"]
            notes.append(
                f"{unusual} {'person' if unusual == 1 else 'people'} saw other than"
                f" {run['usual_replies']} replies (chats in the JSON)"
            )
        if run["repeated_replies"]:
            notes.append(f"replies sent more than once: {run['repeated_replies']}")
        errors = sum(log["errors"] for log in run["logged"])
        if errors:
            named = Counter[str]()
            for log in run["logged"]:
                named.update(log["exceptions"])
            notes.append(f"{errors} errors logged ({', '.join(named) or 'no exception named'})")
        if run["exited_early"]:
            notes.append(f"processes exited during the run: {run['exited_early']}")
        print(f"{run['name']}: " + "; ".join(notes))
        for failure in run["failures"]:
            print(f"  not finished: {failure.splitlines()[0][:160]}")


def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 5))
    if "processes" in result:
        sides = [(run, None) for run in result["processes"]["runs"]]
    else:
        keys = (("echo", "tab:grey"), ("echo_aiohttp", "tab:orange"), ("bot", "tab:blue"))
        sides = [(result[key], colour) for key, colour in keys]
    for side, colour in sides:
        samples = side["samples"]
        axes.scatter(
            [s[0] for s in samples],
            [s[1] for s in samples],
            s=4,
            c=colour,
            label=side["name"],
        )
    axes.set_xlabel("seconds since the run began")
    axes.set_ylabel("time to first reply (s)")
    axes.set_yscale("log")
    arguments = result["arguments"]
    axes.set_title(f"{arguments['people']} people, pause {arguments['pause']} s, {arguments['db']}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
