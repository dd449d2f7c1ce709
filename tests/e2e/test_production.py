"""What an operator relies on: both languages, the command menu, webhook mode, /stats."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys

import httpx
import pytest

from tests import journeys
from tests.e2e.conftest import ROOT, TOKEN, WEBHOOK_SECRET, Harness, in_webhook_mode, make_settings
from tests.factories import RFC_MORAL, outbox_when, text_part


@pytest.mark.parametrize(
    ("language", "subject", "label"),
    [
        ("es", "Confirma tu cuenta", "Código de confirmación:"),
        ("en", "Confirm your", "Confirmation code:"),
    ],
)
async def test_sign_up_and_confirm_in_each_language(
    bot: Harness, smtp, language: str, subject: str, label: str
) -> None:
    """Each step in the person's language (Telegram's), as its catalog writes it."""
    person = bot.person(language_code="en-US" if language == "en" else "es-MX")
    done = await journeys.confirmed(
        person, smtp.mailbox, "ana@example.mx", RFC_MORAL, language=language
    )
    assert ("Felicidades" if language == "es" else "Congratulations") in done.text
    [email] = smtp.mailbox.messages
    assert subject in email["Subject"]
    assert label in text_part(email)


async def test_idioma_switches_language_and_is_remembered(bot: Harness, smtp) -> None:
    ana = bot.person(language_code="es")
    await ana.send("/idioma")
    choose = await ana.expect("Choose your language")
    assert choose.button_texts() == ["🇲🇽 Español", "🇺🇸 English"]  # each in its own words
    await ana.press("English")
    assert "in English" in (await ana.expect("English")).text
    await ana.send("/registro")
    await ana.expect("email address")
    await bot.stop()
    await bot.start()
    await ana.send("ana@example.mx")
    await ana.expect("Now type the")
    await ana.send("/idioma")
    await ana.press("Español")
    await ana.expect("en español")
    await ana.expect("RFC")  # the question in hand, now in Spanish


async def test_commands_and_descriptions_are_set_in_both_languages(bot: Harness) -> None:
    account = bot.emulator.bot(TOKEN)
    default = json.dumps({"type": "default"}, sort_keys=True)
    spanish = {c["command"]: c["description"] for c in account.commands[(default, "")]}
    english = {c["command"]: c["description"] for c in account.commands[(default, "en")]}
    assert set(spanish) >= {"start", "registro", "confirmar", "empresa", "recuperar"}
    assert set(english) >= {"start", "signup", "confirm", "company", "reset"}
    assert len(english) == len(spanish)
    assert spanish["registro"] == "Crear una cuenta" and english["signup"] == "Create an account"
    assert "Facturación" in account.properties[("description", "")]
    assert "Telegram" in account.properties[("short", "en")]


async def test_webhook_needs_the_secret_header(harness: Harness, smtp) -> None:
    port = in_webhook_mode(harness, "https://bot.example.mx/hooks/telegram-hook")
    await harness.start()
    webhook = harness.emulator.bot(TOKEN).properties["webhook"]
    assert webhook == {
        "url": "https://bot.example.mx/hooks/telegram-hook",
        "secret_token": WEBHOOK_SECRET,
    }
    ana = harness.person()
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": ana.chat.id, "type": "private", "first_name": "Ana"},
            "from": {"id": ana.user.id, "is_bot": False, "first_name": "Ana"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    url = f"http://127.0.0.1:{port}/hooks/telegram-hook"  # the whole path, as proxies forward it
    async with httpx.AsyncClient() as client:
        for headers in (
            {},
            {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            {
                "X-Telegram-Bot-Api-Secret-Token": b"wr\xf3ng"  # a byte that is not UTF-8
            },
        ):
            refused = await client.post(url, json=update, headers=headers)
            assert refused.status_code == 403
        secret = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        for body in ("null", "[1, 2]", "not json"):  # with the secret, yet no update
            unreadable = await client.post(url, content=body, headers=secret)
            assert unreadable.status_code == 400
        accepted = await client.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        )
        assert accepted.status_code == 200
    hello = await ana.reply()
    assert "Hola, Ana" in hello.text
    # The chat's updates are answered in order: one refused but taken would come first.
    assert ana.bot_messages() == [hello]


@pytest.mark.postgres
async def test_stats_for_admins_only_in_chat_and_on_the_command_line(
    emulator, database_url, smtp, tmp_path
) -> None:
    admin_id = 555_000_111
    settings = make_settings(emulator, database_url, smtp).model_copy(
        update={"admin_telegram_ids": (admin_id,)}
    )
    harness = Harness(emulator, settings, tmp_path)
    await harness.start()
    try:
        await journeys.confirmed(harness.person(), smtp.mailbox, "ana@example.mx")
        smtp.mailbox.refused.add("nadie@example.mx")
        await journeys.sign_up(harness.person(), "nadie@example.mx")
        await outbox_when(database_url, lambda rows: any(row.given_up_at for row in rows))
        stranger = harness.person()
        await stranger.send("/stats")
        assert "No estoy seguro" in (await stranger.reply()).text
        admin = harness.person(user_id=admin_id)
        await admin.send("/stats")
        report = await admin.reply()
        assert "Embudo de alta" in report.text
        assert "Cuentas creadas: 2 / 2 / 2" in report.text  # ana's and nadie's
        assert "Cuentas confirmadas: 1 / 1 / 1" in report.text
        assert "Por enviar: 0" in report.text
        assert "Abandonados (dirección rechazada o demasiado viejos): 1" in report.text
    finally:
        await harness.stop()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "main.py"),
        "stats",
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": database_url, "TELEGRAM_BOT_TOKEN": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    stdout = out.decode()
    assert stdout.splitlines()[0] == f"database: {database_url}"
    lines = {line.split("  ")[0].strip(): line.split()[-3:] for line in stdout.splitlines()[1:]}
    assert lines["sign-ups started"] == ["2", "2", "2"]
    assert lines["accounts confirmed"] == ["1", "1", "1"]
    assert lines["resets completed"] == ["0", "0", "0"]
    assert "mail pending    0" in stdout and "mail given up   1" in stdout


async def test_stats_from_a_folder_without_the_database_says_where_it_looked(tmp_path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "main.py"),
        "stats",
        cwd=tmp_path,
        env={**os.environ, "DATABASE_URL": "", "TELEGRAM_BOT_TOKEN": ""},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 1
    assert f"no database at {tmp_path.resolve() / 'var' / 'bot.sqlite3'}" in err.decode()
    assert out == b""
    assert list(tmp_path.iterdir()) == []  # no empty database made
