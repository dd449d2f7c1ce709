"""Local mode as a person uses it: `python main.py` without a token, typing in a pipe."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

from tests.csf_pdfs import CsfSpec, csf_pdf
from tests.factories import GROUPED_CODE, PASSWORD, RFC_FISICA, RFC_MORAL

ROOT = Path(__file__).resolve().parents[2]


class Terminal:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.screen = ""

    async def until(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (match := re.search(pattern, self.screen)) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(f"{pattern!r} never appeared in:\n{self.screen[-3000:]}")
            try:
                chunk = await asyncio.wait_for(self.process.stdout.read(4096), remaining)
            except TimeoutError:
                continue
            if not chunk:
                raise AssertionError(f"local mode ended before {pattern!r}:\n{self.screen}")
            self.screen += chunk.decode()
        self.screen = self.screen[match.end() :]
        return match

    async def type(self, line: str) -> None:
        self.process.stdin.write(f"{line}\n".encode())
        await self.process.stdin.drain()

    async def close(self) -> int:
        self.process.stdin.close()
        rest, _ = await asyncio.wait_for(self.process.communicate(), 60)
        self.screen += rest.decode()
        return self.process.returncode


async def start(workdir: Path) -> Terminal:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "SMTP_"))}
    env.pop("DATABASE_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "main.py"),
        cwd=workdir,
        env={**env, "USER": "ana"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    terminal = Terminal(process)
    await terminal.until("Modo local")
    await terminal.until(r"Los correos se guardan en .*outbox")
    return terminal


async def test_sign_up_and_confirm_in_local_mode_across_two_starts(tmp_path: Path) -> None:
    first = await start(tmp_path)
    await first.type("/start")
    await first.until(r"\[1\] 📝 Crear cuenta")
    await first.type("1")
    await first.until("correo electrónico")
    await first.type("ana@example.mx")
    await first.until("RFC")
    assert await first.close() == 0
    assert "Cerrando" in first.screen

    second = await start(tmp_path)  # resumes at the RFC question
    await second.type(RFC_FISICA)
    await second.until("Elige una contraseña")
    await second.type(PASSWORD)
    await second.until("el bot borró un mensaje tuyo")
    await second.type(PASSWORD)
    await second.until("Revisa tus datos")
    await second.type("✅ Crear cuenta")  # a button pressed by its text
    await second.until("creada con éxito")
    code = (await second.until(rf"Código de confirmación: ({GROUPED_CODE})")).group(1)
    await second.type(f"mi código es {code}")
    await second.until("Felicidades, tu cuenta ha sido confirmada")
    assert await second.close() == 0
    assert PASSWORD not in second.screen
    var = tmp_path / "var"
    [eml] = list((var / "outbox").glob("*.eml"))
    # Everything the bot made is its owner's alone (mail and the database hold codes).
    made = [eml, var / "bot.sqlite3", var / "local.log", var / "data-encryption.key"]
    assert {file.name: mode(file) for file in made} == {file.name: 0o600 for file in made}
    assert {mode(var), mode(var / "outbox")} == {0o700}


SAT = ROOT / "tests" / "data" / "sat"


async def confirmed(workdir: Path, rfc: str) -> Terminal:
    """Local mode started, an account of `rfc` signed up and confirmed from the terminal."""
    terminal = await start(workdir)
    await terminal.type("/registro")
    await terminal.until("correo electrónico")
    await terminal.type("kemper@example.mx")
    await terminal.until("RFC")
    await terminal.type(rfc)
    await terminal.until("Elige una contraseña")
    await terminal.type(PASSWORD)
    await terminal.until("el bot borró un mensaje tuyo")
    await terminal.type(PASSWORD)
    await terminal.until("Revisa tus datos")
    await terminal.type("✅ Crear cuenta")
    code = (await terminal.until(rf"Código de confirmación: ({GROUPED_CODE})")).group(1)
    await terminal.type(code)
    await terminal.until("confirmada")
    return terminal


async def test_a_csd_sent_as_files_from_the_terminal(tmp_path: Path) -> None:
    """`/archivo <ruta>` sends a file as a document: the CSD can be tried in local mode."""
    terminal = await confirmed(tmp_path, "EKU9003173C9")
    await terminal.type("/csd")
    await terminal.until("Envíame como")
    await terminal.type("/archivo no/existe.cer")
    await terminal.until("no encuentro el archivo")
    await terminal.type(f"/archivo {SAT / 'eku_csd.cer'}")
    await terminal.until("Recibí el certificado")
    await terminal.type(f"/archivo {SAT / 'eku_csd.key'}")
    await terminal.until("contraseña de tu clave privada")
    await terminal.type("12345678a")
    await terminal.until("el bot borró un mensaje tuyo")
    await terminal.until("30001000000500003416")
    assert await terminal.close() == 0


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_sigterm_ends_local_mode_as_ctrl_d_does(tmp_path: Path) -> None:
    terminal = await start(tmp_path)
    await terminal.type("/registro")
    await terminal.until("correo electrónico")
    terminal.process.send_signal(signal.SIGTERM)
    rest, _ = await asyncio.wait_for(terminal.process.communicate(), 60)
    screen = terminal.screen + rest.decode()
    assert terminal.process.returncode == 0
    assert "Cerrando" in screen and "Traceback" not in screen
    assert "Traceback" not in (tmp_path / "var" / "local.log").read_text()


async def test_a_constancia_sent_from_the_terminal_fills_the_company_form(tmp_path: Path) -> None:
    """`/archivo Constancia.pdf` right after confirming: the form's summary, filled."""
    terminal = await confirmed(tmp_path, RFC_MORAL)
    pdf = tmp_path / "Constancia.pdf"
    spec = CsfSpec(rfc=RFC_MORAL, codigo_postal="06600", colonia="JUAREZ", municipio="CUAUHTEMOC")
    pdf.write_bytes(csf_pdf(spec))
    await terminal.type(f"/archivo {pdf}")
    await terminal.until("Leí tu Constancia de Situación Fiscal")
    await terminal.until("Revisa los datos de tu empresa")
    await terminal.type("💾 Guardar")
    await terminal.until("Datos de la empresa guardados")
    assert await terminal.close() == 0
