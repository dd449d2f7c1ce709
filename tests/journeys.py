"""A person's way through each flow, written once and driven by data.

A test says only what differs from the usual walk and the walk does the rest:

    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    summary = await journeys.company(ana, razon_social="Comercial Ana", colonia="Juárez")

The company form is a table (`COMPANY`): each row is one question, the words by which the
person recognises it and the answer they give. Adding a question to the form adds a row
here and nothing else; the benchmark (`bench/scenario.py`) walks the same table.

An answer is what a person does: `Press("Omitir")` taps a button whose text contains
those words, `Type("06600")` writes a message, and a plain string does what a person would
do with it: taps the button of that name when the question has one, else writes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.message import EmailMessage
from typing import Literal

from emulator import Person
from emulator.world import Message
from tests.conftest import Mailbox
from tests.factories import (
    CATALOG,
    PASSWORD,
    RFC_FISICA,
    answer_part,
    code_from_email,
    expect_text,
    label,
    shown,
    text_part,
)
from tests.sat_certs import SAT_CSD_RFC, SAT_PASSWORD, sat_file


@dataclass(frozen=True, slots=True)
class Press:
    label: str


@dataclass(frozen=True, slots=True)
class Type:
    text: str


Answer = Press | Type | str


@dataclass(frozen=True, slots=True)
class Question:
    """One question of a form: its name (what a test overrides, what the benchmark
    reports), words of the question as the person reads it, and the usual answer."""

    name: str
    asks: str
    answer: Answer


async def answer(person: Person, question: Message, given: Answer) -> Message | str:
    """Give `given` to `question` as a person would; the message written or the query id."""
    if isinstance(given, Press):
        return await person.press(given.label, message=question)
    if isinstance(given, Type):
        return await person.send(given.text)
    if any(given.casefold() == text.casefold() for text in question.button_texts()):
        return await person.press(given, message=question)
    return await person.send(given)


async def walk(
    person: Person,
    questions: list[Question],
    answers: Mapping[str, Answer | None],
    *,
    since: str | None = None,
    until: str | None = None,
) -> Message | None:
    """Answer each question in turn, from the one named `since` (default: the first), with
    `answers[name]` where given (None: that question is not asked on this way). With
    `until`, stop when that question is asked and return it, unanswered; else return None
    after the last answer."""
    names = [q.name for q in questions]
    unknown = (set(answers) | {since, until}) - set(names) - {None}
    assert not unknown, f"no such question: {sorted(unknown)}"  # type: ignore[type-var]
    for question in questions[names.index(since) if since else 0 :]:
        given = answers.get(question.name, question.answer)
        if given is None:
            continue
        asked = await person.expect(question.asks)
        if question.name == until:
            return asked
        await answer(person, asked, given)
    assert until is None, f"{until!r} was never asked"
    return None


# Sign-up, confirmation, sign-in


def first_line(language: str, key: str) -> str:
    """A text's first line as the catalog writes it (before any value is put in)."""
    return CATALOG.languages[language][key].split("\n")[0]


def sign_up_questions(
    email: str, rfc: str, password: str, repeat: str, language: str = "es"
) -> list[Question]:
    """/registro's questions in `language`, each recognised by its catalog text."""

    def asks(key: str) -> str:
        return shown(language, key)[:40]

    return [
        Question("email", asks("signup.ask-email"), Type(email)),
        Question("rfc", asks("signup.ask-rfc"), Type(rfc)),
        Question("password", asks("signup.ask-password"), Type(password)),
        Question("password_again", asks("signup.ask-password-again"), Type(repeat)),
    ]


async def sign_up(
    person: Person,
    email: str,
    rfc: str = RFC_FISICA,
    password: str = PASSWORD,
    *,
    repeat: str | None = None,
    create: bool = True,
    language: str = "es",
    command: str | None = "/registro",
    since: str | None = None,
    until: str | None = None,
) -> Message:
    """/registro as a person types it, in `language` (Telegram's, "es" or "en"): up to
    the bot's «creada con éxito» (returned), or with `create=False` up to the summary.
    With `until` (email, rfc, password, password_again), up to that question (returned,
    unanswered); with `command=None` the sign-up is under way: the walk begins at the
    question named `since` (default: the first)."""
    if command is not None:
        await person.send(command)
    questions = sign_up_questions(
        email, rfc, password, password if repeat is None else repeat, language
    )
    asked = await walk(person, questions, {}, since=since, until=until)
    if asked is not None:
        return asked
    summary = await person.expect(first_line(language, "signup.summary"))
    if not create:
        return summary
    await person.press(label(language, "signup.button-create"), message=summary)
    return await expect_text(person, language, "signup.created")


async def mail_after(mailbox: Mailbox, before: int) -> list[EmailMessage]:
    """The emails received after the first `before`, once there is at least one."""
    return (await mailbox.wait(before + 1))[before:]


async def confirmed(
    person: Person, mailbox: Mailbox, email: str, rfc: str = RFC_FISICA, *, language: str = "es"
) -> Message:
    """Sign up and confirm with the emailed code; the chat ends up signed in. Returns
    the «Felicidades» message (with its next-step buttons)."""
    before = len(mailbox.messages)
    await sign_up(person, email, rfc, language=language)
    mailed = await mailbox.next_to(email, after=before)
    await person.send(code_from_email(mailed))
    return await expect_text(person, language, "confirm.confirmed")


async def sign_in(person: Person, email: str, password: str = PASSWORD) -> Message:
    """/entrar with the given credentials; returns the bot's verdict."""
    await person.send("/entrar")
    await person.expect("correo electrónico")
    await person.send(email)
    await person.expect("contraseña")
    await person.send(password)
    return await person.reply()


async def sign_in_asks_password(person: Person, email: str) -> Message:
    """/entrar up to the question for the password, left unanswered; the address sent."""
    await person.send("/entrar")
    await person.expect("correo electrónico")
    typed = await person.send(email)
    await person.expect("contraseña")
    return typed


async def two_chats(
    first: Person, second: Person, mailbox: Mailbox, email: str, rfc: str = RFC_FISICA
) -> None:
    """One account open in two chats: `first` signs up and confirms, `second` (a laptop)
    signs in."""
    await confirmed(first, mailbox, email, rfc)
    verdict = await sign_in(second, email)
    assert "entraste" in verdict.text, verdict.text


# The company form (/empresa)

Persona = Literal["moral", "fisica"]

COMPANY: list[Question] = [
    Question("start", "datos fiscales de tu empresa", Press("Capturar datos")),
    Question("razon_social", "razón social", "Empresa Patito, S.A. de C.V."),
    Question("capital", "sin el régimen capital", Press("Sí, sin el régimen capital")),
    Question("regimen", "régimen fiscal", Press("601 ·")),
    Question("codigo_postal", "código postal", "06600"),
    Question("place", "¿Es correcto?", Press("Sí, es correcto")),
    Question("calle", "calle", "Av. Insurgentes Sur"),
    Question("numero_exterior", "número exterior", "123"),
    Question("numero_interior", "número interior", Press("Omitir")),
    Question("colonia", "colonia", Press("Juárez")),
    Question("telefono", "teléfono", "55 1234-5678"),
    Question("correo", "correo de contacto", Press("Usar ")),
    Question("lugar", "lugar de expedición", Press("Desde mi domicilio fiscal")),
]

# A persona física is asked her name, with no régimen capital, and has other régimenes.
_FISICA = {
    "razon_social": Question("razon_social", "tu nombre completo", "Ana Pérez Gómez"),
    "regimen": Question("regimen", "régimen fiscal", Press("612 ·")),
}
COMPANY_FISICA: list[Question] = [_FISICA.get(q.name, q) for q in COMPANY if q.name != "capital"]


def company_questions(persona: Persona = "moral") -> list[Question]:
    return COMPANY if persona == "moral" else COMPANY_FISICA


async def company(
    person: Person,
    persona: Persona = "moral",
    *,
    command: str | None = "/empresa",
    since: str | None = None,
    until: str | None = None,
    save: bool = False,
    **answers: Answer | None,
) -> Message:
    """The company form from `command` to its summary (returned), or with `until` to that
    question (returned, unanswered); with `save`, «Guardar» pressed and the bot's
    «guardados» returned. With `command=None` the form is already under way: the walk
    begins at the question named `since` (default: the first)."""
    if command is not None:
        await person.send(command)
    questions = company_questions(persona)
    asked = await walk(person, questions, answers, since=since, until=until)
    if asked is not None:
        return asked
    summary = await person.expect("Revisa los datos de tu empresa")
    if not save:
        return summary
    await person.press("Guardar", message=summary)
    return await person.expect("guardados")


async def stored_company(person: Person) -> Message:
    """/empresa with the company saved: its data «que tenemos guardados», a button a field."""
    await person.send("/empresa")
    return await person.expect("tenemos guardados")


async def change_field(
    person: Person, field: str, value: str, message: Message | None = None
) -> Message:
    """The button of `field` («Teléfono») pressed on `message` (default: the latest) and
    `value` given to its question; returns the summary, unsaved."""
    await person.press(field, message)
    await person.expect(field)
    await person.send(value)
    return await person.expect("Revisa los datos de tu empresa")


async def change_company(person: Person, field: str, value: str) -> Message:
    """/empresa with the company saved and `field` changed to `value`: the summary, unsaved."""
    return await change_field(person, field, value, await stored_company(person))


def with_answers(questions: list[Question], **answers: Answer) -> list[Question]:
    """The table with some usual answers changed (for the benchmark's people)."""
    return [replace(q, answer=answers.get(q.name, q.answer)) for q in questions]


# The Constancia de Situación Fiscal: its PDF fills the company form


async def constancia(
    person: Person,
    pdf: bytes,
    *,
    start: str | None = "/constancia",
    name: str = "Constancia.pdf",
    language: str = "es",
) -> Message:
    """`start` (a command, or the words of a button on the bot's latest message; None: the
    PDF is awaited already, or is sent outside any flow) and the Constancia's PDF sent;
    returns the bot's «Leí tu Constancia»."""
    if start is not None:
        await (person.send(start) if start.startswith("/") else person.press(start))
        await expect_text(person, language, "company.csf.ask")
    await person.send_document(name, pdf)
    return await expect_text(person, language, "company.csf.read", id_cif="", issued="", notes="")


# /cuenta


async def open_account(person: Person) -> Message:
    await person.send("/cuenta")
    return await person.expect("Tu cuenta")


async def type_password(person: Person, button: str, password: str = PASSWORD) -> Message:
    """Press a button of /cuenta that asks the password, and type it; the message sent."""
    await person.press(button)
    await person.expect("contraseña")
    return await person.send(password)


async def new_password_asked(person: Person) -> Message:
    """From /cuenta, the current password typed, up to the question of the new one."""
    await open_account(person)
    await type_password(person, "Cambiar contraseña")
    return await person.expect("contraseña nueva")


async def request_change(person: Person, new_email: str) -> Message:
    """From /cuenta to the answer after the new address."""
    await open_account(person)
    typed = await type_password(person, "Cambiar correo")
    await person.expect("correo electrónico nuevo")
    assert typed.deleted
    await person.send(new_email)
    return await person.expect("Te enviamos un código")


# The code of a reset or of a change of address, as its email shows it.
ONE_TIME_CODE = re.compile(r"Código: ([A-Z2-9]{4}-[A-Z2-9]{4})")


def one_time_code(message: EmailMessage) -> str:
    match = ONE_TIME_CODE.search(text_part(message))
    assert match, text_part(message)
    return match.group(1)


async def change_code_asked(person: Person, mailbox: Mailbox, new_email: str) -> str:
    """/cuenta's change up to the question for the code, left unanswered; the code mailed."""
    before = len(mailbox.messages)
    await request_change(person, new_email)
    code = one_time_code(await mailbox.next_to(new_email, after=before))
    await person.expect("código")
    return code


async def change_email(person: Person, mailbox: Mailbox, new_email: str) -> Message:
    """The whole change of address; returns the bot's «ahora es» answer."""
    before = len(mailbox.messages)
    await request_change(person, new_email)
    mailed = await mailbox.next_to(new_email, after=before)
    await person.send(one_time_code(mailed))
    return await person.expect("ahora es")


async def delete_account(
    person: Person, word: str = "ELIMINAR", *, password: str = PASSWORD
) -> Message:
    """/cuenta's deletion, confirmed with `word`; returns the bot's answer to it."""
    await ask_deletion(person, password)
    await person.send(word)
    return await person.reply()


async def ask_deletion(person: Person, password: str = PASSWORD) -> Message:
    """/cuenta's deletion up to the question for the word (returned), unanswered."""
    await open_account(person)
    await type_password(person, "Eliminar mi cuenta", password)
    await person.expect("Eliminar tu cuenta")
    await person.press("Sí, eliminar mi cuenta")
    return await person.expect("escribe la palabra")


# Recovery (/recuperar), behind the human check


def target_of(challenge: Message) -> str:
    """What the human check asks to tap («toca el 🐢 (tortuga)»)."""
    match = re.search(r"toca (?:el|la) (\S+) \(", answer_part(challenge))
    assert match, challenge.text
    return match.group(1)


async def pass_check(person: Person) -> None:
    challenge = await person.expect("toca")
    await person.press(target_of(challenge), message=challenge)
    await person.expect("correo electrónico")


async def wrong_tap(person: Person, challenge: Message | None = None) -> Message:
    challenge = challenge or await person.expect("toca")
    wrong = next(
        b for b in challenge.button_texts() if b != target_of(challenge) and "Otro" not in b
    )
    await person.press(wrong, message=challenge)
    return challenge


async def request_reset(person: Person, email: str) -> Message:
    """/recuperar, the human check passed, the address typed; the bot's answer."""
    await person.send("/recuperar")
    await pass_check(person)
    await person.send(email)
    return await person.expect("Si el correo")


async def mailed_one_time_code(mailbox: Mailbox, count: int) -> str:
    """The code in the `count`-th email, once it has come (a reset's, a change's)."""
    return one_time_code((await mailbox.wait(count))[count - 1])


async def reset_password_asked(person: Person, mailbox: Mailbox, email: str) -> Message:
    """The recovery with the mailed code, up to the question of the new password."""
    before = len(mailbox.messages)
    await request_reset(person, email)
    mailed = await mailbox.next_to(email, after=before)
    await person.send(one_time_code(mailed))
    return await person.expect("contraseña nueva")


async def reset_password(
    person: Person, mailbox: Mailbox, email: str, new_password: str
) -> Message:
    """The whole recovery with the mailed code; returns the bot's last answer."""
    await reset_password_asked(person, mailbox, email)
    return await type_twice(person, new_password)


async def type_twice(person: Person, new_password: str, repeat: str | None = None) -> Message:
    """A new password asked (recovery, /cuenta): typed, then `repeat` (default: the same)
    when asked again; the bot's answer."""
    await person.send(new_password)
    await person.expect("otra vez")
    await person.send(new_password if repeat is None else repeat)
    return await person.reply()


# The CSD (/csd)


async def csd_files(person: Person, cer: bytes, key: bytes) -> None:
    """/csd and both files, up to the question that follows them."""
    await person.send("/csd")
    await person.expect("Envíame como archivos")
    await person.send_document("CSD_EKU.cer", cer)
    await person.expect("Recibí el certificado")
    await person.send_document("CSD_EKU.key", key)


async def csd(person: Person, cer: bytes, key: bytes, password: str) -> tuple[Message, Message]:
    """The whole CSD: files, then the password; returns (password message, bot's answer)."""
    await csd_files(person, cer, key)
    await person.expect("contraseña de tu clave privada")
    typed = await person.send(password)
    return typed, await person.reply()


async def open_csd(person: Person) -> Message:
    """/csd with no CSD stored: the question that asks for both files."""
    await person.send("/csd")
    return await person.expect("Envíame como archivos")


async def sat_csd_account(
    person: Person, mailbox: Mailbox, email: str = "kemper@example.mx"
) -> Message:
    """A confirmed account with the RFC of SAT's test CSD; the chat stays signed in."""
    return await confirmed(person, mailbox, email, SAT_CSD_RFC)


async def sat_csd(person: Person, password: str = SAT_PASSWORD) -> tuple[Message, Message]:
    """`csd` with SAT's test CSD (tests/sat_certs.py): (password message, bot's answer)."""
    return await csd(person, sat_file("eku_csd.cer"), sat_file("eku_csd.key"), password)


async def sat_certificate_sent(person: Person, mailbox: Mailbox) -> Message:
    """`sat_csd_account`, /csd and SAT's test certificate alone: the question for the key
    (returned), unanswered."""
    await sat_csd_account(person, mailbox)
    await open_csd(person)
    await person.send_document("CSD.cer", sat_file("eku_csd.cer"))
    return await person.expect("clave privada (.key)")


async def csd_replacement(person: Person, cer: bytes, key: bytes) -> Message:
    """/csd with one stored, «Reemplazar» and the new files: the question «¿Lo reemplazo?»."""
    await person.send("/csd")
    await person.press("Reemplazar", await person.expect("Este es tu"))
    await person.send_document("nuevo.cer", cer)
    await person.send_document("nuevo.key", key)
    return await person.expect("¿Lo reemplazo")


async def sat_csd_files(person: Person) -> Message:
    """/csd and SAT's test files, up to the question of the key's password (returned)."""
    await csd_files(person, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    return await person.expect("contraseña de tu clave privada")


# Support (/soporte)


# /soporte's command, its button for writing the problem and words of its question.
SUPPORT = {
    "es": ("/soporte", "Escribir mi problema aquí", "en un solo mensaje"),
    "en": ("/support", "Write my problem here", "in one message"),
}


async def problem_asked(
    person: Person, *, asked: str | None = None, contact: str | None = None, language: str = "es"
) -> Message:
    """/soporte (in `language`), its first answer showing `contact` if given, and «Escribir mi
    problema aquí»: the question for the problem (recognised by `asked`), unanswered."""
    command, button, question = SUPPORT[language]
    await person.send(command)
    if contact is not None:
        await person.expect(contact)
    await person.press(button)
    return await person.expect(asked or question)


async def write_problem(person: Person, problem: str, *, asked: str | None = None) -> Message:
    """/soporte, «Escribir mi problema aquí» (its question recognised by `asked`) and the
    problem typed; returns the bot's «Recibimos tu mensaje»."""
    await problem_asked(person, asked=asked)
    await person.send(problem)
    return await person.expect("Recibimos tu mensaje")
