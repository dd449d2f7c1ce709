"""What the benchmark prints, and its chart of latency over time."""

from __future__ import annotations

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
    print(
        f"event loop in the bot: longest blocking callback {blocking:.1f} ms"
        f" ({loop['longest_callback'][:90]}); most CPU in one callback"
        f" {loop['longest_callback_cpu_seconds'] * 1000:.1f} ms; longest garbage-collector"
        f" pass {loop['longest_gc_seconds'] * 1000:.1f} ms; longest 5 ms timer lateness"
        f" {loop['longest_timer_lateness_seconds'] * 1000:.1f} ms"
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


def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 5))
    for key, colour in (("echo", "tab:grey"), ("echo_aiohttp", "tab:orange"), ("bot", "tab:blue")):
        samples = result[key]["samples"]
        axes.scatter(
            [s[0] for s in samples],
            [s[1] for s in samples],
            s=4,
            c=colour,
            label=result[key]["name"],
        )
    axes.set_xlabel("seconds since the run began")
    axes.set_ylabel("time to first reply (s)")
    axes.set_yscale("log")
    arguments = result["arguments"]
    axes.set_title(f"{arguments['people']} people, pause {arguments['pause']} s, {arguments['db']}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
