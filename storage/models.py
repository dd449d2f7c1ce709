"""SQLAlchemy models: accounts, codes, chat sessions, the mail outbox, rate-limit events,
conversation state, pending changes of an account's address and the issuer's CSD."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite hands back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    rfc: Mapped[str] = mapped_column(String(13))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="es")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Until the account is confirmed it has no owner: each sign-up for the address replaces
    # the pending credentials and names the Telegram user who made it, and only that user's
    # chat can use the code it mailed.
    signup_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The aviso de privacidad accepted at sign-up (its version) and when.
    privacy_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class ConfirmationCode(Base):
    __tablename__ = "confirmation_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_confirmation_codes_account_id", "account_id"),)


class ChatSession(Base):
    """A private chat signed in to an account."""

    __tablename__ = "chat_sessions"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_chat_sessions_account_id", "account_id"),)


class KnownChat(Base):
    """A chat where an account has been signed in: failures of strangers do not lock it."""

    __tablename__ = "known_chats"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    last_signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OutboxMessage(Base):
    """An email waiting for (or done with) delivery; written with the change it reports.
    Its bodies are encrypted at rest and blanked once sent or given up, since they may hold
    a code."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    text_body: Mapped[str] = mapped_column(Text)
    html_body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    given_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)


class RateEvent(Base):
    """One counted attempt (a wrong code, a resend) under a rate-limit key."""

    __tablename__ = "rate_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_rate_events_key_at", "key", "at"),)


class JobRun(Base):
    """When a periodic job (housekeeping) last ran: claimed by one process a period."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChatDataRow(Base):
    """A chat's record: its flow and step, drafts and last question, sealed, as JSON."""

    __tablename__ = "chat_data"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The steps PTB's conversations kept before the step moved into `data` (migration
    # 0013), by flow name: read once, when the chat's next update finds no step in `data`.
    steps: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class InboxUpdate(Base):
    """An update taken from Telegram, kept until the update is processed: stored before the
    next getUpdates acknowledges it (or before the webhook answers 200), marked done in the
    transaction that writes its chat's record. Done rows keep their update_id for a day, so
    that an update Telegram delivers again is recognised and not processed twice."""

    __tablename__ = "inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The update's JSON sealed with DATA_ENCRYPTION_KEY (it may hold a typed password);
    # None once done.
    payload: Mapped[str | None] = mapped_column(Text, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The process (bot_processes.id) that stored it or adopted it from a process gone;
    # None for an update stored before processes had owners.
    owner: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Times its processing failed after its retries; such an update waits for another
    # owner (a restart) instead of holding its chat's later updates back.
    failures: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")

    __table_args__ = (
        Index("ix_inbox_done_at", "done_at", "update_id"),
        Index(
            "ix_inbox_chat",
            "chat_id",
            "update_id",
            postgresql_where=text("done_at IS NULL"),
            sqlite_where=text("done_at IS NULL"),
        ),
    )


class BotProcess(Base):
    """A running bot process: it beats (`seen_at`) every few seconds while it lives and
    deletes its row when it stops; a row not seen for a while is a process that died."""

    __tablename__ = "bot_processes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128))  # host and pid, for the operator
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Company(Base):
    """The issuer's fiscal data for CFDI 4.0, one row per account."""

    __tablename__ = "companies"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    razon_social: Mapped[str] = mapped_column(String(254))
    regimen_fiscal: Mapped[str] = mapped_column(String(3))
    codigo_postal: Mapped[str] = mapped_column(String(5))
    calle: Mapped[str] = mapped_column(String(100))
    numero_exterior: Mapped[str] = mapped_column(String(30))
    numero_interior: Mapped[str | None] = mapped_column(String(30), nullable=True)
    colonia: Mapped[str] = mapped_column(String(100))
    colonia_clave: Mapped[str | None] = mapped_column(String(4), nullable=True)
    municipio: Mapped[str] = mapped_column(String(100))
    # SAT's c_Municipio code; NULL in rows saved before it was kept (read from the name).
    municipio_clave: Mapped[str | None] = mapped_column(String(3), nullable=True)
    estado: Mapped[str] = mapped_column(String(100))
    telefono: Mapped[str] = mapped_column(String(10))
    correo_contacto: Mapped[str] = mapped_column(String(254))
    # NULL only in rows saved before it was asked; /empresa asks it before saving again.
    lugar_expedicion: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # The Constancia de Situación Fiscal the data was read from, when it was (its PDF is
    # not kept): SAT's idCIF and the day SAT issued it. NULL for data typed.
    id_cif: Mapped[str | None] = mapped_column(String(15), nullable=True)
    csf_emitida: Mapped[date | None] = mapped_column(Date(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class HumanCheck(Base):
    """One tap-the-symbol challenge shown to a person (the chat's CAPTCHA)."""

    __tablename__ = "human_checks"

    token: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    answer: Mapped[int] = mapped_column(Integer)  # the position of the right button
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ResetCode(Base):
    """A one-time password-reset code (XXXX-XXXX), stored as an argon2 hash. One row per
    request, bound to the chat that asked; an address without an account gets a row too
    (with no account), so that both cases do the same work and answer alike."""

    __tablename__ = "reset_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True
    )
    chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Its code was mailed at the request of a chat the account has never been signed in
    # to: a later stranger's request shares it instead of mailing another. A code asked
    # in the owner's own chat, or one never mailed, is never shared.
    shareable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index("ix_reset_codes_account_id", "account_id"),
        Index("ix_reset_codes_chat_id", "chat_id"),
    )


class FunnelEvent(Base):
    """One step of onboarding that happened (for `main.py stats` and /stats)."""

    __tablename__ = "funnel_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (Index("ix_funnel_events_kind_at", "kind", "at"),)


class EmailChange(Base):
    """A pending change of an account's address: a one-time code (XXXX-XXXX, argon2-hashed)
    mailed to the new address, typed in the chat that asked. A request for an address that
    another account holds gets a row too, whose code is mailed to nobody, so that both
    cases do the same work and answer alike."""

    __tablename__ = "email_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    new_email: Mapped[str] = mapped_column(String(254))
    # The address it replaced, once done: a deletion of the account finds the mail that
    # went there (kept as long as this row, KEEP_SENT_MAIL).
    old_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_email_changes_account_id", "account_id"),)


# The tables of one-time codes typed in the chat (services/one_time_codes.py): each row has
# the code's hash, its expiry, the tries counted, when it was used and the account it is for.
OneTimeCodeRow = TypeVar("OneTimeCodeRow", ResetCode, EmailChange)


class Csd(Base):
    """The issuer's Certificado de Sello Digital, one per account: the certificate, the key
    still encrypted as SAT issued it, and its password sealed with DATA_ENCRYPTION_KEY
    (never plaintext). The reminders' times keep each expiry email to one."""

    __tablename__ = "csds"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    serial: Mapped[str] = mapped_column(String(64))
    rfc: Mapped[str] = mapped_column(String(13))
    holder: Mapped[str] = mapped_column(String(254))
    branch: Mapped[str | None] = mapped_column(String(254), nullable=True)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime())
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime())
    key_der: Mapped[bytes] = mapped_column(LargeBinary)
    password_sealed: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reminded_30_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminded_7_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (Index("ix_csds_valid_until", "valid_until"),)


class SupportRequest(Base):
    """A problem written with /soporte, for a person to answer: who wrote it (the Telegram
    user, the chat and, when signed in, the account), in which language, and its text
    sealed with DATA_ENCRYPTION_KEY (it may hold personal data). `handled_at` is set when
    an admin marks it handled."""

    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True
    )
    text_sealed: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    __table_args__ = (
        Index("ix_support_requests_open", "handled_at", "created_at"),
        Index("ix_support_requests_account_id", "account_id"),
    )
