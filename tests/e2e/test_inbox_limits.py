"""Caps on the mail sent to one inbox: sign-ups, resends, recoveries and changes of
address by strangers cannot flood it (sub-addresses count as the inbox), and cannot use
up what its owner needs to sign up or recover."""

from __future__ import annotations

import contextlib

import pytest

from emulator import Person
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import newest_code, outbox_rows

# The caps are counters kept in the database: both databases.
pytestmark = pytest.mark.postgres


async def mail_to(database_url: str, inbox: str) -> int:
    """Emails queued for an inbox (a row is written before the chat answers)."""
    return sum(inbox_of(row.recipient) == inbox for row in await outbox_rows(database_url))


def inbox_of(address: str) -> str:
    local, _, domain = address.lower().partition("@")
    local = local.split("+", 1)[0]
    return f"{local.replace('.', '') if domain == 'gmail.com' else local}@{domain}"


async def cancel(person: Person) -> None:
    await person.send("/cancelar")
    await person.expect("lo dejamos aquí")


async def test_one_person_cannot_flood_an_inbox_with_sign_ups(bot: Harness, smtp):
    mallory = bot.person(first_name="Mallory")
    answers = []
    for _ in range(5):
        await journeys.sign_up(mallory, "victima@example.mx")
        answers.append(mallory.bot_messages()[-1].text)
    assert len(set(answers)) == 1  # the chat never tells that mail stopped
    rows = await outbox_rows(bot.settings.database_url)
    assert [row.recipient for row in rows] == ["victima@example.mx"] * 3
    await mallory.send("/registro")
    assert "espera" in (await mallory.reply()).text
    # Mallory's attempts do not use up the allowance of the address's owner.
    victim = bot.person()
    await journeys.sign_up(victim, "victima@example.mx")
    await victim.send(await newest_code(smtp.mailbox, 4))
    await victim.expect("Felicidades")


async def test_sub_addresses_do_not_multiply_the_mail_to_one_inbox(bot: Harness, smtp):
    mallory = bot.person(first_name="Mallory")
    for tag in range(1, 6):
        await journeys.sign_up(mallory, f"victima+{tag}@gmail.com")
    assert await mail_to(bot.settings.database_url, "victima@gmail.com") == 3


async def test_strangers_cannot_pass_the_inbox_cap_by_resending(bot: Harness, smtp):
    for index in range(6):
        stranger = bot.person(first_name=f"Extra{index}")
        await journeys.sign_up(stranger, "victima@example.mx")
        await stranger.send("/reenviar")
        await stranger.expect("Si victima@example.mx")
    assert await mail_to(bot.settings.database_url, "victima@example.mx") == 10


async def test_strangers_cannot_use_up_the_owners_recovery_mail(bot: Harness, smtp):
    """Strangers ask twelve codes for Ana's address; Ana, on a Telegram account that never
    signed in (a new phone: the very case recovery is for), can still recover with the
    code in her inbox."""
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    for index in range(4):
        stranger = bot.person(first_name=f"Extra{index}")
        for _ in range(3):
            await journeys.request_reset(stranger, "ana@example.mx")
            await cancel(stranger)
    assert await mail_to(bot.settings.database_url, "ana@example.mx") == 2
    phone = bot.person()
    await journeys.request_reset(phone, "ana@example.mx")
    await phone.send(journeys.one_time_code(await smtp.mailbox.next_to("ana@example.mx", 1)))
    await phone.expect("contraseña nueva")


async def test_strangers_filling_the_inbox_cap_leave_the_owner_a_way_to_sign_up(bot: Harness, smtp):
    """Four Telegram accounts sign up ana@example.mx three times each (10 mails, the
    inbox's hourly cap). Ana then signs up herself: "creada con éxito, revisa tu correo",
    but no code is queued for her, /reenviar queues none either, and nothing points her to
    /recuperar (the one way that would work)."""
    for index in range(4):
        stranger = bot.person(first_name=f"Extra{index}")
        for _ in range(3):
            await journeys.sign_up(stranger, "ana@example.mx", password=f"clave del extra {index}")
    before = len(await outbox_rows(bot.settings.database_url))
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    created = ana.bot_messages()[-1].text
    await ana.send("/reenviar")
    resent = await ana.expect("Si ana@example.mx")
    queued = len(await outbox_rows(bot.settings.database_url)) - before
    assert queued >= 1 or "/recuperar" in created + resent.text, (queued, created, resent.text)


async def test_deleting_accounts_does_not_lift_the_cap_of_an_inbox_they_mailed(
    bot: Harness, smtp
) -> None:
    """One Telegram user signs up, asks to change the address to Vera's three times,
    deletes the account, and again: Vera's inbox still gets at most 10 emails an hour
    from strangers."""
    mallory = bot.person()
    for round_ in range(4):
        await journeys.confirmed(mallory, smtp.mailbox, f"m{round_}@example.mx")
        for _ in range(3):
            await journeys.request_change(mallory, "vera@example.mx")
            await mallory.send("/cancelar")
            await mallory.reply()
        while len(smtp.mailbox.to("vera@example.mx")) < min(3 * (round_ + 1), 10):
            await smtp.mailbox.wait(len(smtp.mailbox.messages) + 1)  # the codes, sent
        await journeys.delete_account(mallory)
        while not [
            m for m in smtp.mailbox.to(f"m{round_}@example.mx") if "eliminada" in m["Subject"]
        ]:
            await smtp.mailbox.wait(len(smtp.mailbox.messages) + 1)  # the last notice
    # Mail still on its way: awaited until it passes the cap, or none comes for a while.
    with contextlib.suppress(AssertionError):
        while len(smtp.mailbox.to("vera@example.mx")) <= 10:
            await smtp.mailbox.wait(len(smtp.mailbox.messages) + 1, timeout=5)
    assert len(smtp.mailbox.to("vera@example.mx")) <= 10
