"""What an attacker tries, through the emulator: taking over an address before its owner
confirms it, guessing passwords, locking the owner out, flooding a stranger's inbox, and
secrets left in the chat or in the database."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from emulator import Person
from storage.db import create_engine, create_session_factory
from storage.models import ChatDataRow
from tests.conftest import Mailbox
from tests.e2e.conftest import Harness
from tests.e2e.test_reset import mailed_reset_code, pass_check, request_code
from tests.factories import (
    PASSWORD,
    RFC_MORAL,
    accounts_in,
    chat_account,
    code_from_email,
    confirmed_account,
    fill_sign_up,
    outbox_rows,
    sign_in,
    sign_up,
)

MALLORY_PASSWORD = "la clave que eligio mallory"


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


async def newest_code(mailbox: Mailbox, count: int) -> str:
    return code_from_email((await mailbox.wait(count))[count - 1])


# Account takeover


async def test_a_password_chosen_before_confirmation_does_not_survive_it(bot: Harness, smtp):
    mallory = bot.person(first_name="Mallory")
    await sign_up(mallory, "ana@example.mx", password=MALLORY_PASSWORD)
    first = await newest_code(smtp.mailbox, 1)  # in Ana's inbox; Mallory never sees it
    ana = bot.person()
    await sign_up(ana, "ana@example.mx", RFC_MORAL)  # Ana's own RFC and password
    await ana.send(await newest_code(smtp.mailbox, 2))
    await ana.expect("Felicidades")
    assert "incorrectos" in (await sign_in(mallory, "ana@example.mx", MALLORY_PASSWORD)).text
    assert "entraste como" in (await sign_in(bot.person(), "ana@example.mx")).text
    [account] = await accounts_in(bot.settings.database_url)
    assert account.rfc == RFC_MORAL
    await ana.send(first)  # the code of the earlier sign-up was voided by Ana's
    assert "ya estaba confirmada" not in (await ana.reply()).text


async def test_a_code_of_someone_elses_sign_up_cannot_confirm(bot: Harness, smtp):
    ana, mallory = bot.person(), bot.person(first_name="Mallory")
    await sign_up(ana, "ana@example.mx")
    first = await newest_code(smtp.mailbox, 1)
    await sign_up(mallory, "ana@example.mx", password=MALLORY_PASSWORD)
    mallorys = await newest_code(smtp.mailbox, 2)  # Ana's inbox gets it: she might paste it
    await ana.send(first)
    assert "incorrecto" in (await ana.reply()).text  # voided by the later sign-up
    await ana.send(mallorys)
    assert "otra cuenta de Telegram" in (await ana.reply()).text
    assert not (await accounts_in(bot.settings.database_url))[0].confirmed
    await sign_up(ana, "ana@example.mx")  # as the answer suggests
    await ana.send(await newest_code(smtp.mailbox, 3))
    await ana.expect("Felicidades")
    assert "incorrectos" in (await sign_in(mallory, "ana@example.mx", MALLORY_PASSWORD)).text


async def test_signing_in_again_says_which_account_the_chat_left(bot: Harness, smtp):
    chat = bot.person()
    await confirmed_account(chat, smtp.mailbox, "ana@example.mx")
    again = await sign_in(chat, "ana@example.mx")
    assert again.text.startswith("Listo, entraste como ana@example.mx")
    await confirmed_account(bot.person(), smtp.mailbox, "beto@example.mx", RFC_MORAL)
    switched = await sign_in(chat, "beto@example.mx")
    assert "estaba dentro de la cuenta ana@example.mx" in switched.text
    assert "entraste como beto@example.mx" in (await chat.reply()).text
    beto = next(a for a in await accounts_in(bot.settings.database_url) if a.email.startswith("b"))
    assert await chat_account(bot.settings.database_url, chat.chat.id) == beto.id


async def test_a_stranger_cannot_tell_by_signing_in_whether_an_address_had_an_account(
    bot: Harness, smtp
):
    """Sign up with an address and a password, then sign in with them: a taken address
    and a free one (now unconfirmed) answer alike."""
    await confirmed_account(bot.person(), smtp.mailbox, "ana@example.mx")
    mallory = bot.person(first_name="Mallory")
    answers = {}
    for email in ("ana@example.mx", "nadie@example.mx"):
        await sign_up(mallory, email, RFC_MORAL, MALLORY_PASSWORD)
        answer = await sign_in(mallory, email, MALLORY_PASSWORD)
        answers[email] = answer.text.replace(email, "X")
    assert answers["ana@example.mx"] == answers["nadie@example.mx"]


async def test_a_reset_makes_a_pre_hijacked_address_its_owners(bot: Harness, smtp):
    """Mallory signed up with Ana's address; Ana, who never did, recovers it: the code
    reached her inbox, so the account is hers, and Mallory's next sign-up changes nothing."""
    mallory = bot.person(first_name="Mallory")
    await sign_up(mallory, "ana@example.mx", RFC_MORAL, MALLORY_PASSWORD)
    await smtp.mailbox.wait(1)
    ana = bot.person()
    await request_code(bot, ana, "ana@example.mx")
    await smtp.mailbox.wait(2)
    await ana.send(mailed_reset_code(smtp.mailbox))
    await ana.expect("contraseña nueva")
    for _ in range(2):
        await ana.send("una frase nueva y bastante larga")
    await ana.expect("ha sido actualizada")
    await sign_up(mallory, "ana@example.mx", RFC_MORAL, MALLORY_PASSWORD)
    signed = await sign_in(bot.person(), "ana@example.mx", "una frase nueva y bastante larga")
    assert "entraste como" in signed.text
    assert "incorrectos" in (await sign_in(mallory, "ana@example.mx", MALLORY_PASSWORD)).text


# Lockout and abuse


async def fail_five_times(mallory: Person, email: str) -> None:
    for _ in range(5):
        assert "incorrectos" in (await sign_in(mallory, email, "adivinando123")).text


async def test_strangers_cannot_lock_the_owner_out(bot: Harness, smtp, caplog):
    caplog.set_level(logging.INFO)
    owner = bot.person()
    await confirmed_account(owner, smtp.mailbox, "ana@example.mx")
    mallory = bot.person(first_name="Mallory")
    await fail_five_times(mallory, "ana@example.mx")
    await mallory.send("/entrar")
    await mallory.expect("correo electrónico")
    await mallory.send("ana@example.mx")
    locked = await mallory.reply()  # said before any password is typed
    assert "demasiados intentos" in locked.text and "min" in locked.text
    assert "/recuperar" in locked.text
    # The password typed next anyway is not taken as one, nor left in the chat.
    typed = await mallory.send(PASSWORD)
    await mallory.wait_deleted(typed)
    answer = await mallory.reply()
    assert "Borré tu mensaje" in answer.text and "No estoy seguro" in answer.text
    stranger = bot.person()
    await stranger.send("/entrar")
    await stranger.expect("correo electrónico")
    await stranger.send("ana@example.mx")
    assert "demasiados intentos" in (await stranger.reply()).text
    # The owner's own chat has an allowance of its own.
    await owner.send("/salir")
    await owner.expect("Cerraste la sesión")
    assert "entraste como" in (await sign_in(owner, "ana@example.mx")).text
    events = [r.getMessage() for r in caplog.records if "security event=" in r.getMessage()]
    assert sum(f"event=sign-in-failed user={mallory.user.id}" in e for e in events) == 5
    assert any(f"event=sign-in-locked user={stranger.user.id}" in e for e in events)
    assert not any("adivinando123" in r.getMessage() for r in caplog.records)


async def test_a_successful_reset_lifts_the_sign_in_lock(bot: Harness, smtp):
    await confirmed_account(bot.person(), smtp.mailbox, "ana@example.mx")
    await fail_five_times(bot.person(first_name="Mallory"), "ana@example.mx")
    new_phone = bot.person()  # Ana on a Telegram account that never signed in
    await new_phone.send("/recuperar")
    await pass_check(new_phone)
    await new_phone.send("ana@example.mx")
    await new_phone.expect("Si el correo")
    await smtp.mailbox.wait(2)
    await new_phone.send(mailed_reset_code(smtp.mailbox))
    await new_phone.expect("contraseña nueva")
    for _ in range(2):
        await new_phone.send("una frase nueva y bastante larga")
    await new_phone.expect("ha sido actualizada")
    laptop = bot.person()
    signed = await sign_in(laptop, "ana@example.mx", "una frase nueva y bastante larga")
    assert "entraste como" in signed.text


async def test_one_person_cannot_flood_an_inbox_with_sign_ups(bot: Harness, smtp):
    mallory = bot.person(first_name="Mallory")
    answers = []
    for _ in range(5):
        await sign_up(mallory, "victima@example.mx")
        answers.append(mallory.bot_messages()[-1].text)
    assert len(set(answers)) == 1  # the chat never tells that mail stopped
    rows = await outbox_rows(bot.settings.database_url)
    assert [row.recipient for row in rows] == ["victima@example.mx"] * 3
    await mallory.send("/registro")
    assert "espera" in (await mallory.reply()).text
    # Mallory's attempts do not use up the allowance of the address's owner.
    victim = bot.person()
    await sign_up(victim, "victima@example.mx")
    await victim.send(await newest_code(smtp.mailbox, 4))
    await victim.expect("Felicidades")


async def test_sub_addresses_do_not_multiply_the_mail_to_one_inbox(bot: Harness, smtp):
    mallory = bot.person(first_name="Mallory")
    for tag in range(1, 6):
        await sign_up(mallory, f"victima+{tag}@gmail.com")
    assert await mail_to(bot.settings.database_url, "victima@gmail.com") == 3


async def test_strangers_cannot_pass_the_inbox_cap_by_resending(bot: Harness, smtp):
    for index in range(6):
        stranger = bot.person(first_name=f"Extra{index}")
        await sign_up(stranger, "victima@example.mx")
        await stranger.send("/reenviar")
        await stranger.expect("Si victima@example.mx")
    assert await mail_to(bot.settings.database_url, "victima@example.mx") == 10


async def test_strangers_cannot_use_up_the_owners_recovery_mail(bot: Harness, smtp):
    """Strangers ask twelve codes for Ana's address; Ana, on a Telegram account that never
    signed in (a new phone: the very case recovery is for), can still recover with the
    code in her inbox."""
    await confirmed_account(bot.person(), smtp.mailbox, "ana@example.mx")
    for index in range(4):
        stranger = bot.person(first_name=f"Extra{index}")
        for _ in range(3):
            await request_code(bot, stranger, "ana@example.mx")
            await cancel(stranger)
    assert await mail_to(bot.settings.database_url, "ana@example.mx") == 2
    phone = bot.person()
    await request_code(bot, phone, "ana@example.mx")
    await phone.send(mailed_reset_code((await smtp.mailbox.wait(2)) and smtp.mailbox))
    await phone.expect("contraseña nueva")


# Secrets in the chat and at rest


@pytest.mark.parametrize("password", ["Mi@Clave-secreta2024", "/Clave-secreta-2024"])
async def test_anything_but_an_address_at_the_sign_in_email_step_is_deleted(
    bot: Harness, smtp, password: str
):
    """People type the password first, and a password may hold an "@" or begin with "/"."""
    ana = bot.person()
    await ana.send("/entrar")
    await ana.expect("correo electrónico")
    typed = await ana.send(password)
    await ana.wait_deleted(typed)
    assert "Borré tu mensaje" in (await ana.expect("Borré")).text


def age_the_secret_question(bot: Harness, person: Person, minutes: float) -> None:
    """Move back the moment the bot last asked this chat for a secret (or read one)."""
    assert bot.runtime is not None
    chat = bot.runtime.application.chat_data[person.chat.id]
    assert chat.secret_asked_at is not None
    asked = datetime.fromisoformat(chat.secret_asked_at) - timedelta(minutes=minutes)
    chat.secret_asked_at = asked.isoformat()


async def test_a_password_typed_after_cancelling_its_question_is_deleted_for_a_while(
    bot: Harness, smtp
):
    """/cancelar at the password step, then the password all the same: no flow waits for
    it, yet it goes from the chat; ten minutes later, a message is just a message."""
    ana = bot.person()
    await ana.send("/entrar")
    await ana.expect("correo electrónico")
    await ana.send("ana@example.mx")
    await ana.expect("contraseña")
    await cancel(ana)
    typed = await ana.send(PASSWORD)
    await ana.wait_deleted(typed)
    note = await ana.expect("Borré tu mensaje")
    assert "No estoy seguro" in note.text and note.button_texts()  # the menu, as ever
    await ana.send("/ayuda")  # commands work as ever, and are not deleted
    await ana.expect("/csd")
    age_the_secret_question(bot, ana, minutes=9)
    typed = await ana.send("otra vez " + PASSWORD)
    await ana.wait_deleted(typed)
    await ana.expect("Borré tu mensaje")
    age_the_secret_question(bot, ana, minutes=11)
    hello = await ana.send("hola")
    assert (await ana.reply()).text.startswith("No estoy seguro")
    assert not hello.deleted


async def test_after_a_secret_was_taken_a_message_is_just_a_message(bot: Harness, smtp):
    """Signed in, recovered or stored: the secret was used, nothing asks for it again, so
    what is typed next stays in the chat."""
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    await ana.send("/salir")
    await ana.reply()
    verdict = await sign_in(ana, "ana@example.mx")
    assert "entraste" in verdict.text
    hello = await ana.send("hola")
    assert not (await ana.reply()).text.startswith("Borré")
    assert not hello.deleted


async def test_a_password_typed_into_an_edited_message_after_cancelling_is_deleted(
    bot: Harness, smtp
):
    ana = bot.person()
    await ana.send("/entrar")
    await ana.expect("correo electrónico")
    email = await ana.send("ana@example.mx")
    await ana.expect("contraseña")
    await cancel(ana)
    await ana.edit(email, PASSWORD)
    await ana.wait_deleted(email)
    await ana.expect("Borré tu mensaje")


async def test_a_password_typed_into_an_edited_message_is_deleted(bot: Harness, smtp):
    """Telegram Desktop's Up key edits the last message: at the password step, what is
    typed into it may be the password."""
    ana = bot.person()
    await ana.send("/entrar")
    await ana.expect("correo electrónico")
    email = await ana.send("ana@example.mx")
    await ana.expect("contraseña")
    await ana.edit(email, PASSWORD)
    await ana.wait_deleted(email)
    assert "contraseña" in (await ana.expect("Borré tu mensaje")).text


async def test_drafts_are_sealed_at_rest(harness: Harness, smtp):
    await harness.start()
    ana = harness.person()
    await fill_sign_up(ana, "ana@example.mx")
    await harness.stop()  # persistence writes everything at shutdown
    engine = create_engine(harness.settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            rows = (await session.scalars(select(ChatDataRow))).all()
    finally:
        await engine.dispose()
    stored = json.dumps([row.data for row in rows])
    assert rows and "$argon2" not in stored and "ana@example.mx" not in stored
    await harness.start()  # and read back: the chat is still at its summary
    await ana.press("Crear cuenta")
    await ana.expect("creada con éxito")


async def test_a_password_in_a_photo_caption_is_deleted(bot: Harness, smtp):
    ana = bot.person()
    await sign_up(ana, "ana@example.mx")
    await smtp.mailbox.wait(1)
    await ana.send("/entrar")
    await ana.expect("correo electrónico")
    typed_first = await ana.send(PASSWORD)  # the password, typed where the email goes
    await ana.wait_deleted(typed_first)
    assert "Borré tu mensaje" in (await ana.expect("Borré")).text
    await ana.send("ana@example.mx")
    await ana.expect("contraseña")
    photo = await ana.send_photo(caption=PASSWORD)
    await ana.wait_deleted(photo)
    assert "contraseña" in (await ana.expect("Borré tu mensaje")).text


async def test_the_bot_says_so_when_it_cannot_delete_a_password(bot: Harness, smtp):
    ana = bot.person()
    await confirmed_account(ana, smtp.mailbox, "ana@example.mx")
    ana.chat.refuses_deletion = True
    await ana.send("/salir")
    await ana.expect("Cerraste")
    await sign_in(ana, "ana@example.mx")
    texts = [m.text for m in ana.bot_messages()[-3:]]
    assert any("No pude borrar" in (text or "") for text in texts)
    assert not any("Borré tu mensaje" in (text or "") for text in texts)


async def test_passwords_are_compared_in_nfkc_form(bot: Harness, smtp):
    decomposed = "man\u0303ana sera otro di\u0301a"  # "ñ" and "í" as some keyboards send them
    composed = "mañana sera otro día"
    ana = bot.person()
    await confirmed_account_with(ana, smtp.mailbox, "ana@example.mx", decomposed)
    await ana.send("/salir")
    await ana.expect("Cerraste")
    assert "entraste como" in (await sign_in(ana, "ana@example.mx", composed)).text


async def confirmed_account_with(person: Person, mailbox: Mailbox, email: str, password: str):
    await sign_up(person, email, password=password)
    await person.send(code_from_email((await mailbox.wait(1))[0]))
    await person.expect("Felicidades")


async def test_codes_are_not_readable_in_the_database(harness: Harness, smtp_server):
    await harness.start()  # SMTP is down: the email waits in the outbox
    ana = harness.person()
    await sign_up(ana, "ana@example.mx")
    [pending] = await outbox_rows(harness.settings.database_url)
    for body in (pending.text_body, pending.html_body):
        assert body.startswith("enc1:") and "ana@example.mx" not in body
        assert not re.search(r"[0-9a-f]{8}( ?[0-9a-f]{8}){4}", body)
    smtp_server.start()
    [email] = await smtp_server.mailbox.wait(1, timeout=30)
    code = code_from_email(email)
    # The server has the email a moment before the delivery marks the row sent.
    deadline = asyncio.get_running_loop().time() + 10
    while True:
        [sent] = await outbox_rows(harness.settings.database_url)
        if sent.sent_at is not None or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert sent.sent_at is not None
    assert code not in sent.text_body + sent.html_body and sent.text_body == ""
    url = make_url(harness.settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        for file in (path, path.with_name(path.name + "-wal")):
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
