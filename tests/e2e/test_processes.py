"""Several bot processes serve one bot on one PostgreSQL, Telegram's deliveries spread
across them by a load balancer (the emulator's webhook, round-robin): each person's
messages are answered once and in order, each email goes once, together they keep to
Telegram's limit, and a process killed in the middle of flows loses nobody's progress."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from emulator import BotApiEmulator, FloodLimits, Person
from emulator.flood import FloodControl
from tests import journeys
from tests.conftest import Mailbox, SmtpServer, free_port, postgres_database
from tests.e2e.conftest import (
    TOKEN,
    WEBHOOK_SECRET,
    Harness,
    chats_held,
    make_settings,
    until,
)
from tests.factories import code_from_email, shown
from tests.sat_certs import SAT_CSD_HOLDER, SAT_CSD_RFC

PUBLIC_URL = "https://bot.example.mx/hook"
LAUNCHER = Path(__file__).with_name("quick_bot.py")
# A hundred take a minute or more on two cores, too long for the suite: with
# PROCESSES_TEST_PEOPLE=100 (and 3 processes: PROCESSES_TEST_COUNT=3) the test runs them,
# and `python -m bench --processes 2` measures them. Three processes are in the suite in
# the test that kills one of them.
PEOPLE = int(os.environ.get("PROCESSES_TEST_PEOPLE", "12"))
PROCESSES = int(os.environ.get("PROCESSES_TEST_COUNT", "2"))


@dataclass
class Replica:
    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@dataclass
class Cluster:
    """The bot's processes behind the load balancer's public URL."""

    harness: Harness
    replicas: list[Replica] = field(default_factory=list)

    async def start(self, count: int, **environment: str) -> list[Replica]:
        started = [await self._spawn(len(self.replicas) + n, environment) for n in range(count)]
        self.replicas += started
        self.route(self.replicas)
        return started

    def route(self, replicas: list[Replica]) -> None:
        self.harness.emulator.webhook_routes[PUBLIC_URL] = [r.address for r in replicas]

    async def _spawn(self, number: int, environment: dict[str, str]) -> Replica:
        port = free_port()
        log = self.harness.workdir / f"bot-{number}.log"
        env = {
            **self.harness.environment(),
            "WEBHOOK_URL": PUBLIC_URL,
            "WEBHOOK_SECRET": WEBHOOK_SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(port),
            # Flood control is the business of the test that sets the emulator's.
            "TELEGRAM_SENDS_PER_SECOND": "0" if self.harness.emulator.flood is None else "30",
            **environment,
        }
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                str(LAUNCHER),
                cwd=self.harness.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        replica = Replica(port, process, log)
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                if process.returncode is not None:
                    raise AssertionError(f"bot exited at start:\n{log.read_text()}")
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        return replica
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"bot never answered /healthz:\n{log.read_text()}")

    async def stop(self) -> None:
        for replica in self.replicas:
            if replica.process.returncode is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            await asyncio.wait_for(replica.process.wait(), timeout=30)

    async def kill(self, replica: Replica) -> None:
        replica.process.kill()
        await replica.process.wait()

    def logs(self) -> str:
        return "\n".join(r.log.read_text() for r in self.replicas if r.log.exists())


@pytest.fixture
async def cluster(
    emulator: BotApiEmulator, smtp_server: SmtpServer, tmp_path: Path
) -> AsyncIterator[Cluster]:
    """A PostgreSQL database, SMTP, and the bot's processes a test starts."""
    async with postgres_database() as url:
        harness = Harness(emulator, make_settings(emulator, url, smtp_server), tmp_path)
        cluster = Cluster(harness)
        yield cluster
        for replica in cluster.replicas:
            if replica.process.returncode is None:
                replica.process.kill()
                await replica.process.wait()


async def delivered(cluster: Cluster, sends: Awaitable[object], count: int = 1) -> None:
    """Make the sends and wait until Telegram has delivered `count` more updates (a 2xx)."""
    log = cluster.harness.emulator.webhooks[TOKEN].log
    before = sum(status == 200 for _, _, status in log)
    await sends
    await until(
        lambda: sum(status == 200 for _, _, status in log) >= before + count, "the deliveries", 60
    )


def email_of(number: int) -> str:
    return f"persona{number}@example.mx"


async def onboard(person: Person, mailbox: Mailbox, number: int) -> None:
    """Sign up, confirm, the company's data saved, SAT's test CSD stored."""
    await journeys.confirmed(person, mailbox, email_of(number), SAT_CSD_RFC)
    await journeys.company(person, save=True, razon_social=SAT_CSD_HOLDER)
    _, answer = await journeys.sat_csd(person)
    assert "guard" in (answer.text or "").lower(), answer.text
    await person.expect("lista para facturar")  # the last of the answer's messages


def transcript(person: Person, number: int) -> list[str]:
    """What the bot said, the person's own address and numbers that change written alike."""
    texts = [m.text or m.extra.get("caption") or "" for m in person.bot_messages()]
    return [re.sub(r"\d", "#", t.replace(email_of(number), "<email>")) for t in texts]


async def test_people_onboarding_across_processes_are_each_answered_and_mailed_once(
    cluster: Cluster, smtp: SmtpServer
) -> None:
    mailbox = smtp.mailbox
    await cluster.start(PROCESSES)
    first = cluster.harness.person(patience=60)
    await onboard(first, mailbox, 0)
    expected = transcript(first, 0)
    mails = len(mailbox.messages)

    people = [cluster.harness.person(patience=90) for _ in range(PEOPLE)]
    await asyncio.gather(*(onboard(person, mailbox, n) for n, person in enumerate(people, start=1)))
    for number, person in enumerate(people, start=1):
        assert transcript(person, number) == expected  # each reply once, in order
    await until(lambda: len(mailbox.messages) >= mails * (PEOPLE + 1), "every email", 60)
    to = Counter(str(m["To"]) for m in mailbox.messages)
    assert set(to.values()) == {mails}, to.most_common(3)  # each email once
    # The deliveries went to every process, and each did its share of the work.
    delivered = {a for a, _, _ in cluster.harness.emulator.webhooks[TOKEN].log}
    assert delivered == {r.address for r in cluster.replicas}
    await cluster.stop()
    assert "Traceback" not in cluster.logs()


async def test_a_process_killed_mid_flow_loses_nobodys_progress(
    cluster: Cluster, smtp: SmtpServer
) -> None:
    """Thirty people are in the middle of /registro when a process dies holding their
    passwords, which it had taken (Telegram was told they arrived) and not processed:
    the others take them over, and everyone finishes signing up and confirms on them."""
    mailbox = smtp.mailbox
    victim, *others = await cluster.start(3)
    people = [cluster.harness.person(patience=60) for _ in range(30)]
    await asyncio.gather(
        *(
            journeys.sign_up(p, email_of(n), SAT_CSD_RFC, until="password")
            for n, p in enumerate(people)
        )
    )
    # The chats are busy a moment (as with an update in hand elsewhere), so that the
    # process takes the passwords and has processed none when it dies.
    async with chats_held(cluster.harness.settings.database_url, *(p.chat.id for p in people)):
        cluster.route([victim])
        sends = asyncio.gather(*(p.send(journeys.PASSWORD) for p in people))
        await delivered(cluster, sends, len(people))
        await cluster.kill(victim)
        cluster.route(others)

    async def finish(person: Person, number: int) -> None:
        email = email_of(number)
        await journeys.sign_up(person, email, SAT_CSD_RFC, command=None, since="password_again")
        await person.send(code_from_email(await mailbox.next_to(email, timeout=60)))
        await person.expect("Felicidades")

    await asyncio.gather(*(finish(p, n) for n, p in enumerate(people)))
    await cluster.stop()


async def test_a_chats_update_left_by_a_dead_process_is_answered_before_its_next(
    cluster: Cluster, smtp: SmtpServer
) -> None:
    """One process took a person's message (Telegram was told it arrived) and died before
    answering it; the person's next message, at another process, is answered after it,
    each at its step."""
    a, b = await cluster.start(2)
    ana = cluster.harness.person()
    await journeys.sign_up(ana, "ana@example.mx", until="email")
    # Someone holds Ana's chat (an update in hand elsewhere): process A stores her email
    # and waits for the chat.
    async with chats_held(cluster.harness.settings.database_url, ana.chat.id):
        cluster.route([a])
        await delivered(cluster, ana.send("ana@example.mx"))
        await cluster.kill(a)
    cluster.route([b])
    await ana.send(journeys.RFC_FISICA)
    # The email first (the RFC is asked), then the RFC (the password is asked).
    asked = [(await ana.reply()).text or "" for _ in range(2)]
    assert [shown("es", "signup.ask-rfc")[:40], shown("es", "signup.ask-password")[:40]] == [
        text[:40] for text in asked
    ]
    await cluster.stop()


async def test_a_process_stopped_hands_what_it_took_to_the_others_at_once(
    cluster: Cluster, smtp: SmtpServer
) -> None:
    """A rolling deploy stops an old process while it holds a person's message it has not
    processed: another process answers it at once, not after a dead process's time-out."""
    a, b = await cluster.start(2, QUICK_BOT_DEAD_AFTER="120")
    ana = cluster.harness.person(patience=15)
    await journeys.sign_up(ana, "ana@example.mx", until="email")
    async with chats_held(cluster.harness.settings.database_url, ana.chat.id):
        cluster.route([a])
        await delivered(cluster, ana.send("ana@example.mx"))
        cluster.route([b])
        a.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(a.process.wait(), timeout=30) == 0
    await ana.expect(shown("es", "signup.ask-rfc")[:40])
    await cluster.stop()


async def test_together_the_processes_keep_to_telegrams_limit(
    cluster: Cluster, smtp: SmtpServer
) -> None:
    """Under Telegram's 30 sends a second, two processes are refused no more often than
    one: they share the limit rather than each take all of it."""
    emulator = cluster.harness.emulator

    async def crowd() -> int:
        before = emulator.too_many_requests
        people = [cluster.harness.person(patience=60) for _ in range(20)]
        await asyncio.gather(*(p.send("/registro") for p in people))
        await asyncio.gather(*(p.expect("correo electrónico") for p in people))
        return emulator.too_many_requests - before

    emulator.flood = FloodControl(FloodLimits(overall=30))
    one = await cluster.start(1)
    alone = await crowd()
    await cluster.start(1)
    await until(lambda: "2 processes serve the bot" in one[0].log.read_text(), "the first to share")
    together = await crowd()
    assert together <= alone
    await cluster.stop()
