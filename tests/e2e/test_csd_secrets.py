"""The key's password never stays in the chat, the database or the log: a password typed
at the wrong step or in a file's caption is deleted, and the bot's own log at DEBUG (as it
runs deployed) holds neither the password nor the key or certificate in any encoding."""

from __future__ import annotations

import base64

import pytest

from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import all_rows_text, csd_rows
from tests.sat_certs import SAT_PASSWORD, make_csd, sat_file


async def test_a_key_sent_with_its_password_as_caption_is_deleted(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_certificate_sent(ana, smtp.mailbox)
    sent = await ana.send_document(
        "CSD.key", sat_file("eku_csd.key"), caption=f"contraseña: {SAT_PASSWORD}"
    )
    await ana.expect("contraseña de tu clave privada")
    await ana.wait_deleted(sent, timeout=3)


async def test_a_password_typed_at_the_replacement_question_is_deleted(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.sat_csd(ana)
    renewed = make_csd()
    await journeys.csd_replacement(ana, renewed.cer, renewed.key)
    typed = await ana.send(renewed.password)  # typed before pressing the button
    await ana.wait_deleted(typed, timeout=3)


@pytest.mark.postgres
async def test_deleting_the_account_while_another_chat_is_at_the_csd_password(
    bot: Harness, smtp
) -> None:
    """The laptop's password, typed after the phone deleted the account, is deleted and
    stores nothing; the answer does not say the data are still here."""
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    laptop = bot.person()
    await journeys.sign_in(laptop, "kemper@example.mx")
    await journeys.sat_csd_files(laptop)
    await journeys.delete_account(ana)
    typed = await laptop.send(SAT_PASSWORD)
    answer = await laptop.reply()
    await laptop.wait_deleted(typed)
    assert await csd_rows(bot.settings.database_url) == []
    assert "siguen aquí" not in answer.text, answer.text


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("secret", "caption"),
    [
        pytest.param("Sello-Único-7Xq", None, id="unicode"),
        # A JSON-escaped log line would hide «Ú»: an ASCII one, in a caption too.
        pytest.param("SelloAscii-4821", "clave {secret}x", id="ascii-and-a-caption"),
    ],
)
async def test_no_password_or_key_in_any_table_or_a_debug_log(
    harness: Harness, smtp, database_url: str, secret: str, caption: str | None
) -> None:
    harness.log_level = "DEBUG"
    await harness.spawn()
    ana = harness.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    csd = make_csd(password=secret)
    await journeys.open_csd(ana)
    await ana.send_document("CSD.cer", csd.cer)
    await ana.expect("Recibí el certificado")
    await ana.send_document("CSD.key", csd.key, caption=caption and caption.format(secret=secret))
    await ana.expect("contraseña de tu clave privada")
    await ana.send("mala-" + secret)
    await ana.expect("no abre tu clave privada")
    await ana.send(secret)
    await ana.expect("Guardé tu")
    await harness.terminate()
    log = harness.log.read_text()
    assert "Guardé" in log or "stored CSD" in log  # the log is the bot's, at DEBUG
    for needle in (
        secret,
        base64.b64encode(csd.key).decode()[:40],
        csd.key.hex()[:40],
        repr(csd.key)[2:42],
        base64.b64encode(csd.cer).decode()[:40],
    ):
        assert needle not in log, needle
    assert secret not in await all_rows_text(database_url)
