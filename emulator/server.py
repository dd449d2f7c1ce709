"""The Bot API over HTTP on loopback: `/bot<token>/<method>` and `/file/bot<token>/<path>`.

Requests may be JSON, form-encoded (PTB's way: every non-string value JSON-encoded) or
multipart; answers are Telegram's `{"ok": ...}` envelopes and error texts."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web
from aiohttp.web import FileField

from emulator import chats as _chats  # noqa: F401  (fills the table)
from emulator import methods as _methods  # noqa: F401  (fills the table)
from emulator import profile as _profile  # noqa: F401  (fills the table)
from emulator.files import FileStore
from emulator.flood import FloodControl, FloodLimits, counts
from emulator.registry import METHODS, Params
from emulator.webhook import WebhookDelivery
from emulator.world import ApiError, BotAccount, Message, User, bad_request

logger = logging.getLogger(__name__)


class BotApiEmulator:
    """Holds the emulated world and serves it; `people` (emulator.people) acts in it."""

    def __init__(self, flood_limits: FloodLimits | None = None) -> None:
        self.bots: dict[str, BotAccount] = {}
        self.files = FileStore()
        self._bot_ids = itertools.count(7_000_000_001)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.message_listeners: list[Callable[[Message, str], None]] = []
        # Telegram's limits on sends (emulator.flood); None answers every send.
        self.flood: FloodControl | None = FloodControl(flood_limits) if flood_limits else None
        # A webhook's public URL -> the addresses that serve it (emulator.webhook), and the
        # delivery of each bot that set one.
        self.webhook_routes: dict[str, list[str]] = {}
        self.webhooks: dict[str, WebhookDelivery] = {}

    @property
    def too_many_requests(self) -> int:
        """How many sends were refused with 429 so far, of every bot."""
        return self.flood.refused if self.flood else 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def bot(self, token: str) -> BotAccount:
        """The bot behind a token; any token is accepted and names a new bot."""
        account = self.bots.get(token)
        if account is None:
            number = next(self._bot_ids)
            user = User(
                id=number, first_name="Facturación", username=f"cfdi{number}_bot", is_bot=True
            )
            account = BotAccount(token=token, user=user)
            self.bots[token] = account
        return account

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        logger.info("Bot API emulator on %s", self.base_url)

    async def stop(self) -> None:
        for account in self.bots.values():
            await account.close()
        for delivery in self.webhooks.values():
            await delivery.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def store_file(
        self,
        name: str,
        data: bytes | None,
        *,
        size: int | None = None,
        mime_type: str | None = None,
    ) -> str:
        """Keep a file (its bytes, or only a declared `size`); returns its file_id."""
        return self.files.add(name, data, size=size, mime_type=mime_type).file_id

    def notify(self, message: Message, event: str) -> None:
        for listener in self.message_listeners:
            listener(message, event)

    async def _handle_method(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        function = METHODS.get(name.lower())
        if function is None:
            logger.error("emulator: unsupported method %s", name)
            return _envelope_error(ApiError(404, f"Not Found: method {name} is not emulated"))
        try:
            params = await _read_params(request)
            token = request.match_info["token"]
            self._log_request(token, name, params)
            if self.flood is not None and counts(name):
                self.flood.admit(token, _chat_id(params))
            result = await function(self, self.bot(token), params)
        except ApiError as error:
            return _envelope_error(error)
        return web.json_response({"ok": True, "result": result})

    def _log_request(self, token: str, name: str, params: Params) -> None:
        """Note a request that names a chat of the bot in that chat's log (`Chat.requests`),
        refused or not: Telegram's limits, and the bot's rate limiter, count it."""
        chat_id = _chat_id(params)
        chat = self.bot(token).chats.get(chat_id) if chat_id is not None else None
        if chat is not None:
            chat.requests.append((len(chat.updates), name))

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1].split(".", 1)[0]
        stored = self.files.get(file_id)
        if stored is None or stored.path() != path:
            return web.Response(status=404, text="Not Found")
        self.files.downloads[file_id] += 1
        return web.Response(body=stored.content)


def _envelope_error(error: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": error.code, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.code)


def _chat_id(params: Params) -> int | None:
    """The chat a send goes to; a username (@channel) or none counts only overall."""
    try:
        return int(params["chat_id"])
    except (KeyError, TypeError, ValueError):
        return None


async def _read_params(request: web.Request) -> Params:
    if request.method == "GET":
        return {key: _decode(value) for key, value in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        return body
    form = await request.post()
    params: Params = {}
    for key, value in form.items():
        params[key] = value if isinstance(value, FileField) else _decode(value)
    return params


def _decode(value: str | bytes | bytearray) -> Any:
    """PTB sends every non-string parameter JSON-encoded; plain strings stay strings."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, (dict, list, bool, int, float)) else value


async def serve_forever(port: int = 0) -> BotApiEmulator:  # pragma: no cover - manual use
    emulator = BotApiEmulator()
    await emulator.start(port)
    await asyncio.Event().wait()
    return emulator
