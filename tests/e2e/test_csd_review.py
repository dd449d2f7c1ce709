"""Outside review of /csd (issue 15): what a customer or an attacker would try that
test_csd.py does not. Each test asserts what a person observes. Four failed at first (a
certificate named .key and a key named .cer, a password typed at «¿Lo reemplazo?», a
deletion confirmed after another chat replaced the CSD); they pass since the fixes."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from typing import Any

from cryptography.hazmat.primitives import serialization
from sqlalchemy import text

from emulator import Person
from storage.db import create_engine, create_session_factory
from storage.models import Base
from tests.e2e.conftest import Harness
from tests.e2e.test_csd import csd_account, rows, save_company, send_csd, send_files
from tests.factories import PASSWORD, sign_in
from tests.sat_certs import SAT_CSD_HOLDER, SAT_CSD_SERIAL, SAT_PASSWORD, make_csd, sat_file


async def start_csd(person: Person) -> None:
    await person.send("/csd")
    await person.expect("Envíame como archivos")


async def all_rows_text(database_url: str) -> str:
    """Every row of every table, as text, read as another process would."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            found = []
            for table in Base.metadata.sorted_tables:
                result = await session.execute(text(f"SELECT * FROM {table.name}"))
                found.extend(repr(tuple(row)) for row in result)
            return "\n".join(found)
    finally:
        await engine.dispose()


# Files in the wrong form, order or name


async def test_a_certificate_named_key_is_taken_for_the_certificate(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await start_csd(ana)
    await ana.send_document("CSD.key", sat_file("eku_csd.cer"))
    answer = await ana.reply()
    assert "Recibí el certificado" in answer.text, answer.text


async def test_a_key_named_cer_is_taken_for_the_key(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await start_csd(ana)
    await ana.send_document("CSD.cer", sat_file("eku_csd.key"))
    answer = await ana.reply()
    assert "Recibí la clave privada" in answer.text, answer.text


async def test_pem_forms_and_files_sent_twice_are_accepted(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    csd = make_csd()
    key_pem = csd.key_pem  # each call encrypts afresh (new salt): one copy, sent twice
    await start_csd(ana)
    await ana.send_document("llave.pem", key_pem)  # .pem: judged by content
    await ana.expect("Recibí la clave privada")
    await ana.send_document("llave.key", key_pem)  # the same again, PEM under .key
    await ana.expect("en lugar de la que enviaste antes")
    await ana.send_document("cert.cer", csd.cer_pem)
    await ana.expect("Recibí el certificado")
    await ana.expect("contraseña de tu clave privada")
    await ana.send(csd.password)
    assert csd.serial in (await ana.expect("Guardé tu")).text
    [row] = await rows(bot.settings.database_url)
    assert bytes(row["certificate_der"]) == csd.cer  # PEM stored as DER
    body = b"".join(key_pem.splitlines()[1:-1])
    assert bytes(row["key_der"]) == base64.b64decode(body)  # the key as sent, in DER


async def test_unencrypted_pkcs8_pkcs1_garbage_and_empty_files_are_refused(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    csd = make_csd()
    await start_csd(ana)
    plain = csd.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    pkcs1 = csd.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.BestAvailableEncryption(b"12345678a"),
    )
    for name, data, said in [
        ("sin_contraseña.key", plain, "no es una clave privada válida"),
        ("pkcs1.key", pkcs1, "no es una clave privada válida"),
        ("vacio.key", b"", "no es una clave privada válida"),
        ("vacio.cer", b"", "no es un certificado válido"),
        ("basura.cer", bytes(range(256)) * 4, "no es un certificado válido"),
        ("basura.pem", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END", "ni una clave"),
        ("basura", b"\x00\x01garbage", "ni una clave"),
    ]:
        await ana.send_document(name, data)
        answer = await ana.expect(said)
        assert "Envíame como archivos" in answer.text, name
    # Nothing was taken: both files are still asked for.
    await ana.send_document("CSD.cer", csd.cer)
    await ana.expect("clave privada (.key)")


async def test_a_document_without_a_name_is_judged_by_its_content(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await start_csd(ana)
    stored = bot.emulator.files.add("x", sat_file("eku_csd.cer"))
    document = stored.document()
    del document["file_name"]
    document["mime_type"] = "application/octet-stream"
    await ana._post(extra={"document": document})
    await ana.expect("Recibí el certificado")
    # A nameless file declared huge is refused before it is fetched.
    big = bot.emulator.files.add("y", None, size=50 * 1024 * 1024)
    document = big.document()
    del document["file_name"]
    document["mime_type"] = "application/octet-stream"
    await ana._post(extra={"document": document})
    await ana.expect("demasiado grande")
    assert bot.emulator.files.fetched(big.file_id) == 0


async def test_an_e_firma_key_with_the_csd_certificate_is_a_mismatch(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    _, answer = await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_fiel.key"))
    assert "no corresponde a ese certificado" in answer.text
    assert await rows(bot.settings.database_url) == []


# Passwords


async def test_a_password_with_spaces_and_unicode_opens_its_key(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    secret = "Contraseña del año ñandú 42 ✓"
    csd = make_csd(password=secret)
    typed, answer = await send_csd(ana, csd.cer, csd.key, secret)
    assert "Guardé tu" in answer.text, answer.text
    await ana.wait_deleted(typed)


async def test_the_csd_password_lock_also_blocks_sign_in(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_files(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")
    for attempt in range(25):
        await ana.send(f"equivocada {attempt}")
        if "demasiados intentos" in (await ana.reply()).text:
            break
    else:
        raise AssertionError("never locked")
    await ana.send("/salir")
    await ana.expect("Cerraste la sesión")
    await ana.send("/entrar")
    await ana.expect("correo electrónico")
    await ana.send("kemper@example.mx")
    answer = await ana.reply()
    if "demasiados intentos" not in answer.text:  # asked the password: the lock is not shared
        await ana.send(PASSWORD)
        answer = await ana.reply()
    assert "demasiados intentos" in answer.text, answer.text


# /cancelar and what is forgotten


async def test_cancel_at_the_password_and_replacement_steps_forgets_the_files(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_files(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await start_csd(ana)  # both files asked again: nothing kept
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    renewed = make_csd()
    await ana.send("/csd")
    await ana.press("Reemplazar", await ana.expect("Este es tu"))
    await ana.send_document("nuevo.cer", renewed.cer)
    await ana.send_document("nuevo.key", renewed.key)
    await ana.expect("¿Lo reemplazo")
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await ana.send("/csd")
    shown = await ana.expect("Este es tu")  # the stored one, not the files sent
    assert SAT_CSD_SERIAL in shown.text
    await ana.send("/salir")  # after a lock or session end the draft would stay: not here
    await ana.expect("Cerraste la sesión")
    await bot.stop()
    assert renewed.serial not in await all_rows_text(bot.settings.database_url)


async def test_a_password_typed_at_the_replacement_question_is_deleted(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    renewed = make_csd()
    await ana.send("/csd")
    await ana.press("Reemplazar", await ana.expect("Este es tu"))
    await ana.send_document("nuevo.cer", renewed.cer)
    await ana.send_document("nuevo.key", renewed.key)
    await ana.expect("¿Lo reemplazo")
    typed = await ana.send(renewed.password)  # typed before pressing the button
    await ana.wait_deleted(typed, timeout=3)


# Places and accounts


async def test_csd_in_a_group_says_private_chat_only(bot: Harness, smtp) -> None:
    ana = bot.person()
    group = bot.group(kind="supergroup", bot_in=True)
    await group.send(ana, "/csd")
    await group.wait_left()
    [said] = group.bot_messages()
    assert "solo atiendo en un chat privado" in said.text


async def test_two_chats_of_one_account_storing_at_once_keep_one_csd(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    laptop = bot.person()
    assert "entraste" in (await sign_in(laptop, "kemper@example.mx")).text.lower()
    other = make_csd()
    await send_files(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")
    await send_files(laptop, other.cer, other.key)
    await laptop.expect("contraseña de tu clave privada")
    await asyncio.gather(ana.send(SAT_PASSWORD), laptop.send(other.password))
    answers = await asyncio.gather(ana.expect("Guardé tu"), laptop.expect("Guardé tu"))
    assert all(a.text for a in answers)
    stored = await rows(bot.settings.database_url)
    assert len(stored) == 1 and stored[0]["serial"] in (SAT_CSD_SERIAL, other.serial)


async def test_delete_confirmed_after_another_chat_replaced_it_deletes_nothing_unseen(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.send("/csd")
    await ana.press("Eliminar", await ana.expect("Este es tu"))
    question = await ana.expect("¿Elimino tu CSD")
    assert SAT_CSD_SERIAL in question.text
    # Meanwhile, on the laptop, a renewed CSD replaces it.
    laptop = bot.person()
    await sign_in(laptop, "kemper@example.mx")
    renewed = make_csd()
    await laptop.send("/csd")
    await laptop.press("Reemplazar", await laptop.expect("Este es tu"))
    await laptop.send_document("nuevo.cer", renewed.cer)
    await laptop.send_document("nuevo.key", renewed.key)
    await laptop.press("Sí, reemplazarlo", await laptop.expect("¿Lo reemplazo"))
    await laptop.expect("contraseña de tu clave privada")
    await laptop.send(renewed.password)
    await laptop.expect("Guardé tu")
    # Back on the phone, the old question is answered.
    await ana.press("Sí, eliminarlo", question)
    await ana.reply()
    assert [r["serial"] for r in await rows(bot.settings.database_url)] == [renewed.serial]


async def test_delete_pressed_twice_and_old_buttons_after_switching_account(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.send("/csd")
    stored = await ana.expect("Este es tu")
    stored_before = dataclasses.replace(stored)  # as a second device still shows it
    await ana.press("Eliminar", stored)
    question = await ana.expect("¿Elimino tu CSD")
    question_before = dataclasses.replace(question)
    await ana.press("Sí, eliminarlo", question)
    await ana.expect("Eliminé tu CSD")
    await ana.press("Sí, eliminarlo", question_before)  # a double tap
    assert "Eliminé" not in (await ana.reply()).text
    await ana.press("Eliminar", stored_before)  # the old message's button
    await ana.expect("No tienes un CSD")
    # Stored again, then the chat switches to another account: the old buttons do nothing.
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.send("/csd")
    shown = await ana.expect("Este es tu")
    await ana.send("/salir")
    await ana.expect("Cerraste la sesión")
    bob = bot.person()
    await csd_account(bob, smtp.mailbox, "bob@example.mx")
    await bob.send("/salir")
    await sign_in(ana, "bob@example.mx")
    await ana.press("Eliminar", shown)
    await ana.expect("era de otra cuenta")
    assert [r["serial"] for r in await rows(database_url)] == [SAT_CSD_SERIAL]


async def test_without_company_data_no_name_is_offered_and_empresa_still_works(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    assert not [m for m in await ana.quiet(0.5) if "razón social" in (m.text or "")]
    await save_company(bot, database_url, "OTRA RAZON")
    await ana.send("/csd")
    await ana.expect("Este es tu")  # no offer after the fact either: nothing breaks


# What is left behind


async def test_no_password_or_key_in_any_table_or_a_debug_log(
    harness: Harness, smtp: Any, database_url: str
) -> None:
    harness.log_level = "DEBUG"
    await harness.spawn()
    ana = harness.person()
    await csd_account(ana, smtp.mailbox)
    secret = "Sello-Único-7Xq"
    csd = make_csd(password=secret)
    await send_files(ana, csd.cer, csd.key)
    await ana.expect("contraseña de tu clave privada")
    await ana.send("mala-" + secret)
    await ana.expect("no abre tu clave privada")
    await ana.send(secret)
    await ana.expect("Guardé tu")
    await harness.terminate()
    log = harness.log.read_text()
    for needle in (
        secret,
        base64.b64encode(csd.key).decode()[:40],
        base64.b64encode(csd.cer).decode()[:40],
        csd.key.hex()[:40],
    ):
        assert needle not in log, needle
    dumped = await all_rows_text(database_url)
    assert secret not in dumped


async def test_an_english_speaker_gets_english(bot: Harness, smtp) -> None:
    spanish_first = bot.person()  # the account is made in Spanish (the helpers' words)
    await csd_account(spanish_first, smtp.mailbox)
    ana = bot.person(user_id=spanish_first.user.id, language_code="en")
    await ana.send("/certificate")
    await ana.expect("Send me as <b>files</b>".replace("<b>", "").replace("</b>", ""))
    await ana.send_document("acuse.pdf", b"%PDF")
    await ana.expect("That is a PDF")
    await ana.send_document("CSD.cer", sat_file("eku_csd.cer"))
    await ana.expect("I got the certificate")
    await ana.send_document("CSD.key", sat_file("eku_csd.key"))
    await ana.expect("password of your private key")
    await ana.send("wrong")
    await ana.expect("does not open your private key")
    await ana.send(SAT_PASSWORD)
    saved = await ana.expect("I saved your")
    assert "2027-05-18" in saved.text and SAT_CSD_HOLDER in saved.text
    spanish = ("Envíame", "Recibí", "Guardé", "contraseña de tu")
    assert not [m.text for m in ana.bot_messages() if any(s in (m.text or "") for s in spanish)]


async def test_replace_agreed_after_another_chat_replaced_it_asks_again(bot: Harness, smtp) -> None:
    """«Sí, reemplazarlo» agrees to replace the CSD the question named; one stored from
    another chat since is named and asked about before anything is replaced."""
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    phone_new, laptop_new = make_csd(), make_csd()
    await ana.send("/csd")
    await ana.press("Reemplazar", await ana.expect("Este es tu"))
    await ana.send_document("nuevo.cer", phone_new.cer)
    await ana.send_document("nuevo.key", phone_new.key)
    question = await ana.expect("¿Lo reemplazo")
    assert SAT_CSD_SERIAL in question.text
    laptop = bot.person()
    await sign_in(laptop, "kemper@example.mx")
    await laptop.send("/csd")
    await laptop.press("Reemplazar", await laptop.expect("Este es tu"))
    await laptop.send_document("otro.cer", laptop_new.cer)
    await laptop.send_document("otro.key", laptop_new.key)
    await laptop.press("Sí, reemplazarlo", await laptop.expect("¿Lo reemplazo"))
    await laptop.expect("contraseña de tu clave privada")
    await laptop.send(laptop_new.password)
    await laptop.expect("Guardé tu")
    # The phone's old question is answered: it is asked again, naming the laptop's CSD.
    await ana.press("Sí, reemplazarlo", question)
    again = await ana.expect("¿Lo reemplazo")
    assert laptop_new.serial in again.text and SAT_CSD_SERIAL not in again.text
    assert [r["serial"] for r in await rows(bot.settings.database_url)] == [laptop_new.serial]
    await ana.press("Sí, reemplazarlo", again)
    await ana.expect("contraseña de tu clave privada")
    await ana.send(phone_new.password)
    await ana.expect("Guardé tu")
    assert [r["serial"] for r in await rows(bot.settings.database_url)] == [phone_new.serial]


async def test_a_csd_stored_elsewhere_after_the_replacement_was_agreed_is_not_replaced_unseen(
    bot: Harness, smtp
) -> None:
    """Agreed, then another chat stores a CSD before the password arrives: the password
    replaces nothing; the question names the new one first."""
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    phone_new, laptop_new = make_csd(), make_csd()
    await ana.send("/csd")
    await ana.press("Reemplazar", await ana.expect("Este es tu"))
    await ana.send_document("nuevo.cer", phone_new.cer)
    await ana.send_document("nuevo.key", phone_new.key)
    await ana.press("Sí, reemplazarlo", await ana.expect("¿Lo reemplazo"))
    await ana.expect("contraseña de tu clave privada")
    laptop = bot.person()
    await sign_in(laptop, "kemper@example.mx")
    await laptop.send("/csd")
    await laptop.press("Reemplazar", await laptop.expect("Este es tu"))
    await laptop.send_document("otro.cer", laptop_new.cer)
    await laptop.send_document("otro.key", laptop_new.key)
    await laptop.press("Sí, reemplazarlo", await laptop.expect("¿Lo reemplazo"))
    await laptop.expect("contraseña de tu clave privada")
    await laptop.send(laptop_new.password)
    await laptop.expect("Guardé tu")
    typed = await ana.send(phone_new.password)
    await ana.wait_deleted(typed)
    again = await ana.expect("¿Lo reemplazo")
    assert laptop_new.serial in again.text
    assert [r["serial"] for r in await rows(bot.settings.database_url)] == [laptop_new.serial]
