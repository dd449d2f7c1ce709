"""What the start waits out and what it stops at: an outage passes, a wrong setting does
not, and the token is never printed."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
from pathlib import Path

import aiosmtplib
from aiohttp import web

from bot.startup import database_unreachable
from mail.transports import refused_for_good
from storage.crypto import new_key
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:SECRETTOKENVALUE"


def test_a_refused_connection_is_waited_out_but_tls_trouble_is_not() -> None:
    assert database_unreachable(ConnectionRefusedError())
    assert not database_unreachable(ssl.SSLCertVerificationError())
    assert not database_unreachable(
        ConnectionError('PostgreSQL server at "127.0.0.1:5432" rejected SSL upgrade')
    )


def test_a_full_mailbox_is_tried_again_and_an_unknown_one_is_not() -> None:
    assert not refused_for_good(aiosmtplib.SMTPRecipientRefused(552, "mailbox full", "a@b.mx"))
    assert not refused_for_good(aiosmtplib.SMTPRecipientRefused(450, "try later", "a@b.mx"))
    assert refused_for_good(aiosmtplib.SMTPRecipientRefused(550, "no such user", "a@b.mx"))


async def test_a_rejected_token_stops_the_start_without_printing_it(tmp_path: Path) -> None:
    async def unauthorized(request: web.Request) -> web.Response:
        body = {"ok": False, "error_code": 401, "description": "Unauthorized"}
        return web.json_response(body, status=401)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", unauthorized)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "main.py"),
            cwd=tmp_path,
            env={
                "PATH": "/usr/bin:/bin",
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{port}/bot",
                "DATA_ENCRYPTION_KEY": new_key(),
                "SUPPORT_CONTACT": "soporte@example.mx",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    finally:
        await runner.cleanup()
    printed = (out + err).decode()
    assert process.returncode == 1, printed
    assert "rejected TELEGRAM_BOT_TOKEN" in printed
    assert "SECRETTOKENVALUE" not in printed
