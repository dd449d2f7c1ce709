"""The two files of the CSD, sent as documents in any order. A file is judged by its name,
MIME type and announced size before it is downloaded (a PDF, a .zip or a 20 MB file is
refused unread), then by its content; whatever else arrives gets its own reason and the
same question."""

from __future__ import annotations

from datetime import UTC, datetime

from telegram import Update

from chat.common import ask, ask_again, delete_quietly, prompt_text, say
from chat.context import BotContext
from chat.files import download
from handlers.csd.checks import after_files
from handlers.csd.steps import Step, draft, encode, local_date
from services.csd_files import (
    MAX_UPLOAD_BYTES,
    Certificate,
    CsdProblem,
    FileKind,
    Refusal,
    check_certificate,
    classify,
    kind_of,
    read_certificate,
    read_key,
)

# Each refusal's text; each ends with the question in hand.
REFUSALS = {
    Refusal.TOO_LARGE: "csd.refusal.too-large",
    Refusal.NOT_CSD_FILE: "csd.refusal.not-csd-file",
    Refusal.NOT_A_CERTIFICATE: "csd.refusal.not-a-certificate",
    Refusal.NOT_A_KEY: "csd.refusal.not-a-key",
    Refusal.IS_FIEL: "csd.refusal.is-fiel",
    Refusal.WRONG_PASSWORD: "csd.refusal.wrong-password",
    Refusal.KEY_MISMATCH: "csd.refusal.key-mismatch",
    Refusal.NOT_YET_VALID: "csd.refusal.not-yet-valid",
    Refusal.EXPIRED: "csd.refusal.expired",
    Refusal.RFC_MISMATCH: "csd.refusal.rfc-mismatch",
    Refusal.NOT_FROM_SAT: "csd.refusal.not-from-sat",
}
# Files people often send instead, named for what they are.
KNOWN_OTHERS = {".pdf": "csd.pdf", ".zip": "csd.zip", ".rar": "csd.zip", ".7z": "csd.zip"}


async def ask_files(update: Update, context: BotContext) -> Step:
    """Ask for what is still missing: both files, the key, or the certificate."""
    current = draft(context)
    if current.certificate is None and current.key is None:
        await ask(update, context, "csd.ask-files")
    elif current.key is None:
        await ask(update, context, "csd.ask-key")
    else:
        await ask(update, context, "csd.ask-certificate")
    return Step.FILES


async def say_refusal(
    update: Update, context: BotContext, refusal: Refusal, **details: object
) -> None:
    """The refusal's reason, and the question in hand again."""
    prompt = context.chat.prompt or {}
    await say(
        update,
        context,
        REFUSALS[refusal],
        keyboard=prompt.get("keyboard"),
        **{**prompt.get("values", {}), **details, "prompt": prompt_text(update, context)},
    )


async def refuse_file(update: Update, context: BotContext, problem: CsdProblem, name: str) -> None:
    """A file refused: a PDF or a .zip is named for what it is; a certificate's refusal
    says its dates or its RFC."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if problem.refusal is Refusal.NOT_CSD_FILE and suffix in KNOWN_OTHERS:
        await ask_again(update, context, KNOWN_OTHERS[suffix])
        return
    details = {"certificate_rfc": problem.rfc or "", "account_rfc": draft(context).rfc}
    for name_, when in (("valid_from", problem.valid_from), ("valid_until", problem.valid_until)):
        details[name_] = local_date(update, context, when) if when else ""
    await say_refusal(update, context, problem.refusal, **details)


async def receive_document(update: Update, context: BotContext) -> Step | int | None:
    """A file: the certificate or the key, kept in the draft (a second one of a kind
    replaces the first); once both are here, on to the password."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or ""
    try:
        kind = kind_of(document.file_name, document.mime_type, document.file_size)
        data = await download(document, MAX_UPLOAD_BYTES)
    except CsdProblem as problem:
        await delete_caption(update, context)
        await refuse_file(update, context, problem, name)
        return None
    await delete_caption(update, context)
    try:
        if data is None:
            await say_refusal(update, context, Refusal.TOO_LARGE)
            return None
        await take_file(update, context, kind or classify(data), data)
    except CsdProblem as problem:
        await refuse_file(update, context, problem, name)
        return None  # the same step, its question asked again
    return await after_files(update, context)


async def delete_caption(update: Update, context: BotContext) -> None:
    """A document's caption may hold the key's password («contraseña: …»): the message
    goes from the chat (once the file is read), and the person is told why."""
    message = update.effective_message
    if message is None or not message.caption:
        return
    deleted = await delete_quietly(message)
    await say(update, context, "csd.caption-deleted" if deleted else "csd.caption-not-deleted")


async def take_file(update: Update, context: BotContext, kind: FileKind, data: bytes) -> None:
    """Keep the file as what its name says; a certificate named .key, or a key named .cer,
    as what its content is (the name's refusal stands when the content is neither)."""
    try:
        parsed = read_certificate(data) if kind is FileKind.CERTIFICATE else None
        key = read_key(data) if kind is FileKind.KEY else None
    except CsdProblem as problem:
        if problem.refusal not in (Refusal.NOT_A_CERTIFICATE, Refusal.NOT_A_KEY):
            raise
        try:
            actual = classify(data)
        except CsdProblem:
            raise problem from None
        if actual is kind:
            raise
        kind, parsed, key = actual, None, None
    if kind is FileKind.CERTIFICATE:
        await take_certificate(update, context, data, parsed)
    else:
        await take_key(update, context, data, key)


async def take_certificate(
    update: Update, context: BotContext, data: bytes, parsed: Certificate | None = None
) -> None:
    """Keep the certificate. What it alone can tell is said at once, before any password
    is asked for: an e.firma, out of its dates, another RFC."""
    certificate = parsed or read_certificate(data)
    current = draft(context)
    check_certificate(certificate, rfc=current.rfc, now=datetime.now(UTC))
    replaced = current.certificate is not None
    current.certificate = encode(certificate.der)
    current.replacing = None  # a replacement is agreed for a given certificate
    await say(
        update,
        context,
        "csd.certificate-replaced" if replaced else "csd.certificate-received",
        serial=certificate.serial,
        holder=certificate.holder,
    )


async def take_key(
    update: Update, context: BotContext, data: bytes, read: bytes | None = None
) -> None:
    key = read or read_key(data)
    current = draft(context)
    replaced = current.key is not None
    current.key = encode(key)
    await say(update, context, "csd.key-replaced" if replaced else "csd.key-received")


async def receive_text(update: Update, context: BotContext) -> None:
    """Text where files are awaited: it may be the key's password typed too soon, so it
    is deleted, and the files asked for again."""
    deleted = await delete_quietly(update.effective_message)
    await ask_again(update, context, "csd.text-deleted" if deleted else "csd.text-not-deleted")


async def receive_text_at_buttons(update: Update, context: BotContext) -> None:
    """Text where a button is awaited: after the files it may well be the key's password,
    typed before the question was answered, so it is deleted; the question again."""
    deleted = await delete_quietly(update.effective_message)
    await ask_again(
        update, context, "csd.buttons-text-deleted" if deleted else "csd.buttons-text-not-deleted"
    )


async def receive_photo(update: Update, context: BotContext) -> None:
    """A photo (of the certificate, perhaps): no use; the files again."""
    await ask_again(update, context, "csd.photo")


async def receive_sticker(update: Update, context: BotContext) -> None:
    await ask_again(update, context, "csd.sticker")


async def receive_other(update: Update, context: BotContext) -> None:
    """Anything else (a voice note, a contact, a location): the files again."""
    await ask_again(update, context, "csd.other-message")
