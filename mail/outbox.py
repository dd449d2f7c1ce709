"""Putting an email in the outbox, inside the caller's transaction."""

from __future__ import annotations

from email.utils import make_msgid

from sqlalchemy.ext.asyncio import AsyncSession

from mail.templates import EmailContent
from storage import repositories
from storage.models import OutboxMessage


async def enqueue(
    *, session: AsyncSession, recipient: str, content: EmailContent, sender: str
) -> None:
    """The Message-ID is fixed now, so a retried delivery carries the same one."""
    domain = sender.rpartition("@")[2] or "localhost"
    await repositories.add_outbox_message(
        session=session,
        message=OutboxMessage(
            message_id=make_msgid(domain=domain),
            recipient=recipient,
            subject=content.subject,
            text_body=content.text,
            html_body=content.html,
        ),
    )
