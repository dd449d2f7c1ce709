"""Telegram's deliveries by webhook, as the emulator makes them: each update POSTed with
the secret header to the webhook's address (or in turn to several, as a load balancer
spreads them), and delivered again until the bot answers 2xx."""

from __future__ import annotations

from tests.conftest import SmtpServer, free_port
from tests.e2e.conftest import TOKEN, Harness, in_webhook_mode

PUBLIC_URL = "https://bot.example.mx/hook"


def webhook_address(harness: Harness) -> str:
    """Webhook mode at PUBLIC_URL; the local address the bot listens on."""
    return f"http://127.0.0.1:{in_webhook_mode(harness, PUBLIC_URL)}/hook"


async def test_a_sign_up_delivered_by_webhook_is_served(harness: Harness, smtp: SmtpServer) -> None:
    harness.emulator.webhook_routes[PUBLIC_URL] = [webhook_address(harness)]
    await harness.start()
    ana = harness.person()
    await ana.send("/registro")
    await ana.expect("correo electrónico")
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    delivery = harness.emulator.webhooks[TOKEN]
    assert {status for _, _, status in delivery.log} == {200}
    assert harness.emulator.bot(TOKEN).polls == 0  # nothing asked by getUpdates
    await harness.stop()


async def test_deliveries_go_in_turn_and_a_refused_one_is_delivered_again(
    harness: Harness, smtp: SmtpServer
) -> None:
    """Two addresses behind the public URL, one of them down: every update reaches the
    bot all the same, once, each refused delivery tried again at the next address."""
    down = f"http://127.0.0.1:{free_port()}/hook"
    harness.emulator.webhook_routes[PUBLIC_URL] = [down, webhook_address(harness)]
    await harness.start()
    people = [harness.person() for _ in range(3)]
    for person in people:
        await person.send("/start")
    for person in people:
        hello = await person.expect("Hola")
        assert [m.text for m in person.bot_messages()] == [hello.text]  # answered once
    log = harness.emulator.webhooks[TOKEN].log
    assert {address for address, _, status in log if status == 0} == {down}
    assert len({update for _, update, status in log if status == 200}) == 3
    await harness.stop()
