"""Delivery of the outbox over a real SMTP server (aiosmtpd) and to .eml files."""

from __future__ import annotations

import asyncio
import email
import stat
from collections.abc import Callable
from datetime import datetime, timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from mail.delivery import CLAIM_FOR, MailDelivery, backoff
from mail.identity import Operator
from mail.outbox import Outbox
from mail.templates import confirmation_email, reset_code_email, signup_attempt_email
from mail.transports import FileTransport, SmtpTransport
from storage import repositories
from storage.crypto import SecretBox, new_key
from storage.db import create_engine, create_session_factory, migrate
from storage.models import OutboxMessage, utcnow
from tests.conftest import SmtpServer
from tests.factories import Clock, html_part, text_part
from tests.mail.reading import read_html

# The outbox's claims, retries and batches are the database's behaviour.
pytestmark = pytest.mark.postgres

OUTBOX = Outbox(sender="f@example.mx", box=SecretBox([new_key()]))


async def put_confirmation(
    sessions: async_sessionmaker[AsyncSession], recipient: str = "ana@example.mx"
) -> None:
    content = confirmation_email(
        language="es",
        email=recipient,
        rfc="GODE561231GR8",
        code="a" * 40,
        link="https://t.me/cfdi_bot?start=c_" + "a" * 40,
        ttl_hours=72,
    )
    async with sessions() as session, session.begin():
        await OUTBOX.add(session=session, recipient=recipient, content=content)


async def stored(sessions: async_sessionmaker[AsyncSession]) -> OutboxMessage:
    async with sessions() as session:
        row = await session.scalar(select(OutboxMessage))
    assert row is not None
    return row


def delivery_over(
    sessions: async_sessionmaker[AsyncSession],
    transport: SmtpTransport | FileTransport,
    clock: Callable[[], datetime] = utcnow,
) -> MailDelivery:
    return MailDelivery(
        sessions=sessions,
        transport=transport,
        outbox=OUTBOX,
        retry_cap_seconds=30,
        clock=clock,
    )


def smtp_transport(server: SmtpServer) -> SmtpTransport:
    return SmtpTransport(
        host="127.0.0.1", port=server.port, security="none", username=None, password=None, timeout=5
    )


async def test_smtp_delivery_sends_text_and_html_and_marks_sent(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    await put_confirmation(sessions)
    delivery = delivery_over(sessions, smtp_transport(smtp))
    assert await delivery.deliver_due() == 1
    [message] = await smtp.mailbox.wait(1)
    assert message["To"] == "ana@example.mx" and "f@example.mx" in message["From"]
    assert message["Subject"] == "Confirma tu cuenta de Facturación Electrónica por Internet"
    grouped = " ".join(["a" * 8] * 5)  # as a phone can wrap it
    assert "Código de confirmación: " + grouped in text_part(message)
    assert grouped in [td.text() for td in read_html(html_part(message)).body.cells()]
    assert message["Reply-To"] is None  # MAIL_REPLY_TO is not set
    row = await stored(sessions)
    assert row.sent_at is not None and message["Message-ID"] == row.message_id
    assert await delivery.deliver_due() == 0  # nothing is sent twice


async def test_more_than_a_batch_is_sent_in_one_pass_one_connection_a_batch(
    sessions: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("mail.delivery.BATCH_SIZE", 2)
    for _ in range(5):
        await put_confirmation(sessions)
    delivery = delivery_over(sessions, smtp_transport(smtp))
    assert await delivery.deliver_due() == 5
    assert len(await smtp.mailbox.wait(5)) == 5
    assert len(set(smtp.mailbox.peers)) == 3  # batches of 2, 2 and 1
    assert await delivery.deliver_due() == 0


async def row_to(sessions: async_sessionmaker[AsyncSession], recipient: str) -> OutboxMessage:
    async with sessions() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == recipient)
        )
    assert row is not None
    return row


async def test_a_permanently_refused_address_is_given_up_and_never_retried(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    smtp.mailbox.refused.add("nadie@example.mx")
    await put_confirmation(sessions, "ana@example.mx")
    await put_confirmation(sessions, "nadie@example.mx")
    await put_confirmation(sessions, "beto@example.mx")
    clock = Clock()
    delivery = delivery_over(sessions, smtp_transport(smtp), clock)
    assert await delivery.deliver_due() == 2
    assert [m["To"] for m in await smtp.mailbox.wait(2)] == ["ana@example.mx", "beto@example.mx"]
    dead = await row_to(sessions, "nadie@example.mx")
    assert dead.sent_at is None and dead.given_up_at is not None and dead.attempts == 1
    assert dead.last_error is not None and "550" in dead.last_error and dead.text_body == ""
    assert "given up after 1 attempts: recipient refused for good (550" in caplog.text
    clock.advance(minutes=5)
    assert await delivery.deliver_due() == 0
    assert smtp.mailbox.asked.count("nadie@example.mx") == 1  # never asked again


async def test_a_message_that_cannot_be_built_is_given_up_and_the_rest_go_out(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    broken = "mala@example.mx\r\nBcc: otro@example.mx"  # no To header can hold it
    for recipient in ("ana@example.mx", broken, "beto@example.mx"):
        await put_confirmation(sessions, recipient)
    delivery = delivery_over(sessions, smtp_transport(smtp))
    assert await delivery.deliver_due() == 2
    assert [m["To"] for m in await smtp.mailbox.wait(2)] == ["ana@example.mx", "beto@example.mx"]
    dead = await row_to(sessions, broken)
    assert dead.sent_at is None and dead.given_up_at is not None and dead.text_body == ""
    assert f"email {dead.id} given up after 0 attempts: could not be built" in caplog.text
    await put_confirmation(sessions, "carla@example.mx")  # later mail still goes out
    assert await delivery.deliver_due() == 1
    assert smtp.mailbox.asked.count("otro@example.mx") == 0


async def test_a_refused_recipient_does_not_close_the_connection_of_its_pass(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    smtp.mailbox.refused.add("nadie@example.mx")
    smtp.mailbox.deferred.add("luego@example.mx")
    for recipient in ("ana@example.mx", "nadie@example.mx", "luego@example.mx", "beto@example.mx"):
        await put_confirmation(sessions, recipient)
    assert await delivery_over(sessions, smtp_transport(smtp)).deliver_due() == 2
    await smtp.mailbox.wait(2)
    assert len(set(smtp.mailbox.peers)) == 1  # ana and beto over one connection


async def test_a_temporary_refusal_is_retried_with_backoff(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    smtp.mailbox.deferred.add("ana@example.mx")
    await put_confirmation(sessions, "ana@example.mx")
    clock = Clock()
    delivery = delivery_over(sessions, smtp_transport(smtp), clock)
    assert await delivery.deliver_due() == 0
    row = await stored(sessions)
    assert row.given_up_at is None and row.attempts == 1 and "450" in (row.last_error or "")
    assert row.next_attempt_at == clock.now + timedelta(seconds=1)
    smtp.mailbox.deferred.clear()
    clock.advance(seconds=1)
    assert await delivery.deliver_due() == 1
    assert [m["To"] for m in await smtp.mailbox.wait(1)] == ["ana@example.mx"]


async def test_mail_older_than_the_maximum_age_is_given_up_and_logged(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    await put_confirmation(sessions)
    clock = Clock()
    delivery = MailDelivery(
        sessions=sessions,
        transport=smtp_transport(smtp),
        outbox=OUTBOX,
        retry_cap_seconds=30,
        max_age=timedelta(hours=72),
        clock=clock,
    )
    clock.advance(hours=72, seconds=1)  # SMTP was failing all this while
    assert await delivery.deliver_due() == 0
    row = await stored(sessions)
    assert row.given_up_at is not None and row.sent_at is None and row.text_body == ""
    assert "still undelivered after 72 hours" in caplog.text
    assert smtp.mailbox.asked == []


async def test_fresh_mail_is_sent_before_retries(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    bouncing = [f"rebota{n}@example.mx" for n in range(100)]
    smtp.mailbox.deferred.update(bouncing)
    for recipient in bouncing:
        await put_confirmation(sessions, recipient)
    assert await delivery_over(sessions, smtp_transport(smtp)).deliver_due() == 0
    async with sessions() as session, session.begin():
        # Their retries fell due an hour ago (SMTP was down): long before the fresh mail.
        await session.execute(
            update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(hours=1))
        )
    await put_confirmation(sessions, "nueva@example.mx")
    smtp.mailbox.asked.clear()
    assert await delivery_over(sessions, smtp_transport(smtp)).deliver_due() == 1
    assert smtp.mailbox.asked[0] == "nueva@example.mx"


async def test_fresh_mail_overtakes_a_pass_of_retries_in_progress(
    sessions: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("mail.delivery.WAKE_GRACE_SECONDS", 0.0)
    bouncing = [f"rebota{n}@example.mx" for n in range(30)]
    smtp.mailbox.deferred.update(bouncing)
    smtp.mailbox.refusal_delay = 0.05  # a slow server: a pass of 30 retries takes 1.5 s
    for recipient in bouncing:
        await put_confirmation(sessions, recipient)
    delivery = delivery_over(sessions, smtp_transport(smtp))
    delivery.start()
    try:
        # The first pass tries each once; the second (retries, after 1 s) is under way.
        await smtp.mailbox.wait_asked(len(bouncing) + 2)
        await put_confirmation(sessions, "nueva@example.mx")
        delivery.wake()
        asked_before = len(smtp.mailbox.asked)
        await smtp.mailbox.wait(1)
    finally:
        await delivery.stop()
    retries_in_between = smtp.mailbox.asked.index("nueva@example.mx") - asked_before
    assert retries_in_between <= 1  # at most the one in hand when it came


async def test_fresh_mail_waits_for_the_update_that_queued_it_then_goes_at_once(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chat's reply to a step goes out before the mail that step queued (sending must
    not slow the reply, which would tell a registered address from an unregistered one),
    and the mail goes as soon as the update is done, not after the longest pause."""
    monkeypatch.setattr("mail.delivery.WAKE_GRACE_SECONDS", 60.0)
    delivery = delivery_over(sessions, smtp_transport(smtp))
    delivery.start()
    mailed_before_reply: list[bool] = []

    async def update_that_mails() -> None:
        await put_confirmation(sessions)
        delivery.wake()
        for _ in range(20):  # the reply takes a while: the mail does not overtake it
            await asyncio.sleep(0.005)
        mailed_before_reply.append(bool(smtp.mailbox.messages))

    try:
        await asyncio.create_task(update_that_mails())
        await smtp.mailbox.wait(1, timeout=10)  # long before the pause's 60 s
    finally:
        await delivery.stop()
    assert mailed_before_reply == [False]


async def test_smtp_down_keeps_the_message_and_retries_at_its_next_attempt(
    sessions: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await put_confirmation(sessions)
    clock = Clock()
    delivery = delivery_over(sessions, smtp_transport(smtp_server), clock=clock)
    assert await delivery.deliver_due() == 0
    row = await stored(sessions)
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    assert row.next_attempt_at == clock.now + timedelta(seconds=1)

    smtp_server.start()
    assert await delivery.deliver_due() == 0  # SMTP is back, but the retry is not due yet
    assert smtp_server.mailbox.messages == []
    clock.advance(seconds=1)
    assert await delivery.deliver_due() == 1
    assert len(await smtp_server.mailbox.wait(1)) == 1


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 30).total_seconds() for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff(50, 30) == timedelta(seconds=30)


async def test_without_smtp_mail_is_written_as_eml_files(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    await put_confirmation(sessions)
    outbox_dir = tmp_path / "outbox"
    seen = []
    delivery = delivery_over(sessions, FileTransport(outbox_dir))
    delivery.listeners.append(seen.append)
    assert await delivery.deliver_due() == 1
    [path] = list(outbox_dir.glob("*.eml"))
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["To"] == "ana@example.mx"
    assert "a" * 40 in text_part(message)  # type: ignore[arg-type]
    assert len(seen) == 1
    # A message may carry a code: only the bot's owner may read it.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(outbox_dir.stat().st_mode) == 0o700


async def test_a_sealed_body_is_blanked_once_sent(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    await put_confirmation(sessions)
    pending = await stored(sessions)
    assert pending.text_body.startswith("enc1:") and "a" * 40 not in pending.text_body
    assert await delivery_over(sessions, smtp_transport(smtp)).deliver_due() == 1
    assert "a" * 40 in text_part((await smtp.mailbox.wait(1))[0])
    sent = await stored(sessions)
    assert (sent.text_body, sent.html_body) == ("", "")


async def test_mail_whose_code_expired_is_given_up_unsent(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    clock = Clock()
    content = confirmation_email(
        language="es",
        email="ana@example.mx",
        rfc="GODE561231GR8",
        code="b" * 40,
        link="https://t.me/cfdi_bot?start=c_" + "b" * 40,
        ttl_hours=72,
    )
    async with sessions() as session, session.begin():
        await OUTBOX.add(
            session=session,
            recipient="ana@example.mx",
            content=content,
            expires_at=clock.now + timedelta(minutes=15),
        )
    clock.advance(minutes=15, seconds=1)  # SMTP was down all this while
    delivery = delivery_over(sessions, smtp_transport(smtp), clock)
    assert await delivery.deliver_due() == 0
    given_up = await stored(sessions)
    assert given_up.given_up_at is not None and given_up.text_body == ""
    assert await delivery.deliver_due() == 0  # not tried again
    assert smtp.mailbox.messages == []


async def test_the_operator_signs_the_mail_and_reply_to_goes_where_a_reply_is_invited(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    operator = Operator(name="Timbres del Norte", reply_to="ayuda@timbres.example")
    outbox = Outbox(
        sender="no-reply@timbres.example", box=SecretBox([new_key()]), operator=operator
    )
    async with sessions() as session, session.begin():
        invites = signup_attempt_email(language="es", email="ana@example.mx")
        await outbox.add(session=session, recipient="ana@example.mx", content=invites)
        code = reset_code_email(language="es", code="K7PX-3MQA")
        await outbox.add(session=session, recipient="beto@example.mx", content=code)
    delivery = MailDelivery(
        sessions=sessions, transport=smtp_transport(smtp), outbox=outbox, retry_cap_seconds=30
    )
    assert await delivery.deliver_due() == 2
    attempt, reset = await smtp.mailbox.wait(2)
    assert attempt["From"] == "Timbres del Norte <no-reply@timbres.example>"
    assert attempt["Reply-To"] == "ayuda@timbres.example"
    assert "Responde a este correo" in text_part(attempt)
    assert reset["From"] == attempt["From"] and reset["Reply-To"] is None
    assert "Responde" not in text_part(reset)


async def test_mail_queued_before_the_layout_is_still_delivered_as_it_was_written(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    box = SecretBox([new_key()])
    async with sessions() as session, session.begin():
        session.add(
            OutboxMessage(
                message_id="<old@example.mx>",
                recipient="ana@example.mx",
                subject="Confirma tu cuenta",
                text_body=box.seal("Hola: " + "d" * 40),
                html_body=box.seal("<p>Hola: <code>" + "d" * 40 + "</code></p>"),
            )
        )
    outbox = Outbox(sender="f@example.mx", box=box, operator=Operator(reply_to="r@example.mx"))
    delivery = MailDelivery(
        sessions=sessions, transport=smtp_transport(smtp), outbox=outbox, retry_cap_seconds=30
    )
    assert await delivery.deliver_due() == 1
    [message] = await smtp.mailbox.wait(1)
    assert html_part(message).strip() == "<p>Hola: <code>" + "d" * 40 + "</code></p>"
    assert "d" * 40 in text_part(message) and message["Reply-To"] is None


async def test_two_delivery_loops_on_one_database_send_each_email_once(
    database_url: str, smtp: SmtpServer
) -> None:
    """Two processes' delivery loops at once (two engines on one database): each claims
    what it sends, so every email goes out once."""
    engines = [create_engine(database_url) for _ in range(2)]
    try:
        await migrate(engines[0])
        first, second = (create_session_factory(engine) for engine in engines)
        for n in range(12):
            await put_confirmation(first, f"persona{n}@example.mx")
        sent = await asyncio.gather(
            delivery_over(first, smtp_transport(smtp)).deliver_due(),
            delivery_over(second, smtp_transport(smtp)).deliver_due(),
        )
        assert sum(sent) == 12
        messages = await smtp.mailbox.wait(12)
        assert sorted(m["To"] for m in messages) == sorted(
            f"persona{n}@example.mx" for n in range(12)
        )
    finally:
        for engine in engines:
            await engine.dispose()


async def test_an_email_claimed_by_a_loop_that_never_reports_back_is_sent_by_another(
    sessions: async_sessionmaker[AsyncSession], smtp: SmtpServer
) -> None:
    await put_confirmation(sessions)
    clock = Clock()
    async with sessions() as session, session.begin():  # a process claims it, then dies
        now = clock()
        claimed = await repositories.claim_due_outbox_messages(
            session=session, now=now, limit=5, until=now + CLAIM_FOR
        )
    assert [row.recipient for row in claimed] == ["ana@example.mx"]
    other = delivery_over(sessions, smtp_transport(smtp), clock=clock)
    assert await other.deliver_due() == 0  # claimed: not taken meanwhile
    clock.advance(seconds=CLAIM_FOR.total_seconds() + 1)
    assert await other.deliver_due() == 1
    [message] = await smtp.mailbox.wait(1)
    assert message["To"] == "ana@example.mx"
