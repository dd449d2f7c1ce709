"""The bot's Bot API transport (aiohttp) as PTB uses it: messages, buttons, file uploads and
downloads against the emulator, and PTB's errors when the server fails."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.transport import AiohttpRequest
from emulator import BotApiEmulator, Person

TOKEN = "42:transport-test"


def bot_on(base_url: str, file_url: str = "", **timeouts: float) -> Bot:
    return Bot(
        TOKEN,
        base_url=base_url,
        base_file_url=file_url or base_url,
        request=AiohttpRequest(4, **timeouts),
        get_updates_request=AiohttpRequest(1, **timeouts),
    )


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: nothing listens there


@contextlib.asynccontextmanager
async def started(request: AiohttpRequest) -> AsyncIterator[AiohttpRequest]:
    await request.initialize()
    try:
        yield request
    finally:
        await request.shutdown()


async def test_messages_buttons_and_updates_go_through(emulator: BotApiEmulator) -> None:
    ana = Person(emulator, TOKEN)
    async with bot_on(emulator.base_url, emulator.file_url) as bot:
        assert (await bot.get_me()).is_bot
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Sí ✅", callback_data="yes")]])
        await bot.send_message(ana.chat.id, "¿Todo bien? ñ & = %", reply_markup=keyboard)
        assert (await ana.reply()).text == "¿Todo bien? ñ & = %"
        await ana.press("Sí")
        [update] = await bot.get_updates(timeout=5)
        assert update.callback_query.data == "yes"


async def test_files_upload_and_download(emulator: BotApiEmulator) -> None:
    ana = Person(emulator, TOKEN)
    async with bot_on(emulator.base_url, emulator.file_url) as bot:
        sent = await bot.send_document(ana.chat.id, b"%PDF-1.4 datos", filename="constancia.pdf")
        assert sent.document.file_name == "constancia.pdf"
        file = await bot.get_file(sent.document.file_id)
        assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 datos"


async def test_telegram_errors_stay_telegram_errors(emulator: BotApiEmulator) -> None:
    async with bot_on(emulator.base_url) as bot:
        with pytest.raises(BadRequest, match=r"(?i)chat not found"):
            await bot.send_message(123, "hola")


async def test_a_server_that_is_not_there_is_a_network_error() -> None:
    port = closed_port()
    async with started(AiohttpRequest(1)) as request:
        with pytest.raises(NetworkError):
            await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")


async def test_a_server_that_does_not_answer_times_out() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with started(AiohttpRequest(1, read_timeout=0.3)) as request:
            with pytest.raises(TimedOut):
                await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    finally:
        server.close()


async def test_a_proxy_from_the_environment_is_used(
    emulator: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As with PTB's httpx client: HTTP_PROXY carries the request (here the emulator plays
    the proxy for a host that does not exist)."""
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{emulator.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with started(AiohttpRequest(1)) as request:
        answer = await request.post(f"http://api.telegram.invalid/bot{TOKEN}/getMe")
    assert answer["is_bot"] is True


async def test_no_proxy_goes_direct(
    emulator: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    async with started(AiohttpRequest(1)) as request:
        answer = await request.post(f"{emulator.base_url}{TOKEN}/getMe")
    assert answer["is_bot"] is True
