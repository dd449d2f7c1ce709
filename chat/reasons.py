"""Why a value was refused, in words: the one table from the services' reason codes
(`services.validation.Invalid.reason`) to the catalog texts that say them. Services speak
no language, so every handler that refuses a value says its reason through here."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from telegram import Message, Update

from chat.common import say
from chat.context import BotContext
from services.validation import Invalid

# The keys keep the sections where each text was first written: an email, RFC or password
# is refused the same way wherever it is typed (sign-up, sign-in, /reenviar, /recuperar,
# the company's contact email).
REASONS: Mapping[str, str] = MappingProxyType(
    {
        "email.empty": "signup.email.empty",
        "email.spaces": "signup.email.spaces",
        "email.no-at": "signup.email.no-at",
        "email.no-local": "signup.email.no-local",
        "email.bad-domain": "signup.email.bad-domain",
        "email.too-long": "signup.email.too-long",
        "email.invalid": "signup.email.invalid",
        "email.hidden-characters": "signup.email.hidden-characters",
        "rfc.empty": "signup.rfc.empty",
        "rfc.generic": "signup.rfc.generic",
        "rfc.length": "signup.rfc.length",
        "rfc.component": "signup.rfc.component",
        "rfc.format": "signup.rfc.format",
        "rfc.hidden-characters": "signup.rfc.hidden-characters",
        "password.too-short": "signup.password.too-short",
        "password.too-long": "signup.password.too-long",
        "password.is-identity": "signup.password.is-identity",
        "password.common": "signup.password.common",
        "company.razon-social-empty": "company.reason.razon-social-empty",
        "company.razon-social-too-long": "company.reason.razon-social-too-long",
        "company.razon-social-invalid": "company.reason.razon-social-invalid",
        "company.regime-unknown": "company.reason.regime-unknown",
        "company.regime-not-moral": "company.reason.regime-not-moral",
        "company.regime-not-fisica": "company.reason.regime-not-fisica",
        "company.postal-code-format": "company.reason.postal-code-format",
        "company.postal-code-unknown": "company.reason.postal-code-unknown",
        "company.calle-empty": "company.reason.calle-empty",
        "company.calle-too-long": "company.reason.calle-too-long",
        "company.numero-empty": "company.reason.numero-empty",
        "company.numero-too-long": "company.reason.numero-too-long",
        "company.colonia-empty": "company.reason.colonia-empty",
        "company.colonia-too-long": "company.reason.colonia-too-long",
        "company.municipio-empty": "company.reason.municipio-empty",
        "company.municipio-too-long": "company.reason.municipio-too-long",
        "company.estado-empty": "company.reason.estado-empty",
        "company.estado-unknown": "company.reason.estado-unknown",
        "company.phone": "company.reason.phone",
        "company.hidden-characters": "company.reason.hidden-characters",
        "company.razon-social-pipe": "company.reason.razon-social-pipe",
        "company.regime-retired": "company.reason.regime-retired",
        "company.postal-code-placeholder": "company.reason.postal-code-placeholder",
        "company.estado-not-of-postal-code": "company.reason.estado-not-of-postal-code",
        "company.municipio-unknown": "company.reason.municipio-unknown",
        "company.municipio-not-of-postal-code": "company.reason.municipio-not-of-postal-code",
        "company.phone-filler": "company.reason.phone-filler",
        "support.empty": "support.empty",
        "support.too-long": "support.too-long",
        "support.hidden-characters": "support.hidden-characters",
    }
)


def reason_key(error: Invalid) -> str:
    """The catalog key that says why `error`'s value was refused."""
    return REASONS[error.reason]


async def say_reason(update: Update, context: BotContext, error: Invalid) -> Message:
    """Tell the person why the value they typed was refused."""
    return await say(update, context, reason_key(error), **error.values)
