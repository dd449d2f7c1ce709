"""Confirmation codes: 40 hexadecimal characters like the portal's, made with `secrets`,
stored only as a SHA-256 digest (they carry 160 random bits, so a fast hash is enough)."""

from __future__ import annotations

import hashlib
import re
import secrets

CONFIRMATION_CODE_LENGTH = 40
DEEP_LINK_PREFIX = "c_"

_EXACT = re.compile(r"(?<![0-9a-f])[0-9a-f]{40}(?![0-9a-f])", re.IGNORECASE)
_RUN = re.compile(r"[0-9a-f]{40,48}", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-]+")


def new_confirmation_code() -> str:
    return secrets.token_hex(CONFIRMATION_CODE_LENGTH // 2)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.lower().encode()).hexdigest()


def code_candidates(text: str) -> list[str]:
    """Possible codes in what a person pasted: with words around it, in any case, or broken
    over lines by a mail program. Most texts give one candidate, a few give up to nine."""
    exact = _EXACT.findall(text)
    if exact:
        return [code.lower() for code in dict.fromkeys(exact)]
    joined = _SEPARATORS.sub("", text).lower()
    found: dict[str, None] = {}
    for match in _RUN.finditer(joined):
        run = match.group()
        for start in range(len(run) - CONFIRMATION_CODE_LENGTH + 1):
            found[run[start : start + CONFIRMATION_CODE_LENGTH]] = None
    return list(found)


def looks_like_code(text: str) -> bool:
    return bool(code_candidates(text))


def deep_link_payload(code: str) -> str:
    """The `start` parameter of the email's t.me link (at most 64 of [A-Za-z0-9_-])."""
    return DEEP_LINK_PREFIX + code


def code_from_payload(payload: str) -> str | None:
    if payload.startswith(DEEP_LINK_PREFIX):
        return payload[len(DEEP_LINK_PREFIX) :]
    return None
