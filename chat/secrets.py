"""When the bot last asked for a secret (or read one), kept in the chat's state: for a while
after, a message no flow takes may still be one (typed after a lock, /cancelar or a
timeout closed its question), so it is deleted all the same (chat.common.delete_late_secret).
The questions whose answer is a secret are each flow's `secret_prompts` (chat.registry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chat.context import BotContext

# How long after its question a stray message is taken for a possible secret: the
# natural next step after «intenta de nuevo en 15 min» is typing the password again.
SECRET_WINDOW = timedelta(minutes=10)


def note_secret(context: BotContext) -> None:
    """A secret was just asked for or read."""
    context.chat.secret_asked_at = datetime.now(UTC).isoformat()


def forget_secret(context: BotContext) -> None:
    """Another question was asked since: a message now answers it, not the secret's."""
    context.chat.secret_asked_at = None


def secret_recent(context: BotContext) -> bool:
    stamp = context.chat.secret_asked_at
    if stamp is None:
        return False
    try:
        asked = datetime.fromisoformat(stamp)
    except ValueError:
        return False
    return datetime.now(UTC) - asked < SECRET_WINDOW
