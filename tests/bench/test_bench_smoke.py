"""The benchmark runs end to end and reports every figure (not a timing test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.scenario import ECHO_STEPS

ROOT = Path(__file__).resolve().parents[2]


def test_small_benchmark_reports_its_figures(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "bench",
        "--people",
        "2",
        "--pause",
        "0",
        "--parked",
        "10",
        "--burst",
        "20",
    ]
    command += ["--burst-seconds", "1"]
    process = subprocess.run(
        [*command, "--out", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=240,
    )
    printed = process.stdout
    assert process.returncode == 0, printed
    [report] = list(tmp_path.glob("bench-*.json"))
    assert list(tmp_path.glob("bench-*.png"))
    result = json.loads(report.read_text())
    for side in ("bot", "echo", "echo_aiohttp"):
        figures = result[side]
        assert figures["finished"] == figures["people"] == 2
        assert figures["updates"] == 2 * ECHO_STEPS
        for key in (
            "updates_per_second",
            "first_reply_p95",
            "cpu_seconds_per_update",
            "peak_rss_mb",
        ):
            assert figures[key] > 0, (side, key)
    assert 0 < result["bot"]["hashing_cpu_seconds"] < result["bot"]["cpu_seconds"]
    # Telegram's limit counts every request that names a chat: per update, by method, step
    assert result["echo"]["requests_in_a_chat_per_update"] == 1.0
    assert 0 < result["bot"]["requests_in_a_chat_per_update"] <= 1.2
    requests_by = result["bot"]["requests_by"]
    assert requests_by["by_method"]["deletemessage"]["in_a_chat"] == 2 * 2  # passwords
    saved = requests_by["by_step"]["save"]["methods"]  # the press edits its message
    assert saved.get("editmessagetext") == 2 and "sendmessage" not in saved
    assert result["password_hash_seconds"] > 0
    assert result["event_loop"]["longest_callback_seconds"] > 0
    assert result["parked"]["conversations"] == 10 and result["parked"]["restart_seconds"] > 0
    burst = result["burst"]
    assert burst["chats"] == 20 and burst["lost"] == 0 and burst["exit_code"] == 0
    assert burst["sigterm_to_exit_seconds"] > 0 and burst["peak_rss_mb"] > 0
    for label in ("updates/s", "first reply p95", "CPU s/update", "peak RSS", "bot/echo", "burst"):
        assert label in printed


def test_realistic_mode_reports_the_three_bots_side_by_side(tmp_path: Path) -> None:
    """`--realistic` with a handful of people and pauses scaled down: every figure of the
    three bots, and their requests by method and by step adding up to their totals."""
    people = 3
    command = [sys.executable, "-m", "bench", "--realistic", "--people", str(people)]
    command += ["--pause-scale", "0.01", "--flood-per-chat", "0", "--out", str(tmp_path)]
    process = subprocess.run(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=240,
    )
    printed = process.stdout
    assert process.returncode == 0, printed
    [report] = list(tmp_path.glob("bench-*.json"))
    result = json.loads(report.read_text())
    assert result["arguments"]["realistic"] and result["arguments"]["flood_limit"] == 30
    for side in ("bot", "echo", "echo_aiohttp"):
        figures = result[side]
        assert figures["finished"] == figures["people"] == people
        updates = figures["updates"]
        assert updates == people * ECHO_STEPS
        for key in (
            "updates_per_second",
            "sustained_updates_per_second",
            "ceiling_updates_per_second",
            "first_reply_p50",
            "first_reply_p95",
            "first_reply_p99",
            "cpu_seconds_per_update_without_hashing",
            "peak_rss_mb",
        ):
            assert figures[key] > 0, (side, key)
        assert figures["too_many_requests"] >= 0
        # The counts add up: by method and by step to the run's requests in a chat.
        in_a_chat = round(figures["requests_in_a_chat_per_update"] * updates)
        requests = round(figures["requests_per_update"] * updates)
        by_method, by_step = figures["requests_by"]["by_method"], figures["requests_by"]["by_step"]
        assert sum(entry["in_a_chat"] for entry in by_method.values()) == in_a_chat
        assert sum(entry["requests"] for entry in by_method.values()) == requests
        assert sum(entry["in_a_chat"] for entry in by_step.values()) == in_a_chat
        assert sum(entry["updates"] for entry in by_step.values()) == updates
        for step, entry in by_step.items():
            assert sum(entry["methods"].values()) == entry["requests"], (side, step)
        assert (
            figures["ceiling_updates_per_second"] == 30 / figures["requests_in_a_chat_per_update"]
        )
    # Each echo answers each message with one message in its chat, at the step it answers.
    for step, entry in result["echo"]["requests_by"]["by_step"].items():
        if entry["updates"]:
            assert entry["methods"] == {"sendmessage": entry["updates"]}, step
    bot = result["bot"]
    for key in ("first_reply_p50_hashing_steps", "first_reply_p99_hashing_steps"):
        assert bot[key] > 0
    assert bot["requests_by"]["by_step"]["password"]["updates"] == people
    for label in ("updates/s sustained", "ceiling", "password steps", "by step", "sendmessage"):
        assert label in printed


def test_reset_timing_reports_both_kinds_of_address() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "bench.reset_timing", "--tries", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=120,
    )
    assert process.returncode == 0, process.stdout
    medians = [line for line in process.stdout.splitlines() if "median" in line]
    assert [line.split(" median")[0].strip() for line in medians] == [
        "correo, registered",
        "correo, unregistered",
        "wrong code, registered",
        "wrong code, unregistered",
    ]


def test_catalog_figures_are_measured_for_each_part() -> None:
    from bench.catalogs import PARTS, measure

    figures = measure()
    assert list(figures) == list(PARTS)
    for part in figures.values():
        assert set(part) == {"ms", "rss_mb", "kept_mb", "peak_mb"}
