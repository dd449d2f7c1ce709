"""Putting an email in the outbox, inside the caller's transaction. Its bodies are sealed,
since a confirmation or reset email carries a code that must not lie readable in the
database; delivery opens them, and blanks them once the message is sent or given up."""

from __future__ import annotations

import json
from datetime import datetime
from email.utils import formataddr, make_msgid

from sqlalchemy.ext.asyncio import AsyncSession

from mail.identity import BotLinks, Operator
from mail.templates import EmailContent, Letter
from storage import repositories
from storage.crypto import SecretBox
from storage.models import OutboxMessage


class Outbox:
    def __init__(
        self,
        *,
        sender: str,
        box: SecretBox,
        operator: Operator | None = None,
        links: BotLinks | None = None,
    ) -> None:
        self.sender = sender
        self.operator = operator or Operator()
        # The bot every email names (its @username and t.me link), known once it said getMe.
        self.links = links or BotLinks()
        self._box = box

    @property
    def from_header(self) -> str:
        """The sender as people see it: the operator's name and the sending address."""
        return formataddr((self.operator.name, self.sender))

    async def add(
        self,
        *,
        session: AsyncSession,
        recipient: str,
        content: Letter,
        expires_at: datetime | None = None,
    ) -> None:
        """Queue a message, written now for the operator. `expires_at`: when what it
        carries stops working, after which it is not worth sending. The Message-ID is
        fixed now, so a retry carries the same."""
        email = content.render(self.operator, bot_username=self.links.username)
        domain = self.sender.rpartition("@")[2] or "localhost"
        # Reply-To travels sealed with the HTML: the text says "reply to this email" only
        # when it was set, so the header must be the one of the moment the text was written.
        html = json.dumps({"html": email.html, "reply_to": email.reply_to})
        await repositories.add_outbox_message(
            session=session,
            message=OutboxMessage(
                message_id=make_msgid(domain=domain),
                recipient=recipient,
                subject=email.subject,
                text_body=self._box.seal(email.text),
                html_body=self._box.seal(html),
                expires_at=expires_at,
            ),
        )

    def content(self, row: OutboxMessage) -> EmailContent:
        """What a queued message says."""
        html, reply_to = self._box.open(row.html_body), None
        if html.startswith("{"):  # rows queued before Reply-To existed hold the bare HTML
            sealed = json.loads(html)
            html, reply_to = sealed["html"], sealed["reply_to"]
        return EmailContent(
            subject=row.subject, text=self._box.open(row.text_body), html=html, reply_to=reply_to
        )
