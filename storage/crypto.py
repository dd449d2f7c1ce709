"""Secrets at rest: text sealed with DATA_ENCRYPTION_KEY (Fernet: AES-128-CBC with an
HMAC-SHA256 tag), so that whoever reads the database does not read what it seals."""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MIN_KEY_LENGTH = 32
_PREFIX = "enc1:"


class UnreadableSecret(ValueError):
    """Sealed with a key this process does not have (or tampered with)."""


def new_key() -> str:
    """A fresh key, as `python main.py` prints it for DATA_ENCRYPTION_KEY."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _fernet(key: str) -> Fernet:
    """A Fernet key as given, or one derived from any long random string (HKDF)."""
    try:
        if len(base64.urlsafe_b64decode(key.encode())) == 32:
            return Fernet(key.encode())
    except (binascii.Error, ValueError):
        pass
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"cfdi-bot data key"
    ).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


class SecretBox:
    """Seals with the first key and opens with any of them, so that a key can be rotated:
    put the new one first and keep the old one after it until old rows are gone."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([_fernet(key) for key in keys])
        self._sealing_key = keys[0]

    def derived_key(self, purpose: str) -> bytes:
        """A key of its own for `purpose` (HKDF of the sealing key): every process with
        DATA_ENCRYPTION_KEY holds the same one in memory, and it is written nowhere."""
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=f"cfdi-bot {purpose}".encode()
        ).derive(self._sealing_key.encode())

    @classmethod
    def from_setting(cls, value: str) -> SecretBox:
        return cls([part.strip() for part in value.split(",") if part.strip()])

    def seal(self, text: str) -> str:
        return _PREFIX + self._fernet.encrypt(text.encode()).decode()

    def open(self, stored: str) -> str:
        """The sealed text; a value stored before sealing existed is returned as it is."""
        if not stored.startswith(_PREFIX):
            return stored
        try:
            return self._fernet.decrypt(stored[len(_PREFIX) :].encode()).decode()
        except InvalidToken:
            raise UnreadableSecret("sealed with another DATA_ENCRYPTION_KEY") from None
