"""Webhook mode's HTTP server: Telegram's updates on the webhook's path, and `GET /healthz`
for the proxy or orchestrator in front.

PTB's own webhook server (tornado, started by `Updater.start_webhook`) takes no other
route, so this serves both with aiohttp, doing what PTB's handler does: a request without
the secret header is refused with 403 and never processed, an update that cannot be read
gets 400, and an accepted one is stored in the inbox (bot.intake) before the 200, or
answered 503 while the bot is full, which Telegram delivers again later."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.ext import Application

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookServer:
    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        *,
        path: str,
        secret: str,
        healthy: Callable[[], Awaitable[dict[str, str]]],
        receive: Callable[[Sequence[Update]], Awaitable[bool]],
    ) -> None:
        self._application = application
        self._secret = secret.encode()
        self._healthy = healthy
        self._receive = receive
        app = web.Application()
        app.router.add_post(f"/{path.strip('/')}", self._update)
        app.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(app, access_log=None)

    async def start(self, *, host: str, port: int) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        logger.info("webhook server listening on %s:%d", host, port)

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _update(self, request: web.Request) -> web.Response:
        # Headers arrive as text with undecodable bytes escaped: encode them back as sent.
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret):
            return web.json_response({"error": "forbidden"}, status=403)
        try:
            data = json.loads(await request.read())
            if not isinstance(data, dict):
                raise TypeError("an update is a JSON object")
            update = Update.de_json(data, self._application.bot)
        except Exception:
            logger.warning("webhook: a request whose body is not an update was refused")
            return web.json_response({"error": "not an update"}, status=400)
        # Stored before Telegram hears it arrived; while the bot is full, or the database
        # cannot store it, a retryable status makes Telegram deliver it again later.
        try:
            taken = await self._receive([update])
        except Exception:
            logger.exception("webhook: update %s not stored; Telegram retries", update.update_id)
            taken = False
        if not taken:
            return web.json_response(
                {"error": "busy, try again later"}, status=503, headers={"Retry-After": "5"}
            )
        return web.json_response({"ok": True})

    async def _health(self, request: web.Request) -> web.Response:
        try:
            state = await asyncio.wait_for(self._healthy(), timeout=5)
        except TimeoutError:
            state = {"database": "no answer in 5 s"}
        ok = all(value in ("ok", "running") for value in state.values())
        return web.json_response(state, status=200 if ok else 503)
