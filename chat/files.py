"""A document's bytes, downloaded only when Telegram says (or turns out to be) small enough."""

from __future__ import annotations

from telegram import Document
from telegram.error import BadRequest


async def download(document: Document, limit: int) -> bytes | None:
    """The document's bytes; None when it is bigger than `limit`, found out before the
    download whenever Telegram tells the size (and checked again on what arrived)."""
    try:
        file = await document.get_file()
    except BadRequest as error:
        if "too big" in error.message.lower():  # Telegram's getFile stops at 20 MB
            return None
        raise
    if file.file_size is not None and file.file_size > limit:
        return None
    data = bytes(await file.download_as_bytearray())
    return data if len(data) <= limit else None
