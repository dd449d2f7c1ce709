"""Processes under measurement: started like in production, read through /proc."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from emulator import BotApiEmulator

ROOT = Path(__file__).resolve().parents[1]
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@dataclass
class Usage:
    cpu_seconds: float
    hashing_cpu_seconds: float  # of the password hashing threads (services.passwords)
    rss_bytes: int
    peak_rss_bytes: int


def stat(path: Path) -> tuple[float, int]:
    """CPU seconds (user + system) and nice value of a process or thread."""
    fields = path.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS, int(fields[16])


def usage(pid: int) -> Usage:
    cpu, own_nice = stat(Path(f"/proc/{pid}/stat"))  # all threads; the main thread's nice
    # The password hashing threads are the ones at a lower priority (services.passwords).
    threads = [stat(task / "stat") for task in Path(f"/proc/{pid}/task").iterdir()]
    hashing = sum(seconds for seconds, nice in threads if nice > own_nice)
    status = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    kib = lambda name: int(status[name].split()[0]) * 1024  # noqa: E731
    return Usage(
        cpu_seconds=cpu,
        hashing_cpu_seconds=hashing,
        rss_bytes=kib("VmRSS"),
        peak_rss_bytes=kib("VmHWM"),
    )


class BotProcess:
    def __init__(
        self,
        emulator: BotApiEmulator,
        token: str,
        env: dict[str, str],
        workdir: Path,
        name: str | None = None,  # of its log file; the token's number unless given
    ):
        self.emulator, self.token, self.env, self.workdir = emulator, token, env, workdir
        self.name = name or token.split(":")[0]
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, script: list[str], ready: Callable[[], bool] | None = None) -> float:
        """Start and wait until it polls (or until `ready` says so: a bot in webhook mode
        does not poll); returns the seconds that took."""
        account = self.emulator.bot(self.token)
        polls = account.polls
        if ready is None:
            ready = lambda: account.polls != polls  # noqa: E731
        loop = asyncio.get_running_loop()
        began = loop.time()
        env = {
            **os.environ,
            **self.env,
            "TELEGRAM_BOT_TOKEN": self.token,
            "TELEGRAM_API_BASE_URL": self.emulator.base_url,
            "TELEGRAM_API_FILE_URL": self.emulator.file_url,
            "PYTHONPATH": str(ROOT),
        }
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            *script,
            cwd=self.workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        while not ready():
            if self.process.returncode is not None:
                raise RuntimeError(f"{script} exited; see {log.name}")
            await asyncio.sleep(0.01)
        return loop.time() - began

    def usage(self) -> Usage:
        assert self.process is not None
        return usage(self.process.pid)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await asyncio.wait_for(self.process.wait(), 60)
        self.process = None
