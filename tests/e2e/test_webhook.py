"""Telegram's deliveries by webhook, as the emulator makes them: each update POSTed with
the secret header to the webhook's address (or in turn to several, as a load balancer
spreads them), and delivered again until the bot answers 2xx."""

from __future__ import annotations

from pathlib import Path

from bot.intake import PER_CHAT
from emulator import BotApiEmulator
from tests.conftest import SmtpServer, free_port, postgres_database
from tests.e2e.conftest import TOKEN, Harness, chats_held, in_webhook_mode, make_settings, until

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


async def test_one_chat_flooding_the_bot_waits_at_telegram_while_the_others_are_served(
    emulator: BotApiEmulator, smtp_server: SmtpServer, smtp: SmtpServer, tmp_path: Path
) -> None:
    """A script sends a chat's messages faster than they are processed: past PER_CHAT
    waiting, its next delivery is refused and Telegram keeps it (and that chat's later
    ones); everyone else is answered meanwhile, and the flood is answered in the end."""
    async with postgres_database() as url:
        harness = Harness(emulator, make_settings(emulator, url, smtp_server), tmp_path)
        emulator.webhook_routes[PUBLIC_URL] = [webhook_address(harness)]
        await harness.start()
        try:
            flooder, ana = harness.person(patience=30), harness.person()
            log = emulator.webhooks[TOKEN].log
            async with chats_held(url, flooder.chat.id):  # nothing of it processed meanwhile
                for n in range(PER_CHAT + 4):
                    await flooder.send(f"mensaje {n}")
                await until(lambda: any(status == 503 for *_, status in log), "a refusal")
                await ana.send("/start")
                await ana.expect("Hola")  # served while the flood waits
            for _ in range(PER_CHAT + 4):
                await flooder.reply()  # each message answered in the end
            # Refused were the flood's deliveries past PER_CHAT only, each delivered again.
            refused = {update for _, update, status in log if status == 503}
            delivered = {update for _, update, status in log if status == 200}
            assert refused and refused <= delivered
        finally:
            await harness.stop()
