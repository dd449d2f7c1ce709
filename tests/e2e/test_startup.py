"""Start-up as an operator sees it: a dependency that is not there yet is waited for, one
log line per try; SIGTERM ends the wait cleanly; webhook mode answers /healthz."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest
from pydantic import SecretStr

from bot.settings import Settings
from emulator import BotApiEmulator
from tests.conftest import (
    POSTGRES_URL,
    SmtpServer,
    free_port,
    postgres_database,
    require_postgres,
)
from tests.e2e.conftest import ROOT, Harness, make_settings

WEBHOOK_SECRET = "Zq3-webhook_secret-of-43-characters-xY7wK2p"


@pytest.fixture
def harness(emulator: BotApiEmulator, smtp_server: SmtpServer, tmp_path: Path) -> Harness:
    """For `python main.py` only, on a SQLite file: these tests are about what is missing."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    return Harness(emulator, make_settings(emulator, database, smtp_server), tmp_path)


async def spawn(harness: Harness, **environment: str) -> asyncio.subprocess.Process:
    with harness.log.open("ab") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "main.py"),
            cwd=harness.workdir,
            env={**harness.environment(), "STARTUP_RETRY_MAX_SECONDS": "1", **environment},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


async def log_shows(harness: Harness, pattern: str, count: int = 1, timeout: float = 30) -> str:
    """The log once `pattern` appears `count` times in it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while len(re.findall(pattern, text := harness.log.read_text())) < count:
        if loop.time() > deadline:
            raise AssertionError(f"{pattern!r} not {count} times in the log:\n{text}")
        await asyncio.sleep(0.05)
    return text


async def ends_cleanly(harness: Harness, process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), timeout=30)
    log = harness.log.read_text()
    assert code == 0, log
    assert "Traceback" not in log and "Unclosed" not in log, log
    return log


async def test_an_unreachable_database_is_retried_until_sigterm(harness: Harness) -> None:
    nowhere = f"postgresql://nobody@127.0.0.1:{free_port()}/none"
    process = await spawn(harness, DATABASE_URL=nowhere)
    await log_shows(harness, r"database not reachable \(.*\); retrying in 1 s", count=3)
    log = await ends_cleanly(harness, process)
    assert "bot stopped" in log and "is running" not in log


async def test_a_database_that_does_not_exist_stops_the_start_at_once(harness: Harness) -> None:
    await require_postgres()
    process = await spawn(
        harness, DATABASE_URL=POSTGRES_URL.rsplit("/", 1)[0] + "/no_such_database_here"
    )
    code = await asyncio.wait_for(process.wait(), timeout=60)
    log = harness.log.read_text()
    assert code == 1
    assert 'main.py: cannot use DATABASE_URL: database "no_such_database_here"' in log
    assert "retrying" not in log and "Traceback" not in log and "Unclosed" not in log


async def test_the_bot_waits_for_the_bot_api_and_serves_once_it_answers(
    harness: Harness, smtp
) -> None:
    later = BotApiEmulator()
    port = free_port()
    harness.emulator = later
    process = await spawn(
        harness,
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot",
        TELEGRAM_API_FILE_URL=f"http://127.0.0.1:{port}/file/bot",
    )
    try:
        await log_shows(harness, r"Bot API not reachable \(.*\); retrying in 1 s", count=2)
        await later.start(port)
        log = await log_shows(harness, r"is running \(polling\): database ok, bot running")
        ana = harness.person()
        await ana.send("/start")
        assert "Hola" in (await ana.reply()).text
        await ends_cleanly(harness, process)
    finally:
        if process.returncode is None:
            process.kill()
        await later.stop()
    assert log.count("Bot API not reachable") >= 2


async def test_sigterm_while_waiting_for_the_bot_api_ends_cleanly(harness: Harness) -> None:
    port = free_port()
    process = await spawn(harness, TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{port}/bot")
    await log_shows(harness, r"Bot API not reachable", count=2)
    await ends_cleanly(harness, process)


async def test_smtp_down_is_retried_beside_a_running_bot(
    harness: Harness, smtp_server: SmtpServer
) -> None:
    process = await spawn(harness)
    try:
        await log_shows(harness, r"SMTP server not reachable \(.*\); retrying in 1 s", count=2)
        await log_shows(harness, r"is running \(polling\): database ok, bot running")
        ana = harness.person()
        await ana.send("/start")
        assert "Hola" in (await ana.reply()).text
        smtp_server.start()
        await log_shows(harness, rf"SMTP server 127.0.0.1:{smtp_server.port} answers")
        await ends_cleanly(harness, process)
    finally:
        if process.returncode is None:
            process.kill()


async def test_webhook_healthz_says_whether_the_database_answers(
    emulator: BotApiEmulator, smtp, tmp_path: Path
) -> None:
    port = free_port()
    async with postgres_database() as url:
        settings = Settings(  # validated, as main builds it
            _env_file=None,  # type: ignore[call-arg]
            **{
                **make_settings(emulator, url, smtp).model_dump(),
                "webhook_url": "https://bot.example.mx/telegram-hook",
                "webhook_secret": SecretStr(WEBHOOK_SECRET),
                "webhook_listen": "127.0.0.1",
                "webhook_port": port,
            },
        )
        harness = Harness(emulator, settings, tmp_path)
        await harness.start()
        try:
            async with httpx.AsyncClient() as client:
                healthy = await client.get(f"http://127.0.0.1:{port}/healthz")
                assert healthy.status_code == 200
                assert healthy.json() == {"database": "ok", "bot": "running"}
                admin = await asyncpg.connect(POSTGRES_URL)
                try:
                    database = url.rsplit("/", 1)[-1]
                    await admin.execute(f'DROP DATABASE "{database}" WITH (FORCE)')
                finally:
                    await admin.close()
                sick = await client.get(f"http://127.0.0.1:{port}/healthz")
                assert sick.status_code == 503
                assert sick.json()["database"] == "not reachable"  # the reason is logged only
        finally:
            await harness.stop()


async def test_a_second_process_on_the_same_sqlite_file_stops_at_once_saying_why(
    harness: Harness,
) -> None:
    """SQLite serves one process: a second one on the same file says so in one line and
    that PostgreSQL runs several; once the first has stopped, the file is free again."""
    first = await spawn(harness)
    await log_shows(harness, "is running")
    second = await spawn(harness)
    assert await asyncio.wait_for(second.wait(), timeout=60) == 1
    log = harness.log.read_text()
    assert "main.py: another bot process uses the SQLite database" in log
    assert "to run several, use PostgreSQL" in log and "Traceback" not in log
    await ends_cleanly(harness, first)
    again = await spawn(harness)
    await log_shows(harness, "is running", count=2)
    await ends_cleanly(harness, again)
