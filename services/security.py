"""Security events: one log line each, under the `services.security` logger, naming the event, the
Telegram user and the account where known, never a password or a code, so that an
operator can grep an attack (`grep 'security event=sign-in-failed'`)."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)


def event(
    name: str, *, user_id: int | None = None, account_id: int | None = None, **details: object
) -> None:
    extra = "".join(f" {key}={value}" for key, value in details.items())
    logger.warning(
        "security event=%s user=%s account=%s%s",
        name,
        "-" if user_id is None else user_id,
        "-" if account_id is None else account_id,
        extra,
    )
