"""End-to-end fixtures: the real bot (in this process, or as `python main.py`) polling the
emulator over HTTP, with a real SMTP server and a real database."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import text

from bot.runtime import BotRuntime
from bot.settings import Settings
from emulator import BotApiEmulator, Group, Person
from storage.crypto import new_key
from storage.db import create_engine
from tests.conftest import SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-token"
DATA_KEY = new_key()
WEBHOOK_SECRET = "Zq3-webhook_secret-of-43-characters-xY7wK2p"


def in_webhook_mode(harness: Harness, url: str = "https://bot.example.mx/hook") -> int:
    """Set the harness's bot to webhook mode at public `url` (validated, as main builds
    its settings); the local port it listens on."""
    port = free_port()
    harness.settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        **{
            **harness.settings.model_dump(),
            "webhook_url": url,
            "webhook_secret": SecretStr(WEBHOOK_SECRET),
            "webhook_listen": "127.0.0.1",
            "webhook_port": port,
        },
    )
    return port


# Where a person answers; an address, so that a problem written with /soporte is mailed.
SUPPORT_CONTACT = "soporte@example.mx"


class Harness:
    def __init__(self, emulator: BotApiEmulator, settings: Settings, workdir: Path) -> None:
        self.emulator = emulator
        self.settings = settings
        self.workdir = workdir
        self.runtime: BotRuntime | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.log = workdir / "bot.log"
        self.log_level = "INFO"

    def person(self, **kwargs: object) -> Person:
        return Person(self.emulator, TOKEN, **kwargs)  # type: ignore[arg-type]

    def group(self, **kwargs: object) -> Group:
        return Group(self.emulator, TOKEN, **kwargs)  # type: ignore[arg-type]

    @property
    def bot_username(self) -> str:
        return self.emulator.bot(TOKEN).user.username or ""

    # In this process

    async def start(self) -> BotRuntime:
        """Start the bot and wait for its first poll, which sets its allowed_updates."""
        account = self.emulator.bot(TOKEN)
        polls_before = account.polls
        self.runtime = BotRuntime(self.settings)
        await self.runtime.start()
        if not self.settings.webhook_url:
            for _ in range(200):
                if account.polls > polls_before:
                    break
                await asyncio.sleep(0.02)
        return self.runtime

    async def stop(self) -> None:
        if self.runtime is not None:
            await self.runtime.stop()
            self.runtime = None

    # As a separate process, as it is deployed

    def environment(self) -> dict[str, str]:
        s = self.settings
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "TELEGRAM_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_BASE_URL=s.telegram_api_base_url,
            TELEGRAM_API_FILE_URL=s.telegram_api_file_url,
            DATABASE_URL=s.database_url,
            SMTP_HOST=s.smtp_host or "",
            SMTP_PORT=str(s.smtp_port),
            SMTP_SECURITY=s.smtp_security.value,
            MAIL_FROM=s.sender,
            MAIL_RETRY_MAX_SECONDS=str(s.mail_retry_max_seconds),
            LOG_LEVEL=self.log_level,
            # Several bots and the other tests' databases within PostgreSQL's 100.
            DATABASE_CONNECTIONS="24",
            SUPPORT_CONTACT=s.support_contact or "",
            DATA_ENCRYPTION_KEY=s.data_encryption_key.get_secret_value()
            if s.data_encryption_key
            else "",
        )
        return env

    async def spawn(self) -> None:
        bot = self.emulator.bot(TOKEN)
        polls_before = bot.polls
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(ROOT / "main.py"),
                cwd=self.workdir,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        for _ in range(400):
            if bot.polls > polls_before or self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        if self.process.returncode is not None:
            raise AssertionError(f"bot exited at start:\n{self.log.read_text()}")

    async def terminate(self, sig: int = signal.SIGTERM) -> int:
        """Send `sig` and wait for the process to end; returns its exit code."""
        assert self.process is not None
        self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), timeout=30)
        self.process = None
        return code


def make_settings(emulator: BotApiEmulator, database_url: str, smtp: SmtpServer) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_base_url=emulator.base_url,
        telegram_api_file_url=emulator.file_url,
        database_url=database_url,
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        mail_from="facturacion@example.mx",
        mail_retry_max_seconds=2,
        data_encryption_key=DATA_KEY,
        support_contact=SUPPORT_CONTACT,
    )


@pytest.fixture(autouse=True)
def quick_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with 1 MiB and one pass for the bots these tests start in this process:
    they walk flows, not the hash's cost, and OWASP's 19 MiB twice over, at the low
    priority the bot gives hashing, would make every sign-up wait on a busy machine. The
    parameters themselves are pinned by tests/services/test_passwords.py, the cost
    measured by the benchmark; a bot started as its own process (`spawn`) keeps them."""
    monkeypatch.setattr("services.passwords.OWASP_MEMORY_KIB", 1024)
    monkeypatch.setattr("services.passwords.OWASP_TIME_COST", 1)


@pytest.fixture
async def harness(
    emulator: BotApiEmulator, database_url: str, smtp_server: SmtpServer, tmp_path: Path
) -> AsyncIterator[Harness]:
    """Everything but the bot, which a test starts (and may restart)."""
    harness = Harness(emulator, make_settings(emulator, database_url, smtp_server), tmp_path)
    yield harness
    await harness.stop()
    if harness.process is not None:
        harness.process.kill()
        await harness.process.wait()


@pytest.fixture
async def bot(harness: Harness, smtp: SmtpServer) -> AsyncIterator[Harness]:
    """The bot running in this process, with SMTP up."""
    await harness.start()
    yield harness


async def restart_with_a_rotated_key(harness: Harness) -> None:
    """Stop the bot and start it with a new DATA_ENCRYPTION_KEY first, the old one kept
    after it to read what it sealed (a rotation, as storage.crypto.SecretBox describes)."""
    await harness.stop()
    old = harness.settings.data_encryption_key
    assert old is not None
    keys = SecretStr(f"{new_key()},{old.get_secret_value()}")
    harness.settings = harness.settings.model_copy(update={"data_encryption_key": keys})
    await harness.start()


async def all_updates_taken(harness: Harness, timeout: float = 10) -> None:
    """Until the bot has fetched every update pushed so far: Telegram forgets an update
    once the next getUpdates acknowledges it. Stopping the bot then finishes them all."""
    account = harness.emulator.bot(TOKEN)
    for _ in range(int(timeout / 0.02)):
        if not account.updates:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"updates never taken: {account.updates}")


async def until(condition: Callable[[], bool], what: str = "it", timeout: float = 30) -> None:
    """Until `condition` holds (checked every 20 ms), failing after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"waited {timeout}s for {what}"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def chats_held(database_url: str, *chat_ids: int) -> AsyncIterator[None]:
    """The chats busy, as with an update in hand in another process (their PostgreSQL
    locks held), until the block ends: the bot stores their updates and processes none."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as holder:
            for chat_id in chat_ids:
                await holder.execute(text("SELECT pg_advisory_lock(:key)"), {"key": chat_id})
            try:
                yield
            finally:
                await holder.execute(text("SELECT pg_advisory_unlock_all()"))
                await holder.commit()
    finally:
        await engine.dispose()
