"""What each simulated person does, and the time from each message to the first reply."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Protocol

from emulator import Person
from emulator.world import Message
from tests import journeys

PASSWORD = "tres tristes tigres tragan trigo"
# The code as the email shows it: five groups of 8 (pasted with its spaces, it works).
COMPANY_SUMMARY = "Revisa los datos de tu empresa"
CODE = re.compile(r"(?:Código de confirmación|Confirmation code): ([0-9a-f]{8}(?: [0-9a-f]{8}){4})")


@dataclass
class Sample:
    at: float  # seconds since the run began
    latency: float
    step: str
    hashes: bool = False


@dataclass
class Run:
    began: float
    pause: float  # the mean of pauses drawn from 0 to twice it (0: none)
    samples: list[Sample] = field(default_factory=list)
    finished: int = 0
    # Pauses drawn from this range instead (the realistic mode: people type), in seconds.
    pauses: tuple[float, float] | None = None
    # Where each chat (its id) is in its journey, set before each step's message: the
    # requests the bot makes in that chat are counted for that step (bench.processes.Tally).
    steps: dict[int, str] | None = None

    async def think(self) -> None:
        """A person's pause before their next message."""
        if self.pauses:
            await asyncio.sleep(random.uniform(*self.pauses))
        elif self.pause:
            await asyncio.sleep(random.uniform(0, 2 * self.pause))


class Inbox(Protocol):
    async def for_address(self, address: str) -> str: ...


async def act(
    run: Run,
    person: Person,
    step: str,
    action: Awaitable[object],
    expect: str | None,
    hashes: bool = False,
) -> Message:
    """Do one thing as the person, time the first reply, then wait for `expect`; the reply
    that says it (the first one without `expect`)."""
    await run.think()
    if run.steps is not None:
        run.steps[person.user.id] = step
    loop = asyncio.get_running_loop()
    started = loop.time()
    await action
    first = await person.reply(timeout=120)
    run.samples.append(Sample(started - run.began, loop.time() - started, step, hashes))
    if expect and expect.casefold() not in (first.text or "").casefold():
        return await person.expect(expect, timeout=120)
    return first


async def onboard(run: Run, person: Person, number: int, mailbox: Inbox) -> None:
    """Sign-up, confirmation with the emailed code, and the company form."""
    email = f"persona{number}@example.mx"
    steps = [
        ("/registro", lambda: person.send("/registro"), "correo electrónico", False),
        ("email", lambda: person.send(email), "RFC", False),
        ("rfc", lambda: person.send("MAB9307148T4"), "Elige una contraseña", False),
        ("password", lambda: person.send(PASSWORD), "otra vez", True),
        ("password again", lambda: person.send(PASSWORD), "Revisa tus datos", True),
        ("create", lambda: person.press("Crear cuenta"), "creada con éxito", False),
    ]
    for step, action, expect, hashes in steps:
        await act(run, person, step, action(), expect, hashes)
    message = await mailbox.for_address(email)
    found = CODE.search(message)
    assert found is not None, f"no confirmation code in {message!r}"
    code = found.group(1)
    await act(run, person, "code", person.send(code), "Felicidades")
    # The company form as the tests walk it (tests/journeys.py), each person's razón social
    # their own; a step is named for its question.
    questions = journeys.with_answers(
        journeys.COMPANY, razon_social=f"Comercial {number}, S.A. de C.V."
    )
    asked = await act(run, person, "/empresa", person.send("/empresa"), questions[0].asks)
    for question, following in zip(questions, [*questions[1:], None], strict=True):
        expect = following.asks if following else COMPANY_SUMMARY
        action = journeys.answer(person, asked, question.answer)
        asked = await act(run, person, question.name, action, expect)
    await act(run, person, "save", person.press("Guardar", message=asked), "guardados")
    run.finished += 1


SIGN_UP_STEPS = 7  # /registro, four answers, «Crear cuenta», the code
# As many updates as a person sends the bot: sign-up, /empresa, the form, «Guardar».
ECHO_STEPS = SIGN_UP_STEPS + 1 + len(journeys.COMPANY) + 1


async def echo(run: Run, person: Person, number: int) -> None:
    for step in range(ECHO_STEPS):
        await act(run, person, f"echo {step}", person.send(f"hola {number} {step}"), None)
    run.finished += 1
