"""Putting an email in the outbox, inside the caller's transaction. Its bodies are sealed,
since a confirmation or reset email carries a code that must not lie readable in the
database; delivery opens them, and blanks them once the message is sent or given up."""

from __future__ import annotations

from datetime import datetime
from email.utils import make_msgid

from sqlalchemy.ext.asyncio import AsyncSession

from mail.templates import EmailContent
from storage import repositories
from storage.crypto import SecretBox
from storage.models import OutboxMessage


class Outbox:
    def __init__(self, *, sender: str, box: SecretBox) -> None:
        self.sender = sender
        self._box = box

    async def add(
        self,
        *,
        session: AsyncSession,
        recipient: str,
        content: EmailContent,
        expires_at: datetime | None = None,
    ) -> None:
        """Queue a message. `expires_at`: when what it carries stops working, after which
        it is not worth sending. The Message-ID is fixed now, so a retry carries the same."""
        domain = self.sender.rpartition("@")[2] or "localhost"
        await repositories.add_outbox_message(
            session=session,
            message=OutboxMessage(
                message_id=make_msgid(domain=domain),
                recipient=recipient,
                subject=content.subject,
                text_body=self._box.seal(content.text),
                html_body=self._box.seal(content.html),
                expires_at=expires_at,
            ),
        )

    def content(self, row: OutboxMessage) -> EmailContent:
        """What a queued message says."""
        return EmailContent(
            subject=row.subject,
            text=self._box.open(row.text_body),
            html=self._box.open(row.html_body),
        )
