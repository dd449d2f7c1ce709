"""python -m bench.reset_timing: does /recuperar answer a registered address and an
unregistered one in the same time? Drives the real bot through the emulator (SQLite, mail
to files) and prints the median reply time of both steps that touch the address (the
correo, and a wrong code) over N tries of each, interleaved, with the spread between the
two halves of each series as a measure of the noise."""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from bot.runtime import BotRuntime
from bot.settings import Settings
from emulator import BotApiEmulator, Person
from storage import repositories
from storage.crypto import new_key
from storage.models import utcnow

TOKEN = "42:timing"
PAUSE_SECONDS = 0.5
TARGET = re.compile(r"(?:toca|tap) (?:el|la|the) (\S+) \(")


async def make_accounts(runtime: BotRuntime, count: int) -> None:
    password_hash = await runtime.services.passwords.hash("una frase cualquiera y larga")
    async with runtime.sessions() as session, session.begin():
        for number in range(count):
            account = await repositories.add_account(
                session=session,
                email=f"ana{number}@example.mx",
                rfc="GODE561231GR8",
                password_hash=password_hash,
                language="es",
                now=utcnow() - timedelta(days=1),
            )
            account.confirmed_at = utcnow()


async def one_try(emulator: BotApiEmulator, email: str) -> tuple[float, float]:
    """A new person asks a reset for `email`: the reply times of the correo and of a
    wrong code."""
    person = Person(emulator, TOKEN)
    await person.send("/recuperar")
    challenge = await person.expect("toca")
    match = TARGET.search(challenge.text or "")
    assert match, challenge.text
    await person.press(match.group(1), message=challenge)
    await person.expect("correo electrónico")
    started = time.perf_counter()
    await person.send(email)
    await person.expect("Si el correo")
    asked = time.perf_counter() - started
    await person.expect("código")
    await asyncio.sleep(PAUSE_SECONDS)  # a person reads the email before typing its code
    started = time.perf_counter()
    await person.send("ABCD-EFGH")
    await person.expect("no es correcto")
    return asked, time.perf_counter() - started


def describe(name: str, times: list[float]) -> str:
    half = len(times) // 2
    halves = statistics.median(times[:half]), statistics.median(times[half:])
    return (
        f"{name:<22} median {statistics.median(times) * 1000:7.1f} ms"
        f"   (halves {halves[0] * 1000:.1f} / {halves[1] * 1000:.1f} ms)"
    )


async def measure(tries: int, workdir: Path) -> dict[str, list[float]]:
    emulator = BotApiEmulator()
    await emulator.start()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]  # pydantic-settings' own argument
        telegram_bot_token=SecretStr(TOKEN),
        telegram_api_base_url=emulator.base_url,
        telegram_api_file_url=emulator.file_url,
        database_url=f"sqlite+aiosqlite:///{workdir / 'timing.sqlite3'}",
        mail_outbox_dir=workdir / "outbox",
        data_encryption_key=new_key(),
        support_contact="soporte@example.mx",
        log_level="WARNING",
    )
    runtime = BotRuntime(settings)
    await runtime.start()
    series: dict[str, list[float]] = {k: [] for k in ("known", "unknown")}
    codes: dict[str, list[float]] = {k: [] for k in ("known", "unknown")}
    try:
        await make_accounts(runtime, tries)
        for number in range(tries):
            for kind, email in (("known", f"ana{number}"), ("unknown", f"nadie{number}")):
                asked, coded = await one_try(emulator, f"{email}@example.mx")
                series[kind].append(asked)
                codes[kind].append(coded)
    finally:
        await runtime.stop()
        await emulator.stop()
    return {
        "correo, registered": series["known"],
        "correo, unregistered": series["unknown"],
        "wrong code, registered": codes["known"],
        "wrong code, unregistered": codes["unknown"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reset_timing")
    parser.add_argument("--tries", type=int, default=30)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as directory:
        results = asyncio.run(measure(args.tries, Path(directory)))
    print(f"/recuperar reply times, {args.tries} tries of each, interleaved:")
    for name, times in results.items():
        print(describe(name, times))


if __name__ == "__main__":
    main()
