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
    assert result["echo"]["chat_requests_per_update"] == 1.0
    assert 0 < result["bot"]["chat_requests_per_update"] <= 1.2
    assert result["bot"]["chat_requests_by_method"]["deleteMessage"] == 2 * 2  # passwords
    assert result["bot"]["chat_requests_by_step"]["save"] == {"editMessageText": 1.0}
    assert result["password_hash_seconds"] > 0
    assert result["event_loop"]["longest_callback_seconds"] > 0
    assert result["parked"]["conversations"] == 10 and result["parked"]["restart_seconds"] > 0
    burst = result["burst"]
    assert burst["chats"] == 20 and burst["lost"] == 0 and burst["exit_code"] == 0
    assert burst["sigterm_to_exit_seconds"] > 0 and burst["peak_rss_mb"] > 0
    for label in ("updates/s", "first reply p95", "CPU s/update", "peak RSS", "bot/echo", "burst"):
        assert label in printed
    for label in ("requests naming a chat", "editMessageText"):
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
