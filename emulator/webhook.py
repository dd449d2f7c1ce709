"""Webhook delivery, as Telegram does it: once a bot has set a webhook, each update is
POSTed to it with the bot's `secret_token` in X-Telegram-Bot-Api-Secret-Token, oldest
first, and delivered again until the bot answers 2xx. The webhook's public URL reaches the
bot's processes through `routes` (a test's load balancer): one address, or several taken
in turn (round-robin)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Mapping, Sequence

from aiohttp import ClientError, ClientSession, ClientTimeout

from emulator.world import BotAccount

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_SECONDS = 0.2  # Telegram waits longer; the tests need not


class WebhookDelivery:
    def __init__(self, bot: BotAccount, routes: Mapping[str, Sequence[str]]) -> None:
        self._bot = bot
        self._routes = routes
        self._turn = itertools.count()
        self._task: asyncio.Task[None] | None = None
        # (address, update_id, HTTP status or 0 for no answer) of each POST made.
        self.log: list[tuple[str, int, int]] = []

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._deliver(), name="emulator-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _deliver(self) -> None:
        bot = self._bot
        async with ClientSession(timeout=ClientTimeout(total=10)) as client:
            while True:
                async with bot.arrived:
                    await bot.arrived.wait_for(lambda: bool(bot.updates) or bot.closing)
                    if bot.closing:
                        return
                    update = bot.updates[0]
                webhook = bot.properties.get("webhook") or {}
                targets = self._routes.get(str(webhook.get("url", "")), ())
                if not targets:
                    await asyncio.sleep(RETRY_SECONDS)  # nothing answers there yet
                    continue
                address = targets[next(self._turn) % len(targets)]
                headers = {}
                if webhook.get("secret_token"):
                    headers[SECRET_HEADER] = str(webhook["secret_token"])
                try:
                    async with client.post(address, json=update, headers=headers) as response:
                        status = response.status
                except (ClientError, TimeoutError):
                    status = 0
                self.log.append((address, update["update_id"], status))
                if 200 <= status < 300:
                    async with bot.arrived:
                        bot.updates = [u for u in bot.updates if u is not update]
                        bot.acknowledged_below = max(
                            bot.acknowledged_below, update["update_id"] + 1
                        )
                else:
                    await asyncio.sleep(RETRY_SECONDS)
