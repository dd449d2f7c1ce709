"""Local mode: the emulator on loopback, the real bot polling it, and a chat in the
terminal. Buttons are shown numbered; type the number (or the button's text) to press."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import textwrap
import threading
from email.message import EmailMessage
from pathlib import Path

from pydantic import SecretStr

from bot.runtime import BotRuntime
from bot.settings import DEFAULT_DATABASE_URL, Settings
from emulator import BotApiEmulator, Person
from emulator.world import Message
from mail.transports import FileTransport
from storage.crypto import new_key

LOCAL_TOKEN = "0:local-mode"
LOCAL_USER_ID = 424242  # fixed, so that a second start resumes the same chat
# Typed in the terminal, sends a file as a document (Telegram's 📎), e.g. a CSD's .cer.
FILE_COMMANDS = frozenset({"/archivo", "/file"})
MAX_READ_BYTES = 1024 * 1024  # a bigger file is announced by its size only

logger = logging.getLogger(__name__)


def _print(text: str = "") -> None:
    print(text, flush=True)


class TerminalChat:
    def __init__(self, person: Person) -> None:
        self.person = person
        self.buttons: list[tuple[Message, str]] = []
        self.shown: dict[int, str | None] = {}

    def show(self, message: Message, event: str) -> None:
        if message.chat.id != self.person.chat.id:
            return
        if event == "deleted":
            whose = "del bot" if message.from_bot else "tuyo"
            _print(f"   🗑  (el bot borró un mensaje {whose})")
            return
        if not message.from_bot:
            return
        if event == "edited" and self.shown.get(message.message_id) == message.text:
            return  # only its buttons went away
        self.shown[message.message_id] = message.text
        label = "bot (editado)" if event == "edited" else "bot"
        body = message.text or message.extra.get("caption") or "[archivo]"
        _print(f"╭─ {label}")
        for line in body.splitlines() or [""]:
            for piece in textwrap.wrap(line, 76) or [""]:
                _print(f"│ {piece}")
        if message.buttons:
            self.buttons = [(message, text) for text in message.button_texts()]
            for number, (_, text) in enumerate(self.buttons, 1):
                _print(f"│  [{number}] {text}")
        _print("╰─")

    async def handle(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        command, _, argument = text.partition(" ")
        if command in FILE_COMMANDS:
            await self.send_file(argument.strip())
            return
        button = self._button_for(text)
        if button is not None:
            await self.person.press(button[1], message=button[0])
        else:
            await self.person.send(text)

    async def send_file(self, argument: str) -> None:
        """`/archivo <ruta>`: the file sent as a Telegram document (a CSD's .cer and .key);
        one too big to be anything the bot wants is announced by its size, unread."""
        found = await asyncio.to_thread(_read_file, argument)
        if found is None:
            _print(f"   (no encuentro el archivo {argument!r}; escribe /archivo <ruta>)")
            return
        name, data, size = found
        await self.person.send_document(name, data, size=None if data else size)
        _print(f"   📎 (enviaste el archivo {name}, {size:,} bytes)")

    def _button_for(self, text: str) -> tuple[Message, str] | None:
        live = [(m, t) for m, t in self.buttons if not m.deleted and t in m.button_texts()]
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            chosen = self.buttons[int(text) - 1]
            return chosen if chosen in live else None
        for message, button_text in live:
            if button_text.casefold() == text.casefold():
                return message, button_text
        return None


def _read_file(argument: str) -> tuple[str, bytes | None, int] | None:
    """A file's name, bytes (None when too big to read) and size; None if there is none."""
    path = Path(argument.strip("'\"")).expanduser()
    if not argument or not path.is_file():
        return None
    size = path.stat().st_size
    return path.name, path.read_bytes() if size <= MAX_READ_BYTES else None, size


def print_email(message: EmailMessage) -> None:
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    _print("┌── ✉️  correo enviado ───────────────────────────────")
    _print(f"│ Para: {message['To']}")
    _print(f"│ Asunto: {message['Subject']}")
    for line in text.splitlines():
        _print(f"│ {line}")
    _print("└────────────────────────────────────────────────────")


async def settle(person: Person, quiet: float = 0.5, limit: float = 15) -> None:
    """Wait until the bot has taken every update and said nothing for `quiet` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    seen = -1
    while loop.time() < deadline:
        count = len(person.chat.messages)
        if count == seen and not person.bot.updates:
            return
        seen = count
        await asyncio.sleep(quiet)


def _read_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    for line in sys.stdin:
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


LOCAL_KEY_FILE = Path("var/data-encryption.key")
# Local mode's SUPPORT_CONTACT when none is set: an address, so that a problem written with
# /soporte is mailed to it and lands in var/outbox, where it can be read.
LOCAL_SUPPORT_CONTACT = "soporte@localhost"


def local_key(path: Path = LOCAL_KEY_FILE) -> SecretStr:
    """Local mode's DATA_ENCRYPTION_KEY: made once, kept readable by its owner only."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(new_key() + "\n")
    return SecretStr(path.read_text().strip())


async def run_local(settings: Settings) -> int:
    # Its own data, whatever .env says: a production DATABASE_URL or SMTP_HOST must not
    # receive a terminal's trials.
    local = settings.model_copy(
        update={
            "webhook_url": None,
            "database_url": DEFAULT_DATABASE_URL,
            "smtp_host": None,
            "mail_outbox_dir": Path("./var/outbox"),
            "data_encryption_key": local_key(),
            "support_contact": settings.support_contact or LOCAL_SUPPORT_CONTACT,
        }
    )
    emulator = BotApiEmulator()
    await emulator.start()
    local = local.model_copy(
        update={
            "telegram_api_base_url": emulator.base_url,
            "telegram_api_file_url": emulator.file_url,
        }
    )
    # SIGTERM ends the session as Ctrl-D does: the chat's step saved, "Cerrando…", exit 0.
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, queue.put_nowait, None)
    runtime = BotRuntime(local, token=LOCAL_TOKEN)
    name = os.environ.get("USER", "").capitalize() or "Persona"
    person = Person(emulator, LOCAL_TOKEN, first_name=name, user_id=LOCAL_USER_ID)
    chat = TerminalChat(person)
    emulator.message_listeners.append(chat.show)
    runtime.delivery.listeners.append(print_email)
    try:
        await runtime.start()
    except BaseException:
        await emulator.stop()
        raise
    transport = runtime.delivery.transport
    where = (
        f"se guardan en {transport.directory.resolve()}"
        if isinstance(transport, FileTransport)
        else f"salen por {transport.describe()}"
    )
    _print(f"Modo local: el bot corre contra un Telegram simulado. Los correos {where}.")
    _print(
        "Escribe como en Telegram (/start para empezar); /archivo <ruta> envía un archivo."
        " Ctrl-D o Ctrl-C para salir.\n"
    )
    threading.Thread(
        target=_read_lines, args=(asyncio.get_running_loop(), queue), daemon=True
    ).start()
    scripted = not sys.stdin.isatty()
    try:
        while (line := await queue.get()) is not None:
            await chat.handle(line)
            if scripted:  # piped input: let the bot answer before the next line
                await settle(person)
        await settle(person)
    except asyncio.CancelledError:
        pass
    finally:
        _print("\nCerrando…")
        await runtime.stop()
        await emulator.stop()
    return 0
