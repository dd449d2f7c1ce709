"""The Constancia de Situación Fiscal (CSF) fills the company form: its PDF, sent at any
step of /empresa, after /constancia, from the form's intro or right after confirming the
account (or sent outside any flow), is judged by its name, MIME type and announced size
before it is downloaded, read in a worker process (services.csf_pdf), checked against the
account's RFC and its own QR code (services.csf_form.verify) and turned into the form's
values, matched to SAT's catalogs as typed answers are (services.csf_form.fill). Then
what the CSF lacks, or what did not match, is asked with the usual question, and the
summary is shown. The PDF is not kept; only its size and the outcome are logged."""

from __future__ import annotations

import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from telegram import Message, Update
from telegram.ext import MessageHandler, filters

from chat.common import ask, ask_again, close_buttons, lead, remember
from chat.context import BotContext, Handler, held_chat
from chat.files import download
from chat.texts import Html
from handlers.company.fields import advance
from handlers.company.form import CompanyDraft, Step, draft
from services.company import COMPANIONS, FIELDS
from services.csf import Csf
from services.csf_form import CsfRefusal, CsfRefused, Filled, fill, verify
from services.csf_pdf import MAX_PDF_BYTES, PdfProblem, PdfRefused, check_announced, read_pdf

logger = logging.getLogger(__name__)

# Each refusal's reason; each text ends with the question in hand ({prompt}).
REFUSALS: dict[PdfProblem | CsfRefusal, str] = {
    PdfProblem.NOT_A_PDF: "company.csf.refusal.not-a-pdf",
    PdfProblem.TOO_LARGE: "company.csf.refusal.too-large",
    PdfProblem.ENCRYPTED: "company.csf.refusal.encrypted",
    PdfProblem.DAMAGED: "company.csf.refusal.damaged",
    PdfProblem.TOO_MANY_PAGES: "company.csf.refusal.too-many-pages",
    PdfProblem.TOO_HEAVY: "company.csf.refusal.too-heavy",
    PdfProblem.NO_TEXT: "company.csf.refusal.no-text",
    CsfRefusal.NOT_A_CSF: "company.csf.refusal.not-a-csf",
    CsfRefusal.OTHER_RFC: "company.csf.refusal.other-rfc",
    CsfRefusal.NO_QR: "company.csf.refusal.no-qr",
    CsfRefusal.QR_MISMATCH: "company.csf.refusal.qr-mismatch",
}
# What a Constancia replaces in a draft: everything it speaks of, typed before or not
# (another postal code is another address). The phone and the contact address typed
# before stay when the Constancia has none.
REPLACED = tuple(
    name for name in (*FIELDS, *COMPANIONS) if name not in ("telefono", "correo_contacto")
)
SAT_ZONE = ZoneInfo("America/Mexico_City")  # where SAT dates its Constancias


async def ask_for_csf(update: Update, context: BotContext) -> Step:
    """Ask for the PDF (with how to get it from SAT), or to type the data instead."""
    await ask(update, context, "company.csf.ask", keyboard="csf-ask")
    return Step.CSF


async def offer_csf(update: Update, context: BotContext) -> Step:
    """«Enviar mi Constancia (PDF)» under the form's intro."""
    await close_buttons(update)
    return await ask_for_csf(update, context)


async def receive_csf(update: Update, context: BotContext) -> Step | None:
    """A document at a step of the form: read as the Constancia. Refused, its reason and
    the question in hand again (None: the same step); read, its values fill the draft and
    the form goes on with what is missing."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    size = document.file_size
    try:
        check_announced(document.file_name, document.mime_type, size)
        data = await download(document, MAX_PDF_BYTES)
        if data is None:
            raise PdfRefused(PdfProblem.TOO_LARGE)
        size = len(data)
        content = await read_pdf(data)
        csf = verify(content.text, content.qr_codes, draft(context).rfc)
        filled = fill(csf, context.services.catalogs, today=datetime.now(SAT_ZONE).date())
    except PdfRefused as refused:
        logger.info("constancia refused (%s bytes): %s", size, refused.problem.value)
        await ask_again(update, context, REFUSALS[refused.problem])
        return None
    except CsfRefused as refused:
        logger.info("constancia refused (%s bytes): %s", size, refused.refusal.value)
        await ask_again(update, context, REFUSALS[refused.refusal], **refused.values)
        return None
    logger.info("constancia read (%s bytes)", size)
    replaced = take(draft(context), csf, filled)
    values = read_values(update, context, csf, filled, replaced)
    await lead(update, context, "company.csf.read", **values)  # with the next question
    if len(filled.regimes) > 1:
        return await ask_regime(update, context, filled.regimes)
    return await advance(update, context)


def take(current: CompanyDraft, csf: Csf, filled: Filled) -> tuple[str, ...]:
    """The Constancia's values in the draft, in place of what it speaks of; the fields
    whose value typed before it replaced (or left to be asked), to say so."""
    before = dict(current.values)
    for name in REPLACED:
        current.values.pop(name, None)
    current.values.update(filled.values)
    current.values["id_cif"] = csf.id_cif
    current.values["csf_emitida"] = csf.fecha_emision.isoformat() if csf.fecha_emision else None
    current.proposed_place = None
    current.suggested_name = None
    return tuple(
        name
        for name in FIELDS
        if before.get(name) is not None and before.get(name) != current.values.get(name)
    )


def read_values(
    update: Update, context: BotContext, csf: Csf, filled: Filled, replaced: tuple[str, ...]
) -> dict[str, str]:
    """What the «I read your Constancia» message says: its idCIF and date, and a note for
    each thing to know (the régimen capital left out of the name, a status SAT does not
    invoice with, an old Constancia, what did not match SAT's catalogs)."""
    issued = date_text(update, context, csf.fecha_emision)
    notes: list[str] = []
    if filled.regimen_capital and filled.values.get("razon_social"):
        capital = shortened(filled.regimen_capital)
        notes.append(context.text(update, "company.csf.note-capital", capital=capital))
    if filled.inactive_status:
        status = shortened(filled.inactive_status)
        notes.append(context.text(update, "company.csf.note-status", status=status))
    if filled.stale:
        notes.append(context.text(update, "company.csf.note-stale", issued=issued))
    if replaced:
        labels = ", ".join(context.label(update, f"company.label.{name}") for name in replaced)
        notes.append(context.text(update, "company.csf.note-replaced", fields=labels))
    if filled.unmatched:
        labels = ", ".join(
            context.label(update, f"company.label.{name}") for name in filled.unmatched
        )
        notes.append(context.text(update, "company.csf.note-unmatched", fields=labels))
    return {
        "id_cif": csf.id_cif or "—",
        "issued": issued,
        "notes": Html("".join(f"\n\n{note}" for note in notes)),
    }


def shortened(text: str, longest: int = 80) -> str:
    """A value printed in the PDF, as shown in a message (which Telegram caps at 4,096
    characters): a status or a régimen capital is a few words; an edited PDF's may not be."""
    return text if len(text) <= longest else text[: longest - 1].rstrip() + "…"


def date_text(update: Update, context: BotContext, day: date | None) -> str:
    return day.strftime(context.text(update, "csd.date-format")) if day else "—"


async def ask_regime(update: Update, context: BotContext, codes: tuple[str, ...]) -> Step:
    """Several régimenes in force: one is chosen, among them, with buttons."""
    regimes = context.services.catalogs.regimes
    choices = [[code, regimes[code].name] for code in codes if code in regimes]
    await ask(
        update,
        context,
        "company.csf.ask-regime",
        keyboard="regimes",
        choices=choices,
        count=len(choices),
        example=choices[0][0],
    )
    return Step.REGIMEN


async def receive_photo(update: Update, context: BotContext) -> None:
    """A picture (of the Constancia, perhaps): its PDF is what can be read."""
    await ask_again(update, context, "company.csf.photo")


async def receive_text(update: Update, context: BotContext) -> None:
    """Text where the PDF is awaited: the PDF, or the button to type the data."""
    await ask_again(update, context, "company.csf.text")


# Sent outside any flow: a PDF is taken for the Constancia.


class _Idle(filters.MessageFilter):
    """The chat is in no flow (a PDF sent inside another flow is that flow's to answer:
    the CSD's tells a PDF from a certificate)."""

    def filter(self, message: Message) -> bool:
        chat = held_chat()
        return chat is not None and chat.flow is None


PDF: filters.BaseFilter = filters.Document.MimeType(
    "application/pdf"
) | filters.Document.FileExtension("pdf")
IDLE_PDF: filters.BaseFilter = PDF & _Idle()


def csf_steps(handlers: list[Handler]) -> list[Handler]:
    """A form step's handlers, a document (the Constancia) and a picture first."""
    return [
        MessageHandler(filters.Document.ALL, receive_csf),
        MessageHandler(filters.PHOTO, receive_photo),
        *handlers,
    ]


def remember_csf_question(context: BotContext) -> None:
    """The PDF's question in hand without asking it (a PDF sent outside the form: a
    refusal asks it after its reason)."""
    remember(context, "company.csf.ask", keyboard="csf-ask")
