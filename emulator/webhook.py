"""Webhook delivery, as Telegram does it: once a bot has set a webhook, each update is
POSTed to it with the bot's `secret_token` in X-Telegram-Bot-Api-Secret-Token, and
delivered again until the bot answers 2xx. The webhook's public URL reaches the bot's
processes through `routes` (a test's load balancer): one address, or several taken in
turn (round-robin), each POST taking the next.

Up to the webhook's `max_connections` POSTs are in flight at once, but the updates of one
queue go one after another: the next only once the one before was answered 2xx. A refused
delivery (not 2xx, or no answer) keeps its place: it is tried again after RETRY_SECONDS
and its queue's later updates wait behind it; other queues go on meanwhile. The queues are
the Bot API server's (telegram-bot-api, the webhook_queue_id of each add_update): a
chat's messages, edits and channel posts share one; a person's button presses are another,
apart from their chat's messages; the bot's own membership changes in a chat, members'
changes, reactions and so on have their own (`queue_of`). An update of none goes any time.

An update leaves the bot's queue (`BotAccount.updates`, getWebhookInfo's
pending_update_count) once answered 2xx, which may be out of order across queues."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector

from emulator.markup import Json
from emulator.world import BotAccount

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
RETRY_SECONDS = 0.2  # Telegram waits longer; the tests need not
# setWebhook's max_connections: the Bot API server takes a value out of range as the
# nearest of these (Client::get_webhook_max_connections), and 40 when it is left out.
MIN_CONNECTIONS, MAX_CONNECTIONS, DEFAULT_CONNECTIONS = 1, 100, 40


def max_connections(given: object) -> int:
    """setWebhook's max_connections as the Bot API server takes it."""
    if given is None or given == "":
        return DEFAULT_CONNECTIONS
    try:
        number = int(str(given))
    except ValueError:
        number = 0  # the server reads a non-number as 0
    return min(max(number, MIN_CONNECTIONS), MAX_CONNECTIONS)


# Update kind -> (the field holding the chat or person, the path to its id), for the
# queues the Bot API server keeps.
_QUEUES: dict[str, tuple[str, ...]] = {
    "message": ("chat", "id"),
    "edited_message": ("chat", "id"),
    "channel_post": ("chat", "id"),
    "edited_channel_post": ("chat", "id"),
    "callback_query": ("from", "id"),
    "inline_query": ("from", "id"),
    "chosen_inline_result": ("from", "id"),
    "my_chat_member": ("chat", "id"),
    "chat_member": ("old_chat_member", "user", "id"),
    "chat_join_request": ("from", "id"),
    "chat_boost": ("chat", "id"),
    "removed_chat_boost": ("chat", "id"),
    "message_reaction": ("chat", "id"),
    "message_reaction_count": ("chat", "id"),
    "poll": ("id",),
    "poll_answer": ("poll_id",),
}
# Kinds that share a queue in the Bot API server: a chat's messages, edits and posts; a
# member's changes and join requests.
_SHARED = {
    "edited_message": "message",
    "channel_post": "message",
    "edited_channel_post": "message",
    "chat_join_request": "chat_member",
    "removed_chat_boost": "chat_boost",
}


def queue_of(update: Json) -> Hashable:
    """The delivery queue of an update: its updates go one after another."""
    for kind, path in _QUEUES.items():
        if kind in update:
            value: Any = update[kind]
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if value is not None:
                return (_SHARED.get(kind, kind), value)
    return ("update", update["update_id"])  # a queue of its own


class WebhookDelivery:
    def __init__(self, bot: BotAccount, routes: Mapping[str, Sequence[str]]) -> None:
        self._bot = bot
        self._routes = routes
        self._turn = itertools.count()
        self._task: asyncio.Task[None] | None = None
        self._posts: set[asyncio.Task[None]] = set()
        self._busy: set[Hashable] = set()  # queues with an update in flight or to retry
        self._posting = 0  # POSTs awaiting their answer (connections in use)
        self._answered_below = 0  # above every update_id answered 2xx
        # setWebhook's: at most this many POSTs in flight at once.
        self.max_connections = DEFAULT_CONNECTIONS
        # (address, update_id, HTTP status or 0 for no answer) of each POST made.
        self.log: list[tuple[str, int, int]] = []

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._deliver(), name="emulator-webhook")

    async def stop(self) -> None:
        """Stop delivering; a POST in flight is dropped unanswered (its update stays)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _webhook(self) -> dict[str, Any]:
        return self._bot.properties.get("webhook") or {}

    def _next(self) -> Json | None:
        """The oldest update whose queue is free, while a connection is."""
        if self._posting >= self.max_connections:
            return None
        for update in self._bot.updates:
            if queue_of(update) not in self._busy:
                return update
        return None

    async def _deliver(self) -> None:
        bot = self._bot
        connector = TCPConnector(limit=0)  # max_connections is counted here, not there
        async with ClientSession(connector=connector, timeout=ClientTimeout(total=10)) as client:
            try:
                while True:
                    async with bot.arrived:
                        await bot.arrived.wait_for(lambda: bot.closing or bool(self._next()))
                        if bot.closing:
                            return
                        update = self._next()
                        assert update is not None
                        webhook = self._webhook()
                        targets = self._routes.get(str(webhook.get("url", "")), ())
                        if targets:
                            queue = queue_of(update)
                            self._busy.add(queue)
                            self._posting += 1
                    if not targets:
                        await asyncio.sleep(RETRY_SECONDS)  # nothing answers there yet
                        continue
                    address = targets[next(self._turn) % len(targets)]
                    headers = {}
                    if webhook.get("secret_token"):
                        headers[SECRET_HEADER] = str(webhook["secret_token"])
                    post = asyncio.create_task(
                        self._post(client, address, headers, update, queue),
                        name=f"emulator-webhook-post-{update['update_id']}",
                    )
                    self._posts.add(post)
                    post.add_done_callback(self._posts.discard)
            finally:
                posts = list(self._posts)
                for post in posts:
                    post.cancel()
                await asyncio.gather(*posts, return_exceptions=True)
                self._busy.clear()
                self._posting = 0

    async def _post(
        self,
        client: ClientSession,
        address: str,
        headers: dict[str, str],
        update: Json,
        queue: Hashable,
    ) -> None:
        bot = self._bot
        try:
            async with client.post(address, json=update, headers=headers) as response:
                status = response.status
        except (ClientError, TimeoutError):
            status = 0
        self.log.append((address, update["update_id"], status))
        async with bot.arrived:
            self._posting -= 1
            if 200 <= status < 300:
                bot.updates = [u for u in bot.updates if u is not update]
                self._acknowledge(update["update_id"])
                self._busy.discard(queue)
            bot.arrived.notify_all()
        if not 200 <= status < 300:
            await asyncio.sleep(RETRY_SECONDS)  # the queue waits behind this one
            async with bot.arrived:
                self._busy.discard(queue)
                bot.arrived.notify_all()

    def _acknowledge(self, update_id: int) -> None:
        """Telegram has forgotten the updates below the oldest one still pending; the
        answers of other queues do not move past one still waiting for its own."""
        bot = self._bot
        self._answered_below = max(self._answered_below, update_id + 1)
        pending = [u["update_id"] for u in bot.updates]
        below = min(pending) if pending else self._answered_below
        bot.acknowledged_below = max(bot.acknowledged_below, below)
