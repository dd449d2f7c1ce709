"""Secrets are never left where they do not belong: a password typed at the wrong step, in
an edited message, in a caption or after its question was cancelled is deleted from the
chat (or the bot says it could not); drafts and codes are sealed in the database; no
password, code or token reaches the log, even at DEBUG."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import stat
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from chat.state import ChatData
from emulator import Person
from storage.db import create_engine, create_session_factory
from storage.models import ChatDataRow
from tests import journeys
from tests.e2e.conftest import TOKEN, Harness
from tests.factories import PASSWORD, code_from_email, newest_code, outbox_rows


async def cancel(person: Person) -> None:
    await person.send("/cancelar")
    await person.expect("lo dejamos aquí")


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


async def test_a_hex_password_at_sign_in_is_deleted(bot: Harness, smtp):
    """`openssl rand -hex 24`, or a password manager's hex mode: the confirmation flow's
    pasted-code entry (registered before the sign-in flow) takes it first."""
    ana = bot.person()
    await journeys.sign_in_asks_password(ana, "ana@example.mx")
    typed = await ana.send(secrets.token_hex(24))
    await ana.reply()
    await ana.wait_deleted(typed)  # it stays in the chat, under "Primero terminemos ..."


async def age_the_secret_question(bot: Harness, person: Person, minutes: float) -> None:
    """Move back the moment the bot last asked this chat for a secret (or read one)."""
    assert bot.runtime is not None
    async with bot.runtime.services.chats.held(person.chat.id) as held:
        assert held.data is not None
        chat = ChatData.from_json(held.data)
        assert chat.secret_asked_at is not None
        asked = datetime.fromisoformat(chat.secret_asked_at) - timedelta(minutes=minutes)
        chat.secret_asked_at = asked.isoformat()
        held.data = chat.to_json()


async def test_a_password_typed_after_cancelling_its_question_is_deleted_for_a_while(
    bot: Harness, smtp
):
    """/cancelar at the password step, then the password all the same: no flow waits for
    it, yet it goes from the chat; ten minutes later, a message is just a message."""
    ana = bot.person()
    await journeys.sign_in_asks_password(ana, "ana@example.mx")
    await cancel(ana)
    typed = await ana.send(PASSWORD)
    await ana.wait_deleted(typed)
    note = await ana.expect("Borré tu mensaje")
    assert "No estoy seguro" in note.text and note.button_texts()  # the menu, as ever
    await ana.send("/ayuda")  # commands work as ever, and are not deleted
    await ana.expect("/csd")
    await age_the_secret_question(bot, ana, minutes=9)
    typed = await ana.send("otra vez " + PASSWORD)
    await ana.wait_deleted(typed)
    await ana.expect("Borré tu mensaje")
    await age_the_secret_question(bot, ana, minutes=11)
    hello = await ana.send("hola")
    assert (await ana.reply()).text.startswith("No estoy seguro")
    assert not hello.deleted


async def test_after_a_secret_was_taken_a_message_is_just_a_message(bot: Harness, smtp):
    """Signed in, recovered or stored: the secret was used, nothing asks for it again, so
    what is typed next stays in the chat."""
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await ana.send("/salir")
    await ana.reply()
    verdict = await journeys.sign_in(ana, "ana@example.mx")
    assert "entraste" in verdict.text
    hello = await ana.send("hola")
    assert not (await ana.reply()).text.startswith("Borré")
    assert not hello.deleted


async def test_a_password_typed_into_an_edited_message_after_cancelling_is_deleted(
    bot: Harness, smtp
):
    ana = bot.person()
    email = await journeys.sign_in_asks_password(ana, "ana@example.mx")
    await cancel(ana)
    await ana.edit(email, PASSWORD)
    await ana.wait_deleted(email)
    await ana.expect("Borré tu mensaje")


async def test_a_password_typed_into_an_edited_message_is_deleted(bot: Harness, smtp):
    """Telegram Desktop's Up key edits the last message: at the password step, what is
    typed into it may be the password."""
    ana = bot.person()
    email = await journeys.sign_in_asks_password(ana, "ana@example.mx")
    await ana.edit(email, PASSWORD)
    await ana.wait_deleted(email)
    assert "contraseña" in (await ana.expect("Borré tu mensaje")).text


async def test_a_password_in_a_photo_caption_is_deleted(bot: Harness, smtp):
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
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
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    ana.chat.refuses_deletion = True
    await ana.send("/salir")
    await ana.expect("Cerraste")
    await journeys.sign_in(ana, "ana@example.mx")
    texts = [m.text for m in ana.bot_messages()[-3:]]
    assert any("No pude borrar" in (text or "") for text in texts)
    assert not any("Borré tu mensaje" in (text or "") for text in texts)


@pytest.mark.postgres  # what the database holds
async def test_drafts_are_sealed_at_rest(harness: Harness, smtp):
    await harness.start()
    ana = harness.person()
    await journeys.sign_up(ana, "ana@example.mx", create=False)
    await harness.stop()
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


@pytest.mark.postgres  # what the database holds
async def test_codes_are_not_readable_in_the_database(harness: Harness, smtp_server):
    await harness.start()  # SMTP is down: the email waits in the outbox
    ana = harness.person()
    await journeys.sign_up(ana, "ana@example.mx")
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


async def test_debug_log_holds_no_password_code_or_token(harness: Harness, smtp):
    harness.log_level = "DEBUG"
    await harness.spawn()
    ana = harness.person()
    await journeys.sign_up(ana, "ana@example.mx")
    code = await newest_code(smtp.mailbox, 1)
    await ana.send(f"/start c_{code}")
    await ana.expect("Felicidades")
    await ana.send("/salir")
    await ana.expect("Cerraste")
    await journeys.sign_in(ana, "ana@example.mx")
    phone = harness.person()
    await journeys.request_reset(phone, "ana@example.mx")
    await smtp.mailbox.wait(2)
    reset_code = journeys.one_time_code(smtp.mailbox.messages[-1])
    await phone.send(reset_code)
    await phone.expect("contraseña nueva")
    for _ in range(2):
        await phone.send("una frase nueva y bastante larga")
    await phone.expect("actualizada")
    await harness.terminate()
    log = harness.log.read_text()
    for secret in (
        PASSWORD,
        "una frase nueva",
        code,
        reset_code,
        reset_code.replace("-", ""),
        TOKEN,
        TOKEN.split(":")[1],
    ):
        assert secret not in log, secret
