"""Files in the emulated Telegram: what people send (documents, photos, stickers) and what
bots upload, with Telegram's limits on what a bot may download.

Telegram tells a bot a document's name, MIME type and size in the update, before any
download; `getFile` refuses files over 20 MB ("file is too big") and otherwise gives a path
under /file/bot<token>/ that serves the bytes. A test may declare a size without building
the bytes (a 20 MB upload costs nothing), and count what a bot fetched."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

# What a bot may download through the Bot API (Telegram's "up to 20 MB").
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

# The MIME types Telegram's clients announce, by extension (mostly what Telegram Desktop
# sends); anything else comes as application/octet-stream, as from most phones.
MIME_TYPES = {
    "cer": "application/x-x509-ca-cert",
    "crt": "application/x-x509-ca-cert",
    "pem": "application/x-pem-file",
    "key": "application/octet-stream",
    "pdf": "application/pdf",
    "zip": "application/zip",
    "txt": "text/plain",
    "xml": "text/xml",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
}


def mime_type_of(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return MIME_TYPES.get(suffix, "application/octet-stream")


@dataclass
class StoredFile:
    file_id: str
    name: str
    data: bytes | None  # None: only a size was declared (the bytes are zeros if fetched)
    size: int
    mime_type: str

    @property
    def unique_id(self) -> str:
        return f"u{self.file_id}"

    @property
    def content(self) -> bytes:
        return self.data if self.data is not None else bytes(self.size)

    def path(self) -> str:
        suffix = self.name.rsplit(".", 1)[-1] if "." in self.name else "bin"
        return f"documents/{self.file_id}.{suffix}"

    def document(self) -> dict[str, object]:
        """The `document` of a message, as Telegram gives it."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.unique_id,
            "file_name": self.name,
            "mime_type": self.mime_type,
            "file_size": self.size,
        }


class FileStore:
    """Every file of the emulator, and how often a bot asked for and fetched each."""

    def __init__(self) -> None:
        self._files: dict[str, StoredFile] = {}
        self._ids = itertools.count(1)
        self.get_file_calls: Counter[str] = Counter()  # getFile per file_id, refused or not
        self.downloads: Counter[str] = Counter()  # bytes served per file_id

    def add(
        self,
        name: str,
        data: bytes | None,
        *,
        size: int | None = None,
        mime_type: str | None = None,
    ) -> StoredFile:
        file_id = f"file{next(self._ids)}"
        stored = StoredFile(
            file_id=file_id,
            name=name,
            data=data,
            size=size if size is not None else len(data or b""),
            mime_type=mime_type or mime_type_of(name),
        )
        self._files[file_id] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def __contains__(self, file_id: object) -> bool:
        return file_id in self._files

    def fetched(self, file_id: str) -> int:
        """How many times a bot asked for this file (getFile) or downloaded it."""
        return self.get_file_calls[file_id] + self.downloads[file_id]
