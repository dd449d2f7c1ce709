"""Webhook delivery as the Bot API server makes it: several deliveries in flight at once
(up to the webhook's max_connections), one chat's updates one after another (the next
only once the previous was answered 2xx), a refused one delivered again in its place."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from aiohttp import web

from emulator import BotApiEmulator, Person

TOKEN = "42:webhook-test"
PUBLIC_URL = "https://bot.example.mx/hook"


class Endpoint:
    """A bot's webhook on loopback that notes each POST as it arrives and as it is
    answered: 200, unless the test holds an update's answer or refuses an update once."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []  # ("arrived" | "answered", update_id)
        self.held: dict[int, asyncio.Event] = {}  # update_id -> set when answered
        self.refuse_once: set[int] = set()  # update_ids answered 500 the first time
        self.open = 0
        self.most_open = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.address = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._update)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.address = f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    async def stop(self) -> None:
        for gate in self.held.values():
            gate.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def hold(self, update_id: int) -> asyncio.Event:
        """Hold the answer to an update until the returned event is set."""
        return self.held.setdefault(update_id, asyncio.Event())

    def arrivals(self) -> list[int]:
        return [update_id for event, update_id in self.events if event == "arrived"]

    async def until(self, condition: Callable[[], bool], timeout: float = 5) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)

    async def note(self, event: str, update_id: int) -> None:
        async with self._changed:
            self.events.append((event, update_id))
            self._changed.notify_all()

    async def _update(self, request: web.Request) -> web.Response:
        update: dict[str, Any] = await request.json()
        update_id = update["update_id"]
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            await self.note("arrived", update_id)
            gate = self.held.get(update_id)
            if gate is not None:
                await gate.wait()
            if update_id in self.refuse_once:
                self.refuse_once.discard(update_id)
                status = 500
            else:
                status = 200
            await self.note("answered" if status == 200 else "refused", update_id)
            return web.json_response({}, status=status)
        finally:
            self.open -= 1


@pytest.fixture
async def endpoint(emulator: BotApiEmulator) -> AsyncIterator[Endpoint]:
    endpoint = Endpoint()
    await endpoint.start()
    emulator.webhook_routes[PUBLIC_URL] = [endpoint.address]
    yield endpoint
    await emulator.stop()  # before the endpoint, so that nothing is still delivering to it
    await endpoint.stop()


async def call(emulator: BotApiEmulator, method: str, **params: Any) -> Any:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{emulator.base_url}{TOKEN}/{method}", json=params)
    return answer.json()


async def set_webhook(emulator: BotApiEmulator, **params: Any) -> None:
    assert (await call(emulator, "setWebhook", url=PUBLIC_URL, **params))["ok"]


async def test_other_chats_are_delivered_while_one_chat_waits_for_its_answer(
    emulator: BotApiEmulator, endpoint: Endpoint
) -> None:
    ana, bruno = Person(emulator, TOKEN), Person(emulator, TOKEN, first_name="Bruno")
    await ana.send("uno de Ana")
    await ana.send("dos de Ana")
    await bruno.send("uno de Bruno")
    await bruno.send("dos de Bruno")
    a1, a2, b1, b2 = (update["update_id"] for update in emulator.bot(TOKEN).updates)
    release_ana = endpoint.hold(a1)
    await set_webhook(emulator)

    # Ana's first is held open at the bot; Bruno's are delivered meanwhile.
    await endpoint.until(lambda: ("answered", b2) in endpoint.events)
    assert sorted(endpoint.arrivals()) == sorted([a1, b1, b2])  # Ana's and Bruno's first at once
    assert answered_before_arrival(endpoint, b1, b2)
    assert endpoint.most_open >= 2
    await until_pending(emulator, 2)  # Ana's two: neither answered yet
    info = (await call(emulator, "getWebhookInfo"))["result"]
    assert info["pending_update_count"] == 2
    assert emulator.bot(TOKEN).acknowledged_below == a1  # Bruno's answers skip no one

    release_ana.set()
    await endpoint.until(lambda: ("answered", a2) in endpoint.events)
    assert answered_before_arrival(endpoint, a1, a2)  # Ana's second only once her first was
    assert endpoint.arrivals()[-1] == a2
    await until_pending(emulator, 0)
    assert (await call(emulator, "getWebhookInfo"))["result"]["pending_update_count"] == 0
    assert emulator.bot(TOKEN).acknowledged_below == b2 + 1  # past all, Bruno's last the highest
    log = emulator.webhooks[TOKEN].log
    assert sorted(log) == sorted((endpoint.address, u, 200) for u in (a1, a2, b1, b2))


def answered_before_arrival(endpoint: Endpoint, first: int, then: int) -> bool:
    events = endpoint.events
    return events.index(("answered", first)) < events.index(("arrived", then))


async def until_pending(emulator: BotApiEmulator, count: int) -> None:
    """Until `count` updates wait for the bot's answer (the emulator takes an answer a
    moment after the endpoint sends it)."""
    bot = emulator.bot(TOKEN)
    async with bot.arrived:
        await asyncio.wait_for(bot.arrived.wait_for(lambda: len(bot.updates) == count), 5)


async def test_a_refused_delivery_keeps_its_place_in_its_chat(
    emulator: BotApiEmulator, endpoint: Endpoint
) -> None:
    """The bot refuses Ana's first once: her second waits behind it and arrives after it
    is delivered again and answered; Bruno's goes meanwhile."""
    ana, bruno = Person(emulator, TOKEN), Person(emulator, TOKEN, first_name="Bruno")
    await ana.send("uno de Ana")
    await ana.send("dos de Ana")
    await bruno.send("uno de Bruno")
    a1, a2, b1 = (update["update_id"] for update in emulator.bot(TOKEN).updates)
    endpoint.refuse_once.add(a1)
    await set_webhook(emulator)

    await endpoint.until(lambda: ("answered", a2) in endpoint.events)
    arrivals = endpoint.arrivals()
    assert [u for u in arrivals if u != b1] == [a1, a1, a2]
    assert arrivals.index(b1) < arrivals.index(a1, 1)  # Bruno's did not wait for Ana's retry
    await until_pending(emulator, 0)
    log = emulator.webhooks[TOKEN].log
    assert [status for _, u, status in log if u == a1] == [500, 200]
    assert [status for _, u, status in log if u in (a2, b1)] == [200, 200]


async def test_max_connections_one_delivers_one_update_at_a_time(
    emulator: BotApiEmulator, endpoint: Endpoint
) -> None:
    ana, bruno = Person(emulator, TOKEN), Person(emulator, TOKEN, first_name="Bruno")
    await ana.send("uno de Ana")
    await bruno.send("uno de Bruno")
    a1, b1 = (update["update_id"] for update in emulator.bot(TOKEN).updates)
    release_ana = endpoint.hold(a1)
    await set_webhook(emulator, max_connections=1)

    await endpoint.until(lambda: a1 in endpoint.arrivals())
    # Bruno's would arrive at once with a second connection; none comes while Ana's is
    # open (waiting a moment is the only way to see that something does not happen).
    with pytest.raises(TimeoutError):
        await endpoint.until(lambda: b1 in endpoint.arrivals(), timeout=0.5)
    release_ana.set()
    await endpoint.until(lambda: ("answered", b1) in endpoint.events)
    assert endpoint.arrivals() == [a1, b1]
    assert endpoint.most_open == 1


async def test_max_connections_is_kept_within_1_to_100_and_reported(
    emulator: BotApiEmulator, endpoint: Endpoint
) -> None:
    """The Bot API server takes max_connections out of range as the nearest of 1 and 100
    (telegram-bot-api, Client::get_webhook_max_connections); 40 when left out."""

    async def reported() -> Any:
        return (await call(emulator, "getWebhookInfo"))["result"].get("max_connections")

    await set_webhook(emulator)
    assert await reported() == 40
    await set_webhook(emulator, max_connections=7)
    assert await reported() == 7
    await set_webhook(emulator, max_connections=0)
    assert await reported() == 1
    await set_webhook(emulator, max_connections=1000)
    assert await reported() == 100
    assert (await call(emulator, "deleteWebhook"))["ok"]
    assert await reported() is None


async def test_a_webhook_deleted_during_a_delivery_leaves_its_updates_for_get_updates(
    emulator: BotApiEmulator, endpoint: Endpoint
) -> None:
    ana = Person(emulator, TOKEN)
    await ana.send("uno de Ana")
    await ana.send("dos de Ana")
    a1, a2 = (update["update_id"] for update in emulator.bot(TOKEN).updates)
    endpoint.hold(a1)
    await set_webhook(emulator)
    await endpoint.until(lambda: a1 in endpoint.arrivals())
    assert (await call(emulator, "getUpdates"))["error_code"] == 409

    assert (await call(emulator, "deleteWebhook"))["ok"]
    assert not [t for t in asyncio.all_tasks() if t.get_name().startswith("emulator-webhook")]
    assert emulator.webhooks[TOKEN].log == []  # the open POST was dropped, not answered
    updates = (await call(emulator, "getUpdates", timeout=0))["result"]
    assert [update["update_id"] for update in updates] == [a1, a2]


async def test_a_button_press_goes_apart_from_its_chats_messages_and_an_edit_behind_them(
    emulator: BotApiEmulator, endpoint: Endpoint
) -> None:
    """The Bot API server's queues: a chat's messages and their edits share one; a
    person's button presses have their own (telegram-bot-api queues a callback query by
    its sender), so a press is delivered while the chat's message before it is open."""
    ana = Person(emulator, TOKEN)
    markup = {"inline_keyboard": [[{"text": "Sí", "callback_data": "yes"}]]}
    sent = await call(emulator, "sendMessage", chat_id=ana.chat.id, text="¿?", reply_markup=markup)
    assert sent["ok"]
    typed = await ana.send("hola")
    await ana.edit(typed, "hola otra vez")
    await ana.press("Sí")
    message, edit, press = (update["update_id"] for update in emulator.bot(TOKEN).updates)
    release = endpoint.hold(message)
    await set_webhook(emulator)

    await endpoint.until(lambda: ("answered", press) in endpoint.events)
    assert endpoint.arrivals() == [message, press] or endpoint.arrivals() == [press, message]
    release.set()
    await endpoint.until(lambda: ("answered", edit) in endpoint.events)
    assert answered_before_arrival(endpoint, message, edit)
