"""Settings: the names of DESIGN.md, and a one-line reason for a bad value."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, describe_error
from storage.crypto import new_key

ROOT = Path(__file__).resolve().parents[2]


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_match_the_design() -> None:
    s = settings()
    assert s.telegram_bot_token is None
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.telegram_api_file_url == "https://api.telegram.org/file/bot"
    assert s.database_url.startswith("sqlite+aiosqlite:///") and "var/" in s.database_url
    assert s.smtp_port == 587 and s.smtp_security == "starttls"
    assert str(s.mail_outbox_dir) == "var/outbox" and s.log_level == "INFO"


def test_environment_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:hush-hush")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/x")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.mx")
    monkeypatch.setenv("MAIL_FROM", "f@example.mx")
    monkeypatch.setenv("SMTP_SECURITY", "tls")
    s = settings()
    assert s.telegram_bot_token.get_secret_value() == "1:hush-hush"
    assert "hush-hush" not in repr(s)
    assert s.database_url == "postgresql+asyncpg://u@db/x"
    assert s.smtp_security == "tls" and s.emails_via_smtp


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        ({"database_url": "not a url"}, "DATABASE_URL: not a database URL"),
        ({"database_url": "mysql://x/y"}, "DATABASE_URL: unsupported driver"),
        ({"smtp_port": "seventy"}, "SMTP_PORT"),
        ({"smtp_security": "ssl"}, "SMTP_SECURITY"),
        ({"log_level": "LOUD"}, "LOG_LEVEL"),
        ({"smtp_host": "smtp.example.mx"}, "MAIL_FROM is required"),
        ({"webhook_url": "https://bot.example.mx/hook"}, "WEBHOOK_SECRET is required"),
        ({"webhook_url": "https://bot.example.mx/"}, "WEBHOOK_URL needs a path"),
        ({"webhook_secret": "corto-pero-valido"}, "WEBHOOK_SECRET: at least 32"),
        ({"webhook_secret": "x" * 31}, "WEBHOOK_SECRET: at least 32"),
        ({"webhook_secret": "x" * 257}, "WEBHOOK_SECRET: at most 256"),
        ({"webhook_secret": "con espacios y acentos á " * 2}, "WEBHOOK_SECRET: only A-Z"),
        ({"webhook_secret": "a" * 32 + "!"}, "WEBHOOK_SECRET: only A-Z"),
    ],
)
def test_bad_values_have_a_one_line_reason(values: dict, fragment: str) -> None:
    with pytest.raises(ValidationError) as error:
        settings(**values)
    reason = describe_error(error.value)
    assert fragment in reason and "\n" not in reason


@pytest.mark.parametrize(
    "name",
    [
        "operator_name",
        "support_contact",
        "mail_from",
        "mail_reply_to",
        "privacy_notice_url",
        "privacy_notice_version",
    ],
)
@pytest.mark.parametrize("control", ["\r\nBcc: x@example.mx", "\n", "\x00", "\t", "\u2028"])
def test_a_control_character_in_what_reaches_an_email_is_refused(name: str, control: str) -> None:
    good = {
        "operator_name": "Facturas SA",
        "support_contact": "soporte@example.mx",
        "mail_from": "f@example.mx",
        "mail_reply_to": "soporte@example.mx",
        "privacy_notice_url": "https://example.mx/aviso",
        "privacy_notice_version": "2026-12-01",
    }
    assert getattr(settings(**{name: good[name]}), name) == good[name]
    with pytest.raises(ValidationError) as error:
        settings(**{name: good[name] + control})
    reason = describe_error(error.value)
    assert f"{name.upper()}: " in reason and "control character" in reason
    assert "\n" not in reason and "Bcc" not in reason


def test_a_strong_webhook_secret_is_accepted_and_a_weak_one_is_not_echoed() -> None:
    strong = "Abc_-0123456789" * 3
    s = settings(webhook_url="https://bot.example.mx/hook", webhook_secret=strong)
    assert s.webhook_secret.get_secret_value() == strong
    with pytest.raises(ValidationError) as error:
        settings(webhook_secret="mi secreto con espacios que es largo")
    assert "mi secreto" not in describe_error(error.value)


@pytest.mark.parametrize(
    ("environment", "name"),
    [
        ({"DATABASE_URL": "::nonsense::"}, "DATABASE_URL"),
        (
            {"WEBHOOK_URL": "https://bot.example.mx/hook", "WEBHOOK_SECRET": "s3cr3t-token"},
            "WEBHOOK_SECRET",
        ),
    ],
)
def test_main_stops_with_one_line_for_a_bad_setting(
    tmp_path: Path, environment: dict[str, str], name: str
) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "1:x", **environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert name in result.stderr and "Traceback" not in result.stderr


# An unreachable database is waited for, not a bad setting: tests/e2e/test_startup.py.


def test_main_without_a_data_key_stops_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "1:x"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("main.py: DATA_ENCRYPTION_KEY is required")
    assert result.stderr.strip().count("\n") == 0


def test_main_with_a_token_and_no_support_contact_stops_with_one_line(tmp_path: Path) -> None:
    # The aviso de privacidad and the emails send people to /soporte: a bot serving
    # Telegram must give a way to reach a person.
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py")],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "TELEGRAM_BOT_TOKEN": "1:x",
            "DATA_ENCRYPTION_KEY": new_key(),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("main.py: SUPPORT_CONTACT is required")
    assert result.stderr.strip().count("\n") == 0


def test_a_short_data_key_is_refused() -> None:
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, data_encryption_key="too short")  # type: ignore[call-arg]
    assert "DATA_ENCRYPTION_KEY" in describe_error(raised.value)


@pytest.mark.parametrize("command", ["new-key", "--generate-key"])
def test_new_key_prints_a_key_that_settings_accept(command: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    key = result.stdout.strip()
    assert result.returncode == 0 and len(key) >= 32
    assert Settings(_env_file=None, data_encryption_key=key).data_encryption_key  # type: ignore[call-arg]
