"""What /csd refuses, and why: whatever is not a CSD file (by name before it is fetched, by
size, by content), the e.firma, what SAT never issues, a certificate expired, not yet valid
or of another RFC, a key of another certificate, a wrong password (and the lock after too
many, shared by the account's chats and with sign-in), a key made to stall the bot, and
/csd in a group. After each refusal the question comes again and nothing is stored."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization

from emulator import Person
from emulator.world import Message
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import PASSWORD, csd_rows
from tests.sat_certs import (
    SAT_CSD_RFC,
    SAT_PASSWORD,
    crafted_key,
    make_csd,
    make_odd_csd,
    sat_file,
)

ERROR = "Algo salió mal de nuestro lado"


async def certificate_answer(person: Person, cer: bytes) -> Message:
    """/csd and a .cer alone: what the certificate can tell is said as it arrives."""
    await journeys.open_csd(person)
    await person.send_document("CSD.cer", cer)
    return await person.reply()


# What arrives instead of the files


async def test_whatever_is_not_a_csd_file_gets_its_reason_and_the_question_again(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.open_csd(ana)
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


async def test_unencrypted_pkcs8_pkcs1_garbage_and_empty_files_are_refused(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    csd = make_csd()
    await journeys.open_csd(ana)
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


async def test_a_big_file_is_refused_by_its_size_and_never_downloaded(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.open_csd(ana)
    big = await ana.send_document("CSD.cer", size=20 * 1024 * 1024)
    answer = await ana.expect("demasiado grande")
    assert "Envíame como archivos" in answer.text
    assert bot.emulator.files.fetched(big.extra["document"]["file_id"]) == 0
    # Just over the limit (64 KB), with the bytes there: refused before download too.
    over = await ana.send_document("CSD.key", bytes(64 * 1024 + 1))
    await ana.expect("demasiado grande")
    assert bot.emulator.files.fetched(over.extra["document"]["file_id"]) == 0


async def test_a_file_announced_small_but_bigger_is_refused_after_download(
    bot: Harness, smtp
) -> None:
    """A .cer announced at 1.5 KB that holds 1 MB is refused as too big, and the good pair
    still goes through."""
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.open_csd(ana)
    stored = bot.emulator.files.add("CSD.cer", sat_file("eku_csd.cer") + bytes(1024 * 1024))
    stored.size = 1460  # what the update announces
    await ana._post(extra={"document": stored.document()})
    answer = await ana.expect("demasiado grande")
    assert "Envíame como archivos" in answer.text
    await ana.send_document("CSD.cer", sat_file("eku_csd.cer"))
    await ana.expect("Recibí el certificado")


async def test_csd_in_a_group_says_private_chat_only(bot: Harness, smtp) -> None:
    ana = bot.person()
    group = bot.group(kind="supergroup", bot_in=True)
    await group.send(ana, "/csd")
    await group.wait_left()
    [said] = group.bot_messages()
    assert "solo atiendo en un chat privado" in said.text


# What the certificate says about itself, as it arrives (before any password)


async def test_the_e_firma_is_refused_and_the_way_to_a_csd_said(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.open_csd(ana)
    await ana.send_document("eku_fiel.cer", sat_file("eku_fiel.cer"))
    answer = await ana.expect("e.firma")
    assert "CertiSAT" in answer.text and "Envíame como archivos" in answer.text
    # One made with only a FIEL's key usage is refused too.
    fiel_like = make_csd(fiel=True)
    await ana.send_document("otra.cer", fiel_like.cer)
    await ana.expect("e.firma")


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param({"holder": "ESCUELA KEMPER URGATE " * 14 + "SA DE CV"}, id="300-characters"),
        pytest.param({"unique": None}, id="no-rfc"),
        pytest.param({"unique": " / VADA800927DJ3"}, id="only-the-representatives-rfc"),
        pytest.param({"self_signed": True}, id="self-signed"),
        pytest.param({"ca": True}, id="a-certificate-authority"),
        pytest.param({"elliptic": True}, id="an-ec-key"),
    ],
)
async def test_what_sat_never_issues_is_refused_as_it_arrives(
    bot: Harness, smtp, odd: dict[str, object]
) -> None:
    """A 300-character name (once a crash on PostgreSQL, a razón social over 254 on
    SQLite), no RFC (once «es del RFC , y tu cuenta…»), a self-signed or a CA's
    certificate (once stored), an EC pair (once called a mismatch)."""
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    made = make_odd_csd(**odd)  # type: ignore[arg-type]
    answer = await certificate_answer(ana, made.cer)
    assert "no es uno que el SAT emita" in answer.text, answer.text
    assert "Envíame como archivos" in answer.text  # the question again
    assert ERROR not in answer.text and "RFC ," not in answer.text
    await ana.send_document("CSD.key", made.key)
    await ana.expect("Ahora envíame como archivo el")  # the certificate is still missing
    assert await csd_rows(bot.settings.database_url) == []


@pytest.mark.postgres
@pytest.mark.parametrize(
    "odd",
    [
        pytest.param({"branch": "SUCURSAL " * 33 + "CENTRO"}, id="branch-over-254"),
        pytest.param({"branch": "Sucursal\x001"}, id="nul-in-branch"),
        pytest.param({"holder": "ESCUELA KEMPER\x00URGATE SA DE CV"}, id="nul-in-holder"),
    ],
)
async def test_an_odd_branch_or_holder_is_refused_as_it_arrives(
    bot: Harness, smtp, odd: dict[str, str]
) -> None:
    """An OU longer than the column's 254 characters, or a NUL in the OU or CN, once passed
    every check and crashed the INSERT on PostgreSQL («Algo salió mal» after the
    password). No name SAT writes is like that: refused as the certificate arrives."""
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    answer = await certificate_answer(ana, make_csd(**odd).cer)  # type: ignore[arg-type]
    assert "no es uno que el SAT emita" in answer.text, answer.text
    assert ERROR not in answer.text


async def test_an_expired_csd_is_refused_with_its_date(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    old = make_csd(valid_from=datetime(2019, 1, 2, tzinfo=UTC))
    answer = await certificate_answer(ana, old.cer)
    assert "venció el" in answer.text and "CertiSAT" in answer.text
    assert "Envíame como archivos" in answer.text  # before any password
    assert await csd_rows(bot.settings.database_url) == []


async def test_sats_expired_csd_of_another_rfc_is_refused_as_it_arrives(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    answer = await certificate_answer(ana, sat_file("aaa_csd_expired.cer"))
    assert "venció el 17/05/2021" in answer.text  # 2021-05-18 03:54 UTC, in central Mexico
    assert "contraseña" not in answer.text and "¿Lo reemplazo" not in answer.text


async def test_a_csd_not_yet_valid_is_refused(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    later = make_csd(valid_from=datetime.now(UTC) + timedelta(days=3))
    answer = await certificate_answer(ana, later.cer)
    assert "aún no está vigente" in answer.text
    assert await csd_rows(bot.settings.database_url) == []


async def test_a_csd_of_another_rfc_names_both(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    theirs = make_csd(rfc="GODE561231GR8", holder="ERNESTO GODINEZ")
    answer = await certificate_answer(ana, theirs.cer)
    assert "GODE561231GR8" in answer.text and SAT_CSD_RFC in answer.text
    assert await csd_rows(bot.settings.database_url) == []


async def test_a_key_crafted_to_hold_the_cpu_cannot_stall_other_chats(bot: Harness, smtp) -> None:
    """A made-up certificate with the account's RFC and a 31.7 KB key whose validation
    would hold Python's lock for seconds: it is refused as it arrives, and whatever its
    sender types next, another chat's answer comes at once."""
    mallory = bot.person(first_name="Mallory")
    await journeys.sat_csd_account(mallory, smtp.mailbox, "mallory@example.mx")
    await journeys.open_csd(mallory)
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


# The key against its certificate, and its password


@pytest.mark.parametrize("whose", ["another-csd", "the-e-firma"])
async def test_a_key_of_another_certificate_is_refused(bot: Harness, smtp, whose: str) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    key = make_csd(key_index=1).key if whose == "another-csd" else sat_file("eku_fiel.key")
    _, answer = await journeys.csd(ana, sat_file("eku_csd.cer"), key, SAT_PASSWORD)
    assert "no corresponde a ese certificado" in answer.text
    assert "Envíame como archivos" in answer.text  # both files again
    assert await csd_rows(bot.settings.database_url) == []


async def test_a_wrong_password_is_deleted_said_once_and_asked_again(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    typed, answer = await journeys.sat_csd(ana, "nop3")
    await ana.wait_deleted(typed)
    assert "no abre tu clave privada" in answer.text
    assert answer.text.count("al tramitar el CSD") == 1, answer.text
    assert "contraseña de tu clave privada" in answer.text  # asked again
    right = await ana.send(SAT_PASSWORD)
    await ana.expect("Guardé tu")
    await ana.wait_deleted(right)


async def wrong_until_locked(person: Person, tries: int) -> Message:
    """Wrong passwords at the question, until the bot says «demasiados intentos»."""
    for attempt in range(tries):
        await person.send(f"equivocada {attempt}")
        answer = await person.reply()
        if "demasiados intentos" in answer.text:
            return answer
        assert "no abre tu clave privada" in answer.text
    raise AssertionError("never locked")


@pytest.mark.postgres
async def test_too_many_wrong_passwords_lock_and_say_how_long(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.sat_csd_files(ana)
    answer = await wrong_until_locked(ana, 10)
    assert "min" in answer.text and "/csd" in answer.text
    typed = await ana.send(SAT_PASSWORD)  # the right one, now that the flow has ended
    await ana.wait_deleted(typed)
    await ana.expect("Borré tu mensaje")
    await ana.send("/csd")  # the files are kept, but the lock holds
    await ana.expect("contraseña de tu clave privada")
    await ana.send(SAT_PASSWORD)
    assert "demasiados intentos" in (await ana.reply()).text
    assert await csd_rows(bot.settings.database_url) == []


@pytest.mark.postgres
async def test_people_signed_in_to_one_account_share_its_allowance_of_key_passwords(
    bot: Harness, smtp
) -> None:
    """Four Telegram users signed in to one account guess the key's password at once, five
    each (their chats' allowance): 20 wrong answers between them, the account's hour; a
    fifth is told of the lock, right password and all."""
    people = [bot.person() for _ in range(5)]
    await journeys.sat_csd_account(people[0], smtp.mailbox)
    for person in people[1:]:
        assert "entraste como" in (await journeys.sign_in(person, "kemper@example.mx")).text

    async def guess(person: Person) -> list[str]:
        await journeys.sat_csd_files(person)
        answers = []
        for attempt in range(5):
            await person.send(f"equivocada {attempt}")
            answers.append((await person.reply()).text)
        return answers

    answers = [text for texts in await asyncio.gather(*map(guess, people[:4])) for text in texts]
    assert sum("no abre tu clave privada" in text for text in answers) == 20
    _, answer = await journeys.sat_csd(people[4])
    assert "demasiados intentos" in answer.text
    assert await csd_rows(bot.settings.database_url) == []


@pytest.mark.postgres
async def test_the_csd_password_lock_also_blocks_sign_in(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.sat_csd_files(ana)
    await wrong_until_locked(ana, 25)
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
