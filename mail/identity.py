"""Who runs the service, as people are told in the chat and in every email: the operator
responsible for their data, how to reach support, and the aviso de privacidad."""

from __future__ import annotations

from dataclasses import dataclass

# The service's name: a proper name, the same in every language (and the sender's name).
SERVICE_NAME = "Facturación Electrónica por Internet"
# The version of the aviso de privacidad shipped in the catalogs; an account records the
# version it accepted (an operator with a notice of its own sets PRIVACY_NOTICE_VERSION).
PRIVACY_NOTICE_VERSION = "2026-11-30"


@dataclass(frozen=True, slots=True)
class Operator:
    name: str = SERVICE_NAME
    support_contact: str | None = None
    privacy_notice_url: str | None = None
    privacy_notice_version: str = PRIVACY_NOTICE_VERSION
    reply_to: str | None = None
