"""El Certificado de Sello Digital (/csd) through the emulator: SAT's test credentials and
certificates made on the spot (tests/sat_certs.py), each refusal with its reason, the
password deleted and kept out of the log and the database, the replacement, the deletion,
/cuenta, and a restart between the files."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from emulator import Person
from emulator.world import Message
from services.company import CompanyData
from storage.db import create_engine, create_session_factory
from tests.conftest import Mailbox
from tests.e2e.conftest import Harness
from tests.factories import accounts_in, confirmed_account, sign_in
from tests.sat_certs import (
    SAT_CSD_HOLDER,
    SAT_CSD_RFC,
    SAT_CSD_SERIAL,
    SAT_PASSWORD,
    crafted_key,
    make_csd,
    sat_file,
)

BOT_PACKAGES = ("bot", "chat", "handlers", "services", "storage", "mail.", "telegram", "emulator")


async def csd_account(person: Person, mailbox: Mailbox, email: str = "kemper@example.mx") -> None:
    """A confirmed account with the RFC of SAT's test CSD; the chat stays signed in."""
    await confirmed_account(person, mailbox, email, rfc=SAT_CSD_RFC)


async def send_files(person: Person, cer: bytes, key: bytes) -> None:
    """/csd and both files, up to the question that follows them."""
    await person.send("/csd")
    await person.expect("Envíame como archivos")
    await person.send_document("CSD_EKU.cer", cer)
    await person.expect("Recibí el certificado")
    await person.send_document("CSD_EKU.key", key)


async def send_csd(
    person: Person, cer: bytes, key: bytes, password: str = SAT_PASSWORD
) -> tuple[Message, Message]:
    """The whole CSD: files, then the password; returns (password message, bot's answer)."""
    await send_files(person, cer, key)
    await person.expect("contraseña de tu clave privada")
    typed = await person.send(password)
    return typed, await person.reply()


async def rows(database_url: str) -> list[dict[str, Any]]:
    """The csds table as another process reads it."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            result = await session.execute(text("SELECT * FROM csds"))
            return [dict(row._mapping) for row in result]
    finally:
        await engine.dispose()


def logged(caplog: Any) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(BOT_PACKAGES))


# Acceptance


async def test_the_test_csd_is_accepted_shown_and_stored_without_its_password(
    bot: Harness, smtp, caplog, database_url: str
) -> None:
    caplog.set_level(logging.INFO)  # the default LOG_LEVEL
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    # In any order: the key first, then the certificate.
    await ana.send("/csd")
    intro = await ana.expect("Certificado de Sello Digital")
    assert ".cer" in intro.text and ".key" in intro.text
    await ana.expect("Envíame como archivos")
    await ana.send_document("Claveprivada_FIEL_EKU.key", sat_file("eku_csd.key"))
    await ana.expect("Recibí la clave privada")
    assert "certificado (.cer)" in (await ana.reply()).text  # says which one is missing
    await ana.send_document("00001000000500003416.cer", sat_file("eku_csd.cer"))
    received = await ana.expect("Recibí el certificado")
    assert SAT_CSD_SERIAL in received.text
    await ana.expect("contraseña de tu clave privada")
    typed = await ana.send(SAT_PASSWORD)
    answer = await ana.expect("Guardé tu")
    await ana.wait_deleted(typed)
    assert SAT_CSD_SERIAL in answer.text and SAT_CSD_HOLDER in answer.text
    assert "18/05/2023" in answer.text and "18/05/2027" in answer.text
    [row] = await rows(database_url)
    [account] = await accounts_in(database_url)
    assert row["account_id"] == account.id and row["serial"] == SAT_CSD_SERIAL
    assert row["rfc"] == SAT_CSD_RFC and row["holder"] == SAT_CSD_HOLDER
    assert SAT_PASSWORD not in str(row["password_sealed"])
    assert bytes(row["key_der"]) == sat_file("eku_csd.key")  # the key as SAT issued it
    # Nothing secret in a reply, the log or (for SQLite) the database file.
    assert all(SAT_PASSWORD not in (m.text or "") for m in ana.bot_messages())
    key_b64 = base64.b64encode(sat_file("eku_csd.key")).decode()
    for secret in (
        SAT_PASSWORD,
        key_b64[:40],
        base64.b64encode(sat_file("eku_csd.cer")).decode()[:40],
    ):
        assert secret not in logged(caplog), secret
    await bot.stop()
    if database_url.startswith("sqlite"):
        path = Path(database_url.split("///", 1)[1])
        stored = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert SAT_PASSWORD.encode() not in stored
        assert sat_file("eku_csd.key") in stored  # the file read is the right one


async def test_csd_shows_the_stored_one_and_cuenta_too(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.send("/certificate")  # the English name works in Spanish too
    shown = await ana.expect("Este es tu")
    assert SAT_CSD_SERIAL in shown.text and SAT_CSD_HOLDER in shown.text
    assert "18/05/2027" in shown.text
    assert any("Reemplazar" in b for b in shown.button_texts())
    assert any("Eliminar" in b for b in shown.button_texts())
    await ana.send("/cuenta")
    overview = await ana.expect("Tu cuenta")
    assert f"CSD:</b> {SAT_CSD_SERIAL}" in overview.text or f"CSD: {SAT_CSD_SERIAL}" in (
        overview.text
    )


async def test_within_30_days_of_expiry_it_is_accepted_with_a_warning(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    soon = make_csd(valid_from=datetime.now(UTC) - timedelta(days=700), valid_days=710)
    _, answer = await send_csd(ana, soon.cer, soon.key)
    assert "Guardé tu" in answer.text and soon.serial in answer.text
    warning = await ana.expect("vence en")
    assert "CertiSAT" in warning.text and "/csd" in warning.text


async def test_a_csd_far_from_expiry_has_no_warning(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    assert not [m for m in await ana.quiet(0.5) if "vence en" in (m.text or "")]


# Refusals of what arrives instead of the files


async def test_whatever_is_not_a_csd_file_gets_its_reason_and_the_question_again(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    sent: list[Message] = []

    async def refused(fragment: str) -> Message:
        answer = await ana.expect(fragment)
        assert "Envíame como archivos" in answer.text  # the same question again
        return answer

    sent.append(await ana.send_document("acuse.pdf", b"%PDF-1.4 acuse"))
    await refused("Eso es un PDF")
    sent.append(await ana.send_document("csd.zip", b"PK\x03\x04"))
    await refused("Descomprímelo")
    sent.append(await ana.send_document("notas.txt", b"hola"))
    await refused("no es un certificado (.cer) ni una clave privada")
    await ana.send_photo()
    await refused("Eso es una foto")
    await ana.send_sticker()
    await refused("sticker")
    typed = await ana.send("12345678a")
    await refused("Borré tu mensaje")
    await ana.wait_deleted(typed)
    sent.append(await ana.send_document("falso.cer", b"no soy un certificado"))
    await refused("no es un certificado válido")
    sent.append(await ana.send_document("falsa.key", b"no soy una clave"))
    await refused("no es una clave privada válida")
    # PDF, zip and txt are refused by name: never fetched.
    for message in sent[:3]:
        assert bot.emulator.files.fetched(message.extra["document"]["file_id"]) == 0
    # Nothing was taken: a good pair still goes through.
    await ana.send_document("CSD.cer", sat_file("eku_csd.cer"))
    await ana.expect("Recibí el certificado")
    await ana.send_document("CSD.key", sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")


async def test_a_big_file_is_refused_by_its_size_and_never_downloaded(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    big = await ana.send_document("CSD.cer", size=20 * 1024 * 1024)
    answer = await ana.expect("demasiado grande")
    assert "Envíame como archivos" in answer.text
    assert bot.emulator.files.fetched(big.extra["document"]["file_id"]) == 0
    # Just over the limit (64 KB), with the bytes there: refused before download too.
    over = await ana.send_document("CSD.key", bytes(64 * 1024 + 1))
    await ana.expect("demasiado grande")
    assert bot.emulator.files.fetched(over.extra["document"]["file_id"]) == 0


async def test_the_e_firma_is_refused_and_the_way_to_a_csd_said(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    await ana.send_document("eku_fiel.cer", sat_file("eku_fiel.cer"))
    answer = await ana.expect("e.firma")
    assert "CertiSAT" in answer.text and "Envíame como archivos" in answer.text
    # One made with only a FIEL's key usage is refused too.
    fiel_like = make_csd(fiel=True)
    await ana.send_document("otra.cer", fiel_like.cer)
    await ana.expect("e.firma")


async def test_a_second_certificate_replaces_the_first(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    other = make_csd()
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    await ana.send_document("primero.cer", other.cer)
    await ana.expect("Recibí el certificado")
    await ana.send_document("segundo.cer", sat_file("eku_csd.cer"))
    replaced = await ana.expect("en lugar del que enviaste antes")
    assert SAT_CSD_SERIAL in replaced.text
    await ana.expect("clave privada (.key)")  # still missing
    await ana.send_document("CSD.key", sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")
    await ana.send(SAT_PASSWORD)
    assert SAT_CSD_SERIAL in (await ana.expect("Guardé tu")).text


# Refusals after the password


async def test_a_wrong_password_is_deleted_said_and_asked_again(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    typed, answer = await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"), "nop3")
    await ana.wait_deleted(typed)
    assert "no abre tu clave privada" in answer.text
    assert "contraseña de tu clave privada" in answer.text  # asked again
    right = await ana.send(SAT_PASSWORD)
    await ana.expect("Guardé tu")
    await ana.wait_deleted(right)


async def test_too_many_wrong_passwords_lock_and_say_how_long(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_files(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")
    for attempt in range(10):
        await ana.send(f"equivocada {attempt}")
        answer = await ana.reply()
        if "demasiados intentos" in answer.text:
            break
        assert "no abre tu clave privada" in answer.text
    else:
        raise AssertionError("never locked")
    assert "min" in answer.text and "/csd" in answer.text
    typed = await ana.send(SAT_PASSWORD)  # the right one, now that the flow has ended
    await ana.wait_deleted(typed)
    await ana.expect("Borré tu mensaje")
    await ana.send("/csd")  # the files are kept, but the lock holds
    await ana.expect("contraseña de tu clave privada")
    await ana.send(SAT_PASSWORD)
    assert "demasiados intentos" in (await ana.reply()).text
    assert await rows(bot.settings.database_url) == []


async def test_people_signed_in_to_one_account_share_its_allowance_of_key_passwords(
    bot: Harness, smtp
) -> None:
    """Four Telegram users signed in to one account guess the key's password at once, five
    each (their chats' allowance): 20 wrong answers between them, the account's hour; a
    fifth is told of the lock, right password and all."""
    people = [bot.person() for _ in range(5)]
    await csd_account(people[0], smtp.mailbox)
    for person in people[1:]:
        assert "entraste como" in (await sign_in(person, "kemper@example.mx")).text

    async def guess(person: Person) -> list[str]:
        await send_files(person, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
        await person.expect("contraseña de tu clave privada")
        answers = []
        for attempt in range(5):
            await person.send(f"equivocada {attempt}")
            answers.append((await person.reply()).text)
        return answers

    answers = [text for texts in await asyncio.gather(*map(guess, people[:4])) for text in texts]
    assert sum("no abre tu clave privada" in text for text in answers) == 20
    _, answer = await send_csd(people[4], sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    assert "demasiados intentos" in answer.text
    assert await rows(bot.settings.database_url) == []


async def test_a_key_of_another_certificate_is_refused(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    stranger = make_csd(key_index=1)
    _, answer = await send_csd(ana, sat_file("eku_csd.cer"), stranger.key)
    assert "no corresponde a ese certificado" in answer.text
    assert "Envíame como archivos" in answer.text  # both files again
    assert await rows(bot.settings.database_url) == []


async def test_a_key_crafted_to_hold_the_cpu_cannot_stall_other_chats(bot: Harness, smtp) -> None:
    """A made-up certificate with the account's RFC and a 31.7 KB key whose validation
    would hold Python's lock for seconds: it is refused as it arrives, and whatever its
    sender types next, another chat's answer comes at once."""
    mallory = bot.person(first_name="Mallory")
    await csd_account(mallory, smtp.mailbox, "mallory@example.mx")
    await mallory.send("/csd")
    await mallory.expect("Envíame como archivos")
    await mallory.send_document("CSD.cer", make_csd().cer)
    await mallory.expect("Recibí el certificado")
    await mallory.expect("clave privada (.key)")
    await mallory.send_document("CSD.key", crafted_key())
    answer = await mallory.reply()
    typed = await mallory.send(SAT_PASSWORD)  # as if the key had been taken
    await mallory.wait_deleted(typed)  # read: whatever it leads to has begun
    ana = bot.person()
    slowest, begun = 0.0, time.monotonic()
    while time.monotonic() - begun < 2:  # over the time the key's check would take to start
        started = time.monotonic()
        await ana.send("/ayuda")
        await ana.expect("/csd", timeout=60)
        slowest = max(slowest, time.monotonic() - started)
    # The one timed test: the stall it guards against lasted 12 s and more per try.
    assert slowest < 1.0
    assert "demasiado grande" in answer.text


async def send_certificate(person: Person, cer: bytes) -> Message:
    """/csd and a .cer alone: what the certificate can tell is said as it arrives."""
    await person.send("/csd")
    await person.expect("Envíame como archivos")
    await person.send_document("CSD.cer", cer)
    return await person.reply()


async def test_an_expired_csd_is_refused_with_its_date(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    answer = await send_certificate(ana, make_csd(valid_from=datetime(2019, 1, 2, tzinfo=UTC)).cer)
    assert "venció el" in answer.text and "CertiSAT" in answer.text
    assert "Envíame como archivos" in answer.text  # before any password
    assert await rows(bot.settings.database_url) == []


async def test_sats_expired_csd_of_another_rfc_is_refused_as_it_arrives(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    answer = await send_certificate(ana, sat_file("aaa_csd_expired.cer"))
    assert "venció el 17/05/2021" in answer.text  # 2021-05-18 03:54 UTC, in central Mexico
    assert "contraseña" not in answer.text and "¿Lo reemplazo" not in answer.text


async def test_a_csd_not_yet_valid_is_refused(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    later = make_csd(valid_from=datetime.now(UTC) + timedelta(days=3))
    answer = await send_certificate(ana, later.cer)
    assert "aún no está vigente" in answer.text
    assert await rows(bot.settings.database_url) == []


async def test_a_csd_of_another_rfc_names_both(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    theirs = make_csd(rfc="GODE561231GR8", holder="ERNESTO GODINEZ")
    answer = await send_certificate(ana, theirs.cer)
    assert "GODE561231GR8" in answer.text and SAT_CSD_RFC in answer.text
    assert await rows(bot.settings.database_url) == []


# The holder and the razón social


async def save_company(bot: Harness, database_url: str, razon_social: str) -> int:
    [account] = await accounts_in(database_url)
    assert bot.runtime is not None
    data = CompanyData(
        razon_social=razon_social,
        regimen_fiscal="601",
        codigo_postal="06600",
        calle="Insurgentes Sur",
        numero_exterior="1",
        colonia="Juárez",
        estado="Ciudad de México",
        municipio="Cuauhtémoc",
        telefono="5555555555",
        correo_contacto="kemper@example.mx",
        lugar_expedicion="06600",
    )
    await bot.runtime.services.companies.save(account.id, data)
    return account.id


async def test_a_holder_unlike_the_razon_social_offers_the_certificates_name(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    account_id = await save_company(bot, database_url, "KEMPER Y ASOCIADOS")
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    offer = await ana.expect("no coincide con la razón social")
    assert SAT_CSD_HOLDER in offer.text and "KEMPER Y ASOCIADOS" in offer.text
    await ana.press("Sí, usar ESCUELA KEMPER URGATE")
    await ana.expect("tu razón social ahora es")
    assert bot.runtime is not None
    company = await bot.runtime.services.companies.get(account_id)
    assert company is not None and company.razon_social == "ESCUELA KEMPER URGATE"


async def test_a_holder_matching_the_razon_social_asks_nothing(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await save_company(bot, database_url, "Escuela Kemper Urgate")
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    assert not [m for m in await ana.quiet(0.5) if "razón social" in (m.text or "")]


# Replacement and deletion


async def test_a_new_csd_replaces_the_stored_one_after_showing_both_serials(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    renewed = make_csd()
    await ana.send("/csd")
    await ana.press("Reemplazar", await ana.expect("Este es tu"))
    await ana.expect("Envíame como archivos")
    await ana.send_document("nuevo.cer", renewed.cer)
    await ana.expect("Recibí el certificado")
    await ana.send_document("nuevo.key", renewed.key)
    question = await ana.expect("¿Lo reemplazo")
    assert SAT_CSD_SERIAL in question.text and renewed.serial in question.text
    await ana.press("Sí, reemplazarlo")
    await ana.expect("contraseña de tu clave privada")
    await ana.send(renewed.password)
    assert renewed.serial in (await ana.expect("Guardé tu")).text
    assert SAT_CSD_SERIAL in (await ana.expect("Reemplazó a tu CSD anterior")).text
    [row] = await rows(bot.settings.database_url)
    assert row["serial"] == renewed.serial


async def test_keeping_the_stored_one_changes_nothing(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    renewed = make_csd()
    await ana.send("/csd")
    await ana.press("Reemplazar", await ana.expect("Este es tu"))
    await ana.send_document("nuevo.cer", renewed.cer)
    await ana.send_document("nuevo.key", renewed.key)
    await ana.press("No, conservar el actual", await ana.expect("¿Lo reemplazo"))
    await ana.expect("sigue igual")
    [row] = await rows(bot.settings.database_url)
    assert row["serial"] == SAT_CSD_SERIAL


async def test_deleting_the_csd_asks_first(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.send("/csd")
    await ana.press("Eliminar", await ana.expect("Este es tu"))
    question = await ana.expect("¿Elimino tu CSD")
    assert SAT_CSD_SERIAL in question.text
    assert len(await rows(bot.settings.database_url)) == 1  # not before the answer
    await ana.press("Sí, eliminarlo", question)
    await ana.expect("Eliminé tu CSD")
    assert await rows(bot.settings.database_url) == []
    await ana.send("/cuenta")
    assert "sin enviar" in (await ana.expect("Tu cuenta")).text
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")


# The flow among the others


async def test_csd_signs_in_first_when_needed(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await ana.send("/salir")
    await ana.expect("Cerraste la sesión")
    await ana.send("/csd")
    await ana.expect("primero entra con tu cuenta")
    await ana.expect("correo electrónico")
    await ana.send("kemper@example.mx")
    await ana.expect("contraseña")
    from tests.factories import PASSWORD

    await ana.send(PASSWORD)
    await ana.expect("Envíame como archivos")


async def test_help_repeats_the_question_and_cancel_drops_the_files(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    await ana.send_document("CSD.cer", sat_file("eku_csd.cer"))
    await ana.expect("clave privada (.key)")
    await ana.send("/ayuda")
    await ana.expect("/csd")
    await ana.expect("clave privada (.key)")
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")  # both again: the certificate was dropped


async def test_a_restart_between_the_files_keeps_the_first(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    await ana.send_document("CSD.cer", sat_file("eku_csd.cer"))
    await ana.expect("clave privada (.key)")
    await bot.stop()
    await bot.start()
    await ana.send_document("CSD.key", sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")
    await ana.send(SAT_PASSWORD)
    assert SAT_CSD_SERIAL in (await ana.expect("Guardé tu")).text


async def test_empresa_and_the_next_step_offer_the_csd(bot: Harness, smtp, database_url) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await save_company(bot, database_url, "ESCUELA KEMPER URGATE")
    await ana.send("/empresa")
    stored = await ana.expect("tenemos guardados")
    await ana.press("Certificado (CSD)", stored)
    await ana.expect("Envíame como archivos")


# The expiry emails, from the running bot's housekeeping


async def move_expiry(database_url: str, valid_until: datetime) -> None:
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            await session.execute(text("UPDATE csds SET valid_until = :v"), {"v": valid_until})
    finally:
        await engine.dispose()


async def test_the_owner_is_mailed_30_and_7_days_before_expiry_once_each(
    bot: Harness, smtp
) -> None:
    """Housekeeping runs at every start: 20 days before the end, one email (the 30-day
    one), and nothing more after a restart; 5 days before, the 7-day one, once."""
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    _, saved = await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    assert "Guardé tu" in saved.text
    mailbox = smtp.mailbox
    sent = len(mailbox.messages)
    await bot.stop()
    await move_expiry(bot.settings.database_url, datetime.now(UTC) + timedelta(days=20, hours=1))
    await bot.start()
    [first] = (await mailbox.wait(sent + 1))[sent:]
    assert first["To"] == "kemper@example.mx"
    assert "vence en 20 días" in first["Subject"]
    body = first.get_body(("plain",)).get_content()
    assert SAT_CSD_SERIAL in body and "CertiSAT" in body and SAT_PASSWORD not in body
    await bot.stop()
    runtime = await bot.start()  # its own pass queues nothing; nor does another one
    assert await runtime.services.csd.remind_expiring() == 0
    await bot.stop()
    await move_expiry(bot.settings.database_url, datetime.now(UTC) + timedelta(days=5, hours=1))
    runtime = await bot.start()
    [second] = (await mailbox.wait(sent + 2))[sent + 1 :]
    assert "vence en 5 días" in second["Subject"]
    assert await runtime.services.csd.remind_expiring() == 0
    assert len(mailbox.messages) == sent + 2
