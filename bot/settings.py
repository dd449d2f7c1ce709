"""Settings read from the environment or `.env`; built once in main and passed down."""

from __future__ import annotations

import logging
import re
import unicodedata
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from mail.identity import PRIVACY_NOTICE_VERSION, SERVICE_NAME, Operator
from storage.crypto import MIN_KEY_LENGTH

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/bot.sqlite3"
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

# Telegram takes 1-256 characters of this alphabet as a webhook's secret_token; we ask for
# at least 32, so that the header cannot be guessed.
WEBHOOK_SECRET_ALPHABET = re.compile(r"[A-Za-z0-9_-]*")
WEBHOOK_SECRET_MIN_LENGTH = 32
WEBHOOK_SECRET_MAX_LENGTH = 256
_MAKE_SECRET = "make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class SmtpSecurity(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_ignore_empty=True, extra="ignore", frozen=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str = "https://api.telegram.org/file/bot"
    telegram_connection_pool_size: int = Field(default=16, ge=1, le=256)
    # Telegram's limit on the bot's sends a second, shared by all its processes; 0 sends
    # without holding back (a benchmark against an emulator without flood control).
    telegram_sends_per_second: int = Field(default=30, ge=0, le=1000)
    startup_retry_max_seconds: float = Field(default=60, gt=0)

    database_url: str = DEFAULT_DATABASE_URL
    # PostgreSQL: connections one process opens at most; 15 serve the use cases and the
    # rest hold the chats of the updates in hand (as many updates at once, up to 32).
    database_connections: int = Field(default=47, ge=17, le=1000)

    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: SmtpSecurity = SmtpSecurity.STARTTLS
    smtp_timeout_seconds: float = Field(default=30, gt=0)
    mail_from: str | None = None
    mail_outbox_dir: Path = Path("./var/outbox")
    mail_retry_max_seconds: float = Field(default=30, gt=0)
    mail_max_age_hours: float = Field(default=72, gt=0)

    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"  # behind the proxy on the same host
    webhook_port: int = Field(default=8443, ge=1, le=65535)

    confirmation_code_ttl_hours: float = Field(default=72, gt=0)
    session_idle_hours: float = Field(default=24, gt=0)
    human_check_on_signup: bool = False
    admin_telegram_ids: Annotated[tuple[int, ...], NoDecode] = ()
    reset_notify_unknown_email: bool = False
    log_level: str = "INFO"
    data_encryption_key: SecretStr | None = None

    # Who is responsible for the data (named in the aviso de privacidad and every email),
    # how people reach support, and the full aviso de privacidad.
    operator_name: str = Field(default=SERVICE_NAME, min_length=1, max_length=200)
    support_contact: str | None = Field(default=None, max_length=200)
    privacy_notice_url: str | None = None
    privacy_notice_version: str = Field(default=PRIVACY_NOTICE_VERSION, min_length=1, max_length=32)
    mail_reply_to: str | None = None

    @field_validator(
        "operator_name",
        "support_contact",
        "mail_from",
        "mail_reply_to",
        "privacy_notice_url",
        "privacy_notice_version",
        mode="before",
    )
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        # These reach the headers of every email (the sender's name, the subject's service
        # name) or its body: a line break there would fail every email, or add headers.
        if isinstance(value, str) and any(
            unicodedata.category(character) in ("Cc", "Zl", "Zp") for character in value
        ):
            raise ValueError("must not hold a control character (a line break, a tab, NUL)")
        return value

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(
                "not a database URL; expected e.g. sqlite+aiosqlite:///./var/bot.sqlite3 "
                "or postgresql+asyncpg://user@host/db"
            ) from None
        driver = _ASYNC_DRIVERS.get(url.drivername)
        if driver is None:
            raise ValueError(
                f"unsupported driver {url.drivername!r}; use sqlite+aiosqlite or postgresql+asyncpg"
            )
        return url.set(drivername=driver).render_as_string(hide_password=False)

    @field_validator("admin_telegram_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(" ", "").split(",") if part)
        return value

    @field_validator("data_encryption_key")
    @classmethod
    def _long_keys(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            keys = [key.strip() for key in value.get_secret_value().split(",")]
            if not all(len(key) >= MIN_KEY_LENGTH for key in keys):
                raise ValueError(
                    f"each key must be at least {MIN_KEY_LENGTH} random characters "
                    "(make one with: python main.py new-key)"
                )
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.upper()
        if not isinstance(logging.getLevelNamesMapping().get(level), int):
            raise ValueError("expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("webhook_secret")
    @classmethod
    def _strong_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # The reasons never quote the value: it is a secret.
        if value is None:
            return None
        secret = value.get_secret_value()
        if not WEBHOOK_SECRET_ALPHABET.fullmatch(secret):
            raise ValueError(f"only A-Z, a-z, 0-9, _ and - are allowed; {_MAKE_SECRET}")
        if len(secret) < WEBHOOK_SECRET_MIN_LENGTH:
            raise ValueError(f"at least {WEBHOOK_SECRET_MIN_LENGTH} characters; {_MAKE_SECRET}")
        if len(secret) > WEBHOOK_SECRET_MAX_LENGTH:
            raise ValueError(f"at most {WEBHOOK_SECRET_MAX_LENGTH} characters (Telegram's limit)")
        return value

    @field_validator("telegram_api_base_url", "telegram_api_file_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("privacy_notice_url")
    @classmethod
    def _https_notice(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"https://[^\s<>\"']+", value):
            raise ValueError("must be an https:// address")
        return value

    @field_validator("mail_reply_to")
    @classmethod
    def _reply_address(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+", value):
            raise ValueError("must be one email address, e.g. soporte@example.com")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.smtp_host and not self.mail_from:
            raise ValueError("MAIL_FROM is required when SMTP_HOST is set")
        if self.webhook_url and "/" not in self.webhook_url.split("://", 1)[-1].strip("/"):
            raise ValueError(
                "WEBHOOK_URL needs a path after the host (e.g. https://bot.example.com/telegram): "
                "its path is the path the bot serves"
            )
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
        return self

    @property
    def operator(self) -> Operator:
        return Operator(
            name=self.operator_name,
            support_contact=self.support_contact,
            privacy_notice_url=self.privacy_notice_url,
            privacy_notice_version=self.privacy_notice_version,
            reply_to=self.mail_reply_to,
        )

    @property
    def emails_via_smtp(self) -> bool:
        return bool(self.smtp_host)

    @property
    def sender(self) -> str:
        return self.mail_from or "no-reply@localhost"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def describe_error(error: ValidationError) -> str:
    """One line per bad setting, named as in the environment."""
    lines = []
    for item in error.errors():
        name = "_".join(str(part) for part in item["loc"]).upper() or "settings"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{name}: {message}" if item["loc"] else message)
    return "; ".join(lines)
