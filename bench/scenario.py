"""What each simulated person does, and the time from each message to the first reply."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Protocol

from emulator import Person

PASSWORD = "tres tristes tigres tragan trigo"
# The code as the email shows it: five groups of 8 (pasted with its spaces, it works).
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
    pause: float
    samples: list[Sample] = field(default_factory=list)
    finished: int = 0


class Inbox(Protocol):
    async def for_address(self, address: str) -> str: ...


async def act(
    run: Run,
    person: Person,
    step: str,
    action: Awaitable[object],
    expect: str | None,
    hashes: bool = False,
) -> None:
    """Do one thing as the person, time the first reply, then wait for `expect`."""
    if run.pause:
        await asyncio.sleep(random.uniform(0, 2 * run.pause))
    loop = asyncio.get_running_loop()
    started = loop.time()
    await action
    first = await person.reply(timeout=120)
    run.samples.append(Sample(started - run.began, loop.time() - started, step, hashes))
    if expect and expect.casefold() not in (first.text or "").casefold():
        await person.expect(expect, timeout=120)


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
    company = [
        ("/empresa", lambda: person.send("/empresa"), "datos fiscales"),
        ("start form", lambda: person.press("Capturar datos"), "razón social"),
        ("razón social", lambda: person.send(f"Comercial {number}"), "régimen"),
        ("régimen", lambda: person.press("601 ·"), "código postal"),
        ("postal code", lambda: person.send("06600"), "¿Es correcto?"),
        ("place", lambda: person.press("Sí, es correcto"), "calle"),
        ("street", lambda: person.send("Insurgentes Sur"), "número exterior"),
        ("number", lambda: person.send("123"), "número interior"),
        ("interior", lambda: person.press("Omitir"), "colonia"),
        ("colonia", lambda: person.press("Juárez"), "teléfono"),
        ("phone", lambda: person.send("5512345678"), "correo de contacto"),
        ("contact", lambda: person.press("Usar"), "lugar de expedición"),
        ("lugar", lambda: person.press("Desde mi domicilio fiscal"), "Revisa los datos"),
        ("save", lambda: person.press("Guardar"), "guardados"),
    ]
    for step, action, expect in company:
        await act(run, person, step, action(), expect)
    run.finished += 1


ECHO_STEPS = 21  # as many updates as a person sends the bot


async def echo(run: Run, person: Person, number: int) -> None:
    for step in range(ECHO_STEPS):
        await act(run, person, f"echo {step}", person.send(f"hola {number} {step}"), None)
    run.finished += 1
