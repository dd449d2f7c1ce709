"""A CSF's PDF read safely (services/csf_pdf.py): generated CSFs (tests/csf_pdfs.py) read
back field by field, with their QR; and each way a stranger's file is refused."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import segno
from reportlab.lib.pdfencrypt import StandardEncryption

import services.csf_pdf as worker_module
from services.csf import NotACsf, parse_csf_text
from services.csf_form import qr_record
from services.csf_pdf import (
    MAX_PAGES,
    MAX_PDF_BYTES,
    PdfContent,
    PdfProblem,
    PdfRefused,
    check_announced,
    read_pdf,
)
from tests.csf_pdfs import (
    OLD_MUNICIPIO_LABEL,
    QR_URL,
    CsfSpec,
    bomb_pdf,
    csf_lines,
    csf_pdf,
    encrypted_pdf,
    expected_csf,
    other_pdf,
    pages_pdf,
    photo_pdf,
    raw_text_pdf,
    truncated_pdf,
)

FISICA = CsfSpec(
    rfc="PEÑA561231GR8",
    persona="fisica",
    curp="PEAE561231HDFRRN04",
    nombre="JOSÉ ÁNGEL",
    primer_apellido="PEÑA",
    segundo_apellido="ÍÑIGUEZ ÚRSULO",
    id_cif="19020304050",
    estatus="ACTIVO",
    codigo_postal="06600",
    nombre_vialidad="AVENIDA PASEO DE LA REFORMA",
    numero_interior="",
    colonia="JUÁREZ",
    localidad="CIUDAD DE MÉXICO",
    municipio="CUAUHTÉMOC",
    correo="jose@example.com",
    lada="55",
    numero="12345678",
    regimenes=(
        ("Régimen de Sueldos y Salarios e Ingresos Asimilados a Salarios", "01/01/2015", None),
        (
            "Régimen de las Personas Físicas con Actividades Empresariales y Profesionales",
            "01/02/2016",
            "31/12/2019",
        ),
        ("Régimen Simplificado de Confianza", "01/01/2022", None),
    ),
    fecha_emision=date(2024, 11, 5),
    lugar_emision="CUAUHTEMOC, CIUDAD DE MEXICO",
)


async def read(data: bytes, **limits: float) -> PdfContent:
    return await read_pdf(data, **limits)  # type: ignore[arg-type]


async def refusal(data: bytes, **limits: float) -> PdfProblem:
    with pytest.raises(PdfRefused) as refused:
        await read_pdf(data, **limits)  # type: ignore[arg-type]
    return refused.value.problem


@pytest.mark.parametrize(
    "spec",
    [
        pytest.param(CsfSpec(), id="moral"),
        pytest.param(FISICA, id="fisica-three-regimenes"),
        pytest.param(CsfSpec(page_break_in="nombre_vialidad"), id="page-break-in-a-value"),
        pytest.param(
            CsfSpec(municipio_label=OLD_MUNICIPIO_LABEL, denominacion="ÁNGELES Y PEÑA"),
            id="older-label",
        ),
        pytest.param(CsfSpec(qr_as_image=True), id="qr-as-a-small-image"),
    ],
)
async def test_a_csf_reads_back_field_by_field_with_its_qr(spec: CsfSpec) -> None:
    content = await read(csf_pdf(spec))

    assert parse_csf_text(content.text) == expected_csf(spec)
    assert content.pages == 3
    assert content.qr_codes == (QR_URL.format(spec.id_cif, spec.rfc),)
    assert qr_record(content.qr_codes[0]) == (spec.id_cif, spec.rfc)


async def test_the_text_is_pdftotext_raws_lines_with_accents() -> None:
    content = await read(csf_pdf(FISICA))

    assert content.text.split("\n") == [line for page in csf_lines(FISICA) for line in page]
    assert "Nombre (s): JOSÉ ÁNGEL" in content.text.split("\n")
    assert "Código Postal:06600 Tipo de Vialidad: CALLE" in content.text.split("\n")


async def test_a_csf_without_a_qr_reads_with_none() -> None:
    content = await read(csf_pdf(qr=None))

    assert content.qr_codes == ()
    assert parse_csf_text(content.text).rfc == "DIM8701081LA"


async def test_a_pdf_that_is_not_a_csf_reads_but_does_not_parse() -> None:
    content = await read(other_pdf())

    assert content.qr_codes == ()
    with pytest.raises(NotACsf):
        parse_csf_text(content.text)


@pytest.mark.parametrize(
    ("name", "mime", "size"),
    [
        ("constancia.pdf", "application/pdf", 120_000),
        ("CONSTANCIA.PDF", None, None),
        ("constancia.pdf", "application/octet-stream", MAX_PDF_BYTES),
        (None, "application/pdf", 120_000),
        ("constancia", "Application/PDF", 120_000),
    ],
)
def test_announced_pdfs_are_taken(name: str | None, mime: str | None, size: int | None) -> None:
    check_announced(name, mime, size)


@pytest.mark.parametrize(
    ("name", "mime", "size", "problem"),
    [
        ("constancia.jpg", "image/jpeg", 120_000, PdfProblem.NOT_A_PDF),
        ("constancia.jpg", "application/pdf", 120_000, PdfProblem.NOT_A_PDF),
        ("constancia.pdf.exe", "application/pdf", 120_000, PdfProblem.NOT_A_PDF),
        (None, "image/png", 120_000, PdfProblem.NOT_A_PDF),
        ("constancia", None, 120_000, PdfProblem.NOT_A_PDF),
        (None, None, None, PdfProblem.NOT_A_PDF),
        ("constancia.pdf", "application/pdf", MAX_PDF_BYTES + 1, PdfProblem.TOO_LARGE),
        (None, "application/pdf", 50 * 1024 * 1024, PdfProblem.TOO_LARGE),
    ],
)
def test_announced_files_refused(
    name: str | None, mime: str | None, size: int | None, problem: PdfProblem
) -> None:
    with pytest.raises(PdfRefused) as refused:
        check_announced(name, mime, size)
    assert refused.value.problem is problem


def png() -> bytes:
    out = io.BytesIO()
    segno.make_qr(QR_URL.format("12345678901", "DIM8701081LA")).save(out, kind="png")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png, id="png"),
        pytest.param(lambda: b"<html><body>Constancia</body></html>", id="html"),
        pytest.param(lambda: bytes(1024) + csf_pdf(), id="header-after-1-KiB"),
    ],
)
async def test_content_without_a_pdf_header_is_not_a_pdf(data: Callable[[], bytes]) -> None:
    assert await refusal(data()) is PdfProblem.NOT_A_PDF


async def test_a_file_bigger_than_announced_is_too_large() -> None:
    data = csf_pdf() + b"%" + b" " * MAX_PDF_BYTES  # a comment after %%EOF: still a PDF

    assert await refusal(data) is PdfProblem.TOO_LARGE


async def test_a_password_protected_pdf_is_encrypted() -> None:
    assert await refusal(encrypted_pdf()) is PdfProblem.ENCRYPTED


async def test_a_pdf_locked_only_against_copying_is_read() -> None:
    locked = csf_pdf(encrypt=StandardEncryption("", ownerPassword="dueño", canCopy=0))

    assert parse_csf_text((await read(locked)).text) == expected_csf(CsfSpec())


async def test_a_pdf_cut_short_is_damaged() -> None:
    assert await refusal(truncated_pdf()) is PdfProblem.DAMAGED


async def test_pages_beyond_the_limit_are_refused() -> None:
    assert (await read(pages_pdf(MAX_PAGES))).pages == MAX_PAGES
    assert await refusal(pages_pdf(40)) is PdfProblem.TOO_MANY_PAGES


async def test_a_photo_of_a_csf_has_no_text() -> None:
    assert await refusal(photo_pdf()) is PdfProblem.NO_TEXT


async def test_a_decompression_bomb_is_too_heavy_and_stays_in_the_worker() -> None:
    bomb = bomb_pdf(512)  # half a GiB inflated, from half a MiB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()

    problem = await refusal(bomb, seconds=10, memory_bytes=256 * 1024 * 1024)

    assert problem is PdfProblem.TOO_HEAVY
    assert time.monotonic() - started < 10
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 64 * 1024


class Workers(list[asyncio.subprocess.Process]):
    """The worker processes read_pdf starts, as they start."""

    def __init__(self) -> None:
        super().__init__()
        self.one_started = asyncio.Event()


@pytest.fixture
def workers(monkeypatch: pytest.MonkeyPatch) -> Workers:
    started = Workers()
    spawn = asyncio.create_subprocess_exec

    async def recording(*args: object, **kwargs: object) -> asyncio.subprocess.Process:
        process = await spawn(*args, **kwargs)  # type: ignore[arg-type]
        started.append(process)
        started.one_started.set()
        return process

    monkeypatch.setattr(worker_module.asyncio, "create_subprocess_exec", recording)
    return started


def gone(pid: int) -> bool:
    """Whether the process is reaped (a zombie still has its /proc entry)."""
    return not Path(f"/proc/{pid}").exists()


async def test_a_worker_that_outlives_its_time_is_killed(
    fake_worker: Callable[[str], None], workers: Workers
) -> None:
    fake_worker("import time\ntime.sleep(60)")  # no CPU used: only the clock can stop it
    started = time.monotonic()

    assert await refusal(csf_pdf(), seconds=0.5) is PdfProblem.TOO_HEAVY
    assert time.monotonic() - started < 5
    assert gone(workers[0].pid)


async def test_runs_of_blanks_come_back_as_one_space() -> None:
    """A stranger's tabs by the thousand would make the text's patterns (run in the bot,
    not the worker) take seconds per line: they arrive as one space."""
    line = b"PAGINA 1" + b"\t" * 30_000 + b"DE" + b" " * 30_000 + b"3"
    content = await read_pdf(raw_text_pdf([b"CONSTANCIA DE SITUACION FISCAL", line] * 3))

    assert "PAGINA 1 DE" in content.text
    assert not re.search(r"[^\S\n]{2}", content.text)


async def test_a_pdf_with_more_text_than_a_csf_has_is_too_heavy() -> None:
    """A few KB of PDF can hold millions of characters: the bot would hold and parse them
    all. A real CSF has a few thousand."""
    page = [b"CONSTANCIA DE SITUACION FISCAL", *[b"A" * 30_000] * 12]
    assert await refusal(raw_text_pdf(page)) is PdfProblem.TOO_HEAVY


async def test_pdfs_sent_together_are_read_a_few_at_a_time(
    fake_worker: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each worker may take its memory limit: a crowd's PDFs wait their turn."""
    fake_worker("import time\ntime.sleep(60)")
    run, running, most = worker_module._run_worker, 0, 0

    async def counted(*args: Any) -> Any:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            return await run(*args)
        finally:
            running -= 1

    monkeypatch.setattr(worker_module, "_run_worker", counted)
    reads = [refusal(csf_pdf(), seconds=0.5) for _ in range(worker_module.READERS_AT_ONCE + 1)]

    assert set(await asyncio.gather(*reads)) == {PdfProblem.TOO_HEAVY}
    assert most == worker_module.READERS_AT_ONCE


def test_an_orphaned_worker_stops_at_its_cpu_limit() -> None:
    """Were the bot to die while a worker reads, the worker stops by itself."""
    started = time.monotonic()
    worker = subprocess.run(
        [sys.executable, "-I", str(worker_module._WORKER), str(1024**3), "1"],
        input=bomb_pdf(200, b"q Q\n"),  # some four seconds of CPU
        capture_output=True,
        check=False,
    )

    assert worker.returncode == -signal.SIGXCPU
    assert time.monotonic() - started < 3


async def test_page_1_is_rendered_at_a_bounded_size() -> None:
    """A page may claim to be 200 inches a side: rendered at 200 dpi it would take 1.6 GB."""
    huge = other_pdf("COTIZACIÓN 1234 con una página enorme", page_size=(14_400, 14_400))

    assert (await read(huge, memory_bytes=512 * 1024 * 1024)).pages == 1


async def test_a_pdf_that_takes_too_long_is_killed_and_reaped(
    workers: Workers,
) -> None:
    slow = bomb_pdf(100, b"q Q\n")  # 26 million save/restore operators: seconds of CPU
    started = time.monotonic()

    assert await refusal(slow, seconds=0.5, memory_bytes=1024**3) is PdfProblem.TOO_HEAVY
    assert time.monotonic() - started < 2
    [worker] = workers
    assert worker.returncode is not None
    assert gone(worker.pid)


async def test_a_read_cancelled_kills_its_worker(
    workers: Workers,
) -> None:
    reading = asyncio.create_task(read(bomb_pdf(100, b"q Q\n"), seconds=30))
    await workers.one_started.wait()
    reading.cancel()

    with pytest.raises(asyncio.CancelledError):
        await reading
    assert workers[0].returncode is not None
    assert gone(workers[0].pid)


@pytest.fixture
def fake_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Makes read_pdf run the given Python source as its worker."""

    def install(source: str) -> None:
        script = tmp_path / "worker.py"
        script.write_text(source)
        monkeypatch.setattr(worker_module, "_WORKER", script)

    return install


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", PdfProblem.TOO_HEAVY),
        ("raise MemoryError", PdfProblem.DAMAGED),  # uncaught: exit 1, not the worker's 3
        ("raise SystemExit(3)", PdfProblem.TOO_HEAVY),
        ("raise SystemExit(1)", PdfProblem.DAMAGED),
        ("print('{not json')", PdfProblem.DAMAGED),
        ("print('[1, 2]')", PdfProblem.DAMAGED),
        ('print(\'{"refused": "nonsense"}\')', PdfProblem.DAMAGED),
        ('print(\'{"text": "x"}\')', PdfProblem.DAMAGED),
    ],
)
async def test_a_worker_that_dies_or_babbles_is_refused(
    fake_worker: Callable[[str], None], source: str, problem: PdfProblem
) -> None:
    fake_worker(source)

    assert await refusal(csf_pdf()) is problem


async def test_the_worker_sees_none_of_the_bots_secrets(
    fake_worker: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:secret")
    fake_worker(
        "import json, os, sys\n"
        "open_fds = sorted(int(fd) for fd in os.listdir('/proc/self/fd'))\n"
        "json.dump({'text': json.dumps([dict(os.environ), open_fds]),"
        " 'qr_codes': [], 'pages': 1}, sys.stdout)"
    )

    content = await read(csf_pdf())

    assert "123:secret" not in content.text
    assert os.environ["PATH"] in content.text
    # stdin, stdout, stderr (/dev/null), and the fd listdir itself opened: nothing inherited.
    assert content.text.endswith("[0, 1, 2, 3]]")


async def test_only_the_size_and_the_outcome_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="services.csf_pdf")
    pdf, locked = csf_pdf(), encrypted_pdf()

    await read(pdf)
    await refusal(locked)

    logged = [record.getMessage() for record in caplog.records]
    assert logged == [
        f"PDF of {len(pdf)} bytes read: 3 pages",
        f"PDF of {len(locked)} bytes refused: encrypted",
    ]
