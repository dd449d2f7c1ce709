"""A Constancia de Situación Fiscal's PDF read into text and QR codes, safely: the PDF
comes from a stranger, so it is untrusted input.

Three gates. Before download, `check_announced` refuses by name, MIME type and announced
size. After download, `read_pdf` refuses by the %PDF header and the real size, then hands
the bytes to a fresh worker process (`python -I services/csf_pdf.py`) that reads them with
PDFium under a memory limit and a CPU limit, with none of the bot's environment (no token,
no database URL) and no file descriptor but its pipes; the bot kills it when its time is
up. A malformed or hostile PDF (a decompression bomb, deep nesting, a crash in PDFium)
costs at most that worker, and comes back as a PdfRefused with its reason.

The text is PDFium's, page by page in content-stream order (the order `pdftotext -raw`
gives, which services.csf parses); the QR codes are read by zxing-cpp from page 1
rendered. The PDF is not kept, and nothing from it reaches a log line: only its size and
the outcome.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import os
import re
import sys
import weakref
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

MAX_PDF_BYTES = 3 * 1024 * 1024  # a CSF is about 100 KB
MAX_PAGES = 10  # a CSF has 2 to 5
# Characters in all: a real CSF has a few thousand (the sample, 3 pages: about 3,500). A
# few KB of PDF can hold millions, which the bot would then hold and parse.
MAX_TEXT_CHARS = 100_000
# Workers at once per bot process: each may take up to its memory limit, so a crowd sending
# PDFs together waits its turn (a read takes about 0.1 s) instead of filling the machine.
READERS_AT_ONCE = 2
_readers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)
# Page 1 is rendered at this resolution for its QR (SAT's is about 3 cm wide, 25 modules:
# some 9 pixels a module), with its longest side at most QR_MAX_PIXELS whatever the page
# size claims to be.
QR_DPI = 200
QR_MAX_PIXELS = 4000
# Less than this many characters (blanks aside) in all pages: a scan or a photo.
MIN_TEXT_CHARS = 20

# The worker runs this file as a script in isolated mode (-I: no current directory, no
# PYTHON* variables, no user site on sys.path): it needs only the standard library, PDFium
# and zxing-cpp, and `python -m services.csf_pdf` would first import the `services`
# package (SQLAlchemy and all), half a second of CPU for each PDF.
_WORKER = Path(__file__).resolve()
_ENVIRONMENT = ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR")
_EXIT_TOO_HEAVY = 3  # the worker's exit code when Python ran out of memory


class PdfProblem(StrEnum):
    """Why a file was refused."""

    NOT_A_PDF = "not-a-pdf"  # by name or MIME type before download, or no %PDF header
    TOO_LARGE = "too-large"  # announced or actual size over MAX_PDF_BYTES
    # Opening needs a password, or PDFium does not know the security handler. A PDF locked
    # only against copying or printing (an owner password) opens, and is read.
    ENCRYPTED = "encrypted"
    DAMAGED = "damaged"  # truncated or malformed: PDFium cannot open it
    TOO_MANY_PAGES = "too-many-pages"  # over MAX_PAGES, refused before reading any page
    TOO_HEAVY = "too-heavy"  # the worker ran out of time or memory: a bomb, deep nesting
    NO_TEXT = "no-text"  # pages without text: a scan or a photo of a CSF


class PdfRefused(Exception):
    """The file cannot be read as a CSF's PDF; `problem` says why."""

    def __init__(self, problem: PdfProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True)
class PdfContent:
    text: str  # all pages' text in reading order, pages joined by "\n"
    qr_codes: tuple[str, ...]  # the texts of the QR codes found on page 1, maybe none
    pages: int


def check_announced(file_name: str | None, mime_type: str | None, size: int | None) -> None:
    """Before download, from what Telegram announces: a name ending in .pdf (any case), or
    with no name or no extension a MIME type application/pdf; at most MAX_PDF_BYTES."""
    suffix = Path(file_name).suffix.lower() if file_name else ""
    if suffix != ".pdf" and (suffix or (mime_type or "").lower() != "application/pdf"):
        raise PdfRefused(PdfProblem.NOT_A_PDF)
    if size is not None and size > MAX_PDF_BYTES:
        raise PdfRefused(PdfProblem.TOO_LARGE)


async def read_pdf(
    data: bytes, *, seconds: float = 15.0, memory_bytes: int = 768 * 1024 * 1024
) -> PdfContent:
    """The PDF's text and page 1's QR codes, read in a worker process given `seconds` and
    `memory_bytes`; PdfRefused (and nothing else) when it cannot be read as a CSF's PDF."""
    try:
        if len(data) > MAX_PDF_BYTES:
            raise PdfRefused(PdfProblem.TOO_LARGE)
        if b"%PDF-" not in data[:1024]:  # where PDF readers look for the header
            raise PdfRefused(PdfProblem.NOT_A_PDF)
        async with _reader_slot():
            reply = await _run_worker(data, seconds, memory_bytes)
        content = _content(reply)
    except PdfRefused as refused:
        logger.info("PDF of %d bytes refused: %s", len(data), refused.problem.value)
        raise
    logger.info("PDF of %d bytes read: %d pages", len(data), content.pages)
    return content


def _reader_slot() -> asyncio.Semaphore:
    """This event loop's READERS_AT_ONCE slots (a semaphore belongs to one loop; tests run
    several bots, each in its own)."""
    loop = asyncio.get_running_loop()
    slots = _readers.get(loop)
    if slots is None:
        slots = _readers[loop] = asyncio.Semaphore(READERS_AT_ONCE)
    return slots


async def _run_worker(data: bytes, seconds: float, memory_bytes: int) -> Any:
    """The worker's JSON reply. The worker is killed (and reaped) when its time is up, or
    when this call is cancelled; its death by a signal or by MemoryError is TOO_HEAVY,
    any other failure DAMAGED."""
    cpu_seconds = max(1, math.ceil(seconds))
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-I",
        str(_WORKER),
        str(memory_bytes),
        str(cpu_seconds),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,  # PDFium's complaints would quote the PDF
        cwd=_WORKER.parent,
        env={name: os.environ[name] for name in _ENVIRONMENT if name in os.environ},
        close_fds=True,
    )
    try:
        async with asyncio.timeout(seconds):
            output, _ = await process.communicate(data)
            code = await process.wait()
    except TimeoutError:
        raise PdfRefused(PdfProblem.TOO_HEAVY) from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if code != 0:
        heavy = code < 0 or code == _EXIT_TOO_HEAVY
        raise PdfRefused(PdfProblem.TOO_HEAVY if heavy else PdfProblem.DAMAGED)
    try:
        return json.loads(output)
    except ValueError:
        raise PdfRefused(PdfProblem.DAMAGED) from None


def _content(reply: Any) -> PdfContent:
    """The worker's reply as PdfContent, or its refusal raised."""
    try:
        if "refused" in reply:
            problem = PdfProblem(reply["refused"])
        else:
            content = PdfContent(
                text=str(reply["text"]),
                qr_codes=tuple(str(qr) for qr in reply["qr_codes"]),
                pages=int(reply["pages"]),
            )
    except (TypeError, KeyError, ValueError):
        raise PdfRefused(PdfProblem.DAMAGED) from None
    if "refused" in reply:
        raise PdfRefused(problem)
    return content


# The worker's side: everything below runs in the child process only.

# What PDFium's text has that `pdftotext -raw`'s does not: CR LF line ends, no-break
# spaces, ligatures, soft hyphens, and PDFium's own markers.
_BLANKS = re.compile(r"[^\S\n]+")
_TEXT_FIXES = str.maketrans(
    {
        "\r": None,
        "\x00": None,
        "\x02": None,  # PDFium's mark for a hyphen at a line's end
        "\ufffe": None,
        "\u00ad": None,
        "\u00a0": " ",
        "\u2007": " ",
        "\u202f": " ",
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb06": "st",
    }
)


def _char_count(document: Any, index: int) -> int:
    """The page's characters, counted without extracting them."""
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            count: int = textpage.count_chars()
        finally:
            textpage.close()
    finally:
        page.close()
    return count


def _page_text(document: Any, index: int) -> str:
    page = document[index]
    try:
        textpage = page.get_textpage()
        try:
            text: str = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    # Runs of blanks as one space: a stranger's thousands of tabs would otherwise make the
    # text's patterns (services.csf, run in the bot) backtrack for seconds per line.
    return _BLANKS.sub(" ", text.translate(_TEXT_FIXES))


def _qr_codes(document: Any) -> list[str]:
    """The QR codes on page 1, rendered in grey at QR_DPI (at most QR_MAX_PIXELS a side)."""
    import zxingcpp

    page = document[0]
    try:
        width, height = page.get_size()
        scale = min(QR_DPI / 72, QR_MAX_PIXELS / max(width, height, 1))
        bitmap = page.render(scale=scale, grayscale=True)
    finally:
        page.close()
    # PDFium's pixels as they are, one byte each, no copy and no numpy: zxing-cpp takes any
    # buffer (its stubs say numpy's ndarray only).
    pixels = memoryview(bitmap.buffer).cast("B", (bitmap.height, bitmap.stride))
    image = zxingcpp.ImageView(
        pixels,  # type: ignore[arg-type]
        bitmap.width,
        bitmap.height,
        zxingcpp.ImageFormat.Lum,
        bitmap.stride,
    )
    qr = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    found = zxingcpp.read_barcodes(image, formats=qr)
    return [barcode.text for barcode in found]


def _extract(data: bytes) -> dict[str, Any]:
    """What the worker replies: the text and QR codes, or the reason for refusing."""
    import pypdfium2
    import pypdfium2.raw as pdfium_c

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        locked = error.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY)
        return {"refused": PdfProblem.ENCRYPTED if locked else PdfProblem.DAMAGED}
    try:
        pages = len(document)
        if pages > MAX_PAGES:
            return {"refused": PdfProblem.TOO_MANY_PAGES}
        if pages == 0:
            return {"refused": PdfProblem.DAMAGED}
        if sum(_char_count(document, index) for index in range(pages)) > MAX_TEXT_CHARS:
            return {"refused": PdfProblem.TOO_HEAVY}
        text = "\n".join(_page_text(document, index) for index in range(pages))
        if len("".join(text.split())) < MIN_TEXT_CHARS:
            return {"refused": PdfProblem.NO_TEXT}
        return {"text": text, "qr_codes": _qr_codes(document), "pages": pages}
    finally:
        document.close()


def _worker(memory_bytes: int, cpu_seconds: int) -> int:
    """The child: limits first (before PDFium is loaded), then the PDF from stdin, the
    reply as JSON on stdout."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash dumps no PDF to disk
    data = sys.stdin.buffer.read()
    try:
        reply = _extract(data)
    except MemoryError:
        return _EXIT_TOO_HEAVY
    json.dump(reply, sys.stdout)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(_worker(int(sys.argv[1]), int(sys.argv[2])))
