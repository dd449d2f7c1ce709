"""Who runs the service, as people are told in the chat and in every email: the operator
responsible for their data, how to reach support, the aviso de privacidad, and the bot
itself (its @username, so that a wary person can tell an email of ours from phishing)."""

from __future__ import annotations

from dataclasses import dataclass

# The service's name: a proper name, the same in every language (and the sender's name).
SERVICE_NAME = "Facturación Electrónica por Internet"
# The version of the aviso de privacidad shipped in the catalogs; an account records the
# version it accepted (an operator with a notice of its own sets PRIVACY_NOTICE_VERSION).
PRIVACY_NOTICE_VERSION = "2026-12-04"


@dataclass(frozen=True, slots=True)
class Operator:
    name: str = SERVICE_NAME
    support_contact: str | None = None
    privacy_notice_url: str | None = None
    privacy_notice_version: str = PRIVACY_NOTICE_VERSION
    reply_to: str | None = None


class BotLinks:
    """t.me links to the bot; the username is known once the bot has said getMe (before
    any update is read, so before any email is written)."""

    def __init__(self, username: str | None = None) -> None:
        self.username = username

    def start_link(self, payload: str) -> str:
        return f"https://t.me/{self.username or 'bot'}?start={payload}"
