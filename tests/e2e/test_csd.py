"""The Certificado de Sello Digital (/csd): SAT's test CSD taken in every form a person
sends it (DER or PEM, either order, misnamed, nameless, after a preamble), shown and stored
with the key as issued; the flow among the others (sign-in first, /ayuda, /cancelar, a
restart between the steps), and in English."""

from __future__ import annotations

import base64
import logging
from pathlib import Path
from typing import Any

import pytest

from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import (
    PASSWORD,
    accounts_in,
    csd_rows,
    said_before_help,
    save_company,
)
from tests.sat_certs import (
    SAT_CSD_HOLDER,
    SAT_CSD_RFC,
    SAT_CSD_SERIAL,
    SAT_PASSWORD,
    make_csd,
    sat_file,
)

BOT_PACKAGES = ("bot", "chat", "handlers", "services", "storage", "mail.", "telegram", "emulator")


def logged(caplog: Any) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(BOT_PACKAGES))


def pem(label: str, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return b"\n".join(
        [f"-----BEGIN {label}-----".encode(), *lines, f"-----END {label}-----".encode(), b""]
    )


# What `openssl pkcs12 -in csd.pfx -out csd.pem` writes before each PEM block: the way a
# person who made a .pfx of the CSD for another PAC (many ask for one) gets PEM files back.
BAG_CERTIFICATE = (
    b"Bag Attributes\n"
    b"    localKeyID: 17 9B 42 71 EA 51 1B B9 EC AF A2 E0 C4 A2 55 AA B9 3E 17 F9 \n"
    b"subject=CN = ESCUELA KEMPER URGATE SA DE CV, O = ESCUELA KEMPER URGATE SA DE CV, "
    b"x500UniqueIdentifier = EKU9003173C9 / VADA800927DJ3, OU = Sucursal 1\n"
    b"issuer=CN = AC UAT, O = SERVICIO DE ADMINISTRACION TRIBUTARIA\n"
)
BAG_KEY = (
    b"Bag Attributes\n"
    b"    localKeyID: 17 9B 42 71 EA 51 1B B9 EC AF A2 E0 C4 A2 55 AA B9 3E 17 F9 \n"
    b"Key Attributes: <No Attributes>\n"
)
BOM = b"\xef\xbb\xbf"  # what Windows' Notepad writes first when it saves "UTF-8 with BOM"


# Acceptance


@pytest.mark.postgres
async def test_the_test_csd_is_accepted_shown_and_stored_without_its_password(
    bot: Harness, smtp, caplog, database_url: str
) -> None:
    caplog.set_level(logging.INFO)  # the default LOG_LEVEL
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
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
    [row] = await csd_rows(database_url)
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
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.sat_csd(ana)
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


async def test_storing_the_csd_ends_with_what_comes_next(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    typed, answer = await journeys.sat_csd(ana)
    assert "Guardé tu" in answer.text
    said = await said_before_help(ana, typed)
    assert any(m.button_texts() for m in said), [m.text for m in said]


async def test_a_password_with_spaces_and_unicode_opens_its_key(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    secret = "Contraseña del año ñandú 42 ✓"
    csd = make_csd(password=secret)
    typed, answer = await journeys.csd(ana, csd.cer, csd.key, secret)
    assert "Guardé tu" in answer.text, answer.text
    await ana.wait_deleted(typed)


# The forms a person sends: judged by their content, not their names


async def test_a_certificate_named_key_and_a_key_named_cer_are_taken_for_what_they_are(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.open_csd(ana)
    await ana.send_document("CSD.key", sat_file("eku_csd.cer"))
    answer = await ana.reply()
    assert "Recibí el certificado" in answer.text, answer.text
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await journeys.open_csd(ana)
    await ana.send_document("CSD.cer", sat_file("eku_csd.key"))
    answer = await ana.reply()
    assert "Recibí la clave privada" in answer.text, answer.text


async def test_pem_forms_and_files_sent_twice_are_accepted(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    csd = make_csd()
    key_pem = csd.key_pem  # each call encrypts afresh (new salt): one copy, sent twice
    await journeys.open_csd(ana)
    await ana.send_document("llave.pem", key_pem)  # .pem: judged by content
    await ana.expect("Recibí la clave privada")
    await ana.send_document("llave.key", key_pem)  # the same again, PEM under .key
    await ana.expect("en lugar de la que enviaste antes")
    await ana.send_document("cert.cer", csd.cer_pem)
    await ana.expect("Recibí el certificado")
    await ana.expect("contraseña de tu clave privada")
    await ana.send(csd.password)
    assert csd.serial in (await ana.expect("Guardé tu")).text
    [row] = await csd_rows(bot.settings.database_url)
    assert bytes(row["certificate_der"]) == csd.cer  # PEM stored as DER
    body = b"".join(key_pem.splitlines()[1:-1])
    assert bytes(row["key_der"]) == base64.b64decode(body)  # the key as sent, in DER


@pytest.mark.parametrize(
    ("before_certificate", "before_key"),
    [
        pytest.param(BAG_CERTIFICATE, BAG_KEY, id="openssl-pkcs12-output"),
        pytest.param(BOM, BOM, id="utf8-bom"),
    ],
)
async def test_sats_test_csd_as_pem_with_a_preamble_is_stored(
    bot: Harness, smtp, before_certificate: bytes, before_key: bytes
) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.open_csd(ana)
    certificate = before_certificate + pem("CERTIFICATE", sat_file("eku_csd.cer"))
    key = before_key + pem("ENCRYPTED PRIVATE KEY", sat_file("eku_csd.key"))
    await ana.send_document("csd.pem", certificate)
    answer = await ana.reply()
    assert "Recibí el certificado" in answer.text, answer.text
    await ana.send_document("csd.key", key)
    await ana.expect("Recibí la clave privada")
    await ana.expect("contraseña de tu clave privada")
    await ana.send(SAT_PASSWORD)
    assert SAT_CSD_SERIAL in (await ana.expect("Guardé tu")).text
    [row] = await csd_rows(bot.settings.database_url)
    assert bytes(row["key_der"]) == sat_file("eku_csd.key")


async def test_a_document_without_a_name_is_judged_by_its_content(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.open_csd(ana)
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


async def test_a_second_certificate_replaces_the_first(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    other = make_csd()
    await journeys.open_csd(ana)
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


# The flow among the others


async def test_csd_signs_in_first_when_needed(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await ana.send("/salir")
    await ana.expect("Cerraste la sesión")
    await ana.send("/csd")
    await ana.expect("primero entra con tu cuenta")
    await ana.expect("correo electrónico")
    await ana.send("kemper@example.mx")
    await ana.expect("contraseña")
    await ana.send(PASSWORD)
    await ana.expect("Envíame como archivos")


async def test_help_repeats_the_question_and_cancel_drops_the_files(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_certificate_sent(ana, smtp.mailbox)
    await ana.send("/ayuda")
    await ana.expect("/csd")
    await ana.expect("clave privada (.key)")
    await ana.send("/cancelar")
    await ana.expect("lo dejamos aquí")
    await journeys.open_csd(ana)  # both again: the certificate was dropped


@pytest.mark.postgres
async def test_a_restart_between_the_files_keeps_the_first(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_certificate_sent(ana, smtp.mailbox)
    await bot.stop()
    await bot.start()
    await ana.send_document("CSD.key", sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")
    await ana.send(SAT_PASSWORD)
    assert SAT_CSD_SERIAL in (await ana.expect("Guardé tu")).text


@pytest.mark.postgres
async def test_a_restart_between_the_files_and_the_password_keeps_the_step(
    bot: Harness, smtp
) -> None:
    """The bot stopped right after the files; the password typed once it is back is read at
    the same step, deleted, and the CSD stored."""
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.sat_csd_files(ana)
    await bot.stop()
    await bot.start()
    typed = await ana.send(SAT_PASSWORD)
    assert SAT_CSD_SERIAL in (await ana.expect("Guardé tu")).text
    await ana.wait_deleted(typed)


async def test_empresa_and_the_next_step_offer_the_csd(bot: Harness, smtp, database_url) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    [account] = await accounts_in(database_url)
    assert bot.runtime is not None
    await save_company(bot.runtime.services, account.id, "ESCUELA KEMPER URGATE")
    await ana.send("/empresa")
    stored = await ana.expect("tenemos guardados")
    await ana.press("Certificado (CSD)", stored)
    await ana.expect("Envíame como archivos")


# In English


async def test_an_english_speaker_uploads_in_english(bot: Harness, smtp) -> None:
    spanish_first = bot.person()  # the account is made in Spanish (the helpers' words)
    await journeys.sat_csd_account(spanish_first, smtp.mailbox)
    ana = bot.person(user_id=spanish_first.user.id, language_code="en")
    await ana.send("/certificate")
    await ana.expect("Send me as files")
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


async def test_an_english_speaker_gets_english_when_stored_replaced_deleted_and_locked(
    bot: Harness, smtp
) -> None:
    """The stored CSD, the replacement question, the deletion and the lock are said in
    English, with English buttons and dates."""
    spanish_first = bot.person()
    await journeys.sat_csd_account(spanish_first, smtp.mailbox)
    ana = bot.person(user_id=spanish_first.user.id, language_code="en")
    before = len(ana.bot_messages())  # the same chat: the sign-up was in Spanish
    await ana.send("/certificate")
    await ana.send_document("CSD.cer", sat_file("eku_csd.cer"))
    await ana.send_document("CSD.key", sat_file("eku_csd.key"))
    await ana.expect("password of your private key")
    await ana.send(SAT_PASSWORD)
    await ana.expect("I saved your")
    await ana.send("/certificate")
    shown = await ana.expect("This is your")
    assert "2027-05-18" in shown.text and {"🔄 Replace", "🗑 Delete"} <= set(shown.button_texts())
    await ana.press("🔄 Replace", shown)
    renewed = make_csd()
    await ana.send_document("new.cer", renewed.cer)
    await ana.send_document("new.key", renewed.key)
    question = await ana.expect("Shall I replace it")
    assert {"Yes, replace it", "No, keep the current one"} <= set(question.button_texts())
    await ana.press("Yes, replace it", question)
    await ana.expect("password of your private key")
    for attempt in range(10):
        await ana.send(f"wrong {attempt}")
        if "too many tries" in (answer := await ana.reply()).text:
            break
    else:
        raise AssertionError("never locked")
    assert "min" in answer.text and "/certificate" in answer.text
    await ana.send("/account")
    overview = await ana.reply()
    assert "valid until 2027-05-18" in overview.text, overview.text
    await ana.send("/cancel")  # the files kept through the lock are dropped
    await ana.reply()
    await ana.send("/certificate")
    await ana.press("🗑 Delete", await ana.expect("This is your"))
    await ana.press("Yes, delete it", await ana.expect("Shall I delete your CSD"))
    await ana.expect("I deleted your CSD")
    spanish = ("Envíame", "Recibí", "Guardé", "contraseña", "¿", "Sí,", "Este es tu")
    said = [m.text or "" for m in ana.bot_messages()[before:]]
    assert not [t for t in said if any(s in t for s in spanish)], said
