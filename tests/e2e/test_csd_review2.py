"""Second outside review of /csd (issue 15): a new customer following the README, and an
attacker of what test_csd.py and test_csd_review.py leave out. Each test asserts what a
person observes; the findings are strict xfails (their reason says what is wrong), so
that the fix flips them. The others show what held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import Harness
from tests.e2e.test_account_review import delete_account
from tests.e2e.test_csd import (
    csd_account,
    move_expiry,
    rows,
    save_company,
    send_csd,
    send_files,
)
from tests.factories import sign_in
from tests.sat_certs import (
    SAT_CSD_HOLDER,
    SAT_CSD_SERIAL,
    SAT_PASSWORD,
    make_csd,
    make_odd_csd,
    sat_file,
)

ERROR = "Algo salió mal de nuestro lado"


async def razon_social_shown(bot: Harness, account_id: int) -> str:
    assert bot.runtime is not None
    company = await bot.runtime.services.companies.get(account_id)
    assert company is not None
    return company.razon_social


# The certificate's name offered as the razón social


async def test_a_holder_with_html_is_shown_as_written_in_messages_and_the_offer_button(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await save_company(bot, database_url, "ESCUELA KEMPER URGATE")
    odd = make_odd_csd(holder="KEMPER & <b>HIJOS</b> SA DE CV")
    await send_files(ana, odd.cer, odd.key)
    [received] = [m for m in ana.bot_messages() if "Recibí el certificado" in (m.text or "")]
    assert "KEMPER & <b>HIJOS</b> SA DE CV" in received.text  # held: escaped, shown as typed
    await ana.expect("contraseña de tu clave privada")
    await ana.send(odd.password)
    await ana.expect("Guardé tu")
    offer = await ana.expect("no coincide con la razón social")
    assert "KEMPER & <b>HIJOS</b> SA DE CV" in offer.text  # held
    assert "Sí, usar KEMPER & <B>HIJOS</B>" in offer.button_texts(), offer.button_texts()


async def test_a_holder_with_a_pipe_never_becomes_the_razon_social(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    account_id = await save_company(bot, database_url, "OTRA EMPRESA")
    odd = make_odd_csd(holder="ESCUELA | KEMPER URGATE SA DE CV")
    await send_csd(ana, odd.cer, odd.key)
    offer = await ana.expect("no coincide con la razón social")
    offered = [b for b in offer.button_texts() if b.startswith("Sí, usar")]
    if offered:
        await ana.press(offered[0], offer)
        await ana.reply()
    assert "|" not in await razon_social_shown(bot, account_id)


# What the certificate says about itself: refused as it arrives, before any password


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
    """At first a 300-character name crashed on PostgreSQL («Algo salió mal») and became
    a razón social over 254 on SQLite; no RFC read «es del RFC , y tu cuenta…»; a
    self-signed or a CA's certificate was stored; an EC pair was called a mismatch."""
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    made = make_odd_csd(**odd)  # type: ignore[arg-type]
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    await ana.send_document("CSD.cer", made.cer)
    answer = await ana.reply()
    assert "no es uno que el SAT emita" in answer.text, answer.text
    assert "Envíame como archivos" in answer.text  # the question again
    assert ERROR not in answer.text and "RFC ," not in answer.text
    await ana.send_document("CSD.key", made.key)
    await ana.expect("Ahora envíame como archivo el")  # the certificate is still missing
    assert await rows(bot.settings.database_url) == []


async def test_an_expired_certificate_is_said_as_it_arrives(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    await ana.send_document("CSD_AAA.cer", sat_file("aaa_csd_expired.cer"))
    answer = await ana.reply()
    assert "venció" in answer.text, answer.text


# Words a customer reads


async def test_the_wrong_password_reply_says_things_once(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    _, answer = await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"), "nop3")
    assert "no abre tu clave privada" in answer.text
    assert answer.text.count("al tramitar el CSD") == 1, answer.text


async def test_storing_the_csd_ends_with_what_comes_next(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    _, answer = await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    assert "Guardé tu" in answer.text
    said = [answer, *await ana.quiet(1)]
    assert any(m.button_texts() for m in said), [m.text for m in said]


async def test_saving_the_company_with_a_csd_on_file_does_not_ask_for_one(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await save_company(bot, database_url, "ESCUELA KEMPER URGATE")
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.send("/empresa")
    await ana.press("Teléfono", await ana.expect("tenemos guardados"))
    await ana.expect("teléfono")
    await ana.send("55 5241 7000")
    await ana.press("Guardar", await ana.expect("Revisa los datos de tu empresa"))
    saved = await ana.expect("Datos de la empresa guardados")
    assert "falta tu Certificado" not in saved.text, saved.text


async def test_a_razon_social_changed_after_the_csd_is_compared_with_its_holder(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await save_company(bot, database_url, "ESCUELA KEMPER URGATE")
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.send("/empresa")
    await ana.press("Razón social", await ana.expect("tenemos guardados"))
    await ana.expect("razón social")
    await ana.send("OTRA EMPRESA")
    summary = await ana.expect("Revisa los datos de tu empresa")
    await ana.press("Guardar", summary)
    said = [summary, *await ana.quiet(1)]
    assert any(SAT_CSD_HOLDER in (m.text or "") for m in said), [m.text for m in said]


async def test_one_day_left_is_said_in_the_singular(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    last_day = make_csd(valid_from=datetime.now(UTC) - timedelta(days=700), valid_days=701.5)
    _, answer = await send_csd(ana, last_day.cer, last_day.key)
    assert "Guardé tu" in answer.text
    warning = await ana.expect("vence en")
    assert "1 días" not in warning.text, warning.text


async def test_the_expiry_email_a_day_before_says_dia(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    sent = len(smtp.mailbox.messages)
    await bot.stop()
    await move_expiry(bot.settings.database_url, datetime.now(UTC) + timedelta(days=1, hours=1))
    await bot.start()
    [reminder] = (await smtp.mailbox.wait(sent + 1))[sent:]
    body = reminder.get_body(("plain",)).get_content()
    assert SAT_PASSWORD not in body and SAT_CSD_SERIAL in body  # held
    assert "1 días" not in reminder["Subject"] and "1 días" not in body, reminder["Subject"]


async def test_an_expired_stored_csd_is_shown_as_expired(bot: Harness, smtp) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_csd(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await move_expiry(bot.settings.database_url, datetime.now(UTC) - timedelta(days=2))
    await ana.send("/csd")
    shown = await ana.expect("Este es tu")
    await ana.send("/cuenta")
    overview = await ana.expect("Tu cuenta")
    csd_line = next(line for line in overview.text.splitlines() if line.startswith("CSD"))
    assert "venc" in shown.text.lower(), shown.text
    assert "venc" in csd_line.lower(), csd_line


# Another chat, a restart


async def test_deleting_the_account_while_another_chat_is_at_the_csd_password(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    laptop = bot.person()
    await sign_in(laptop, "kemper@example.mx")
    await send_files(laptop, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await laptop.expect("contraseña de tu clave privada")
    await delete_account(ana)
    typed = await laptop.send(SAT_PASSWORD)
    answer = await laptop.reply()
    await laptop.wait_deleted(typed)  # held: the password is deleted
    assert await rows(bot.settings.database_url) == []  # held: nothing stored
    assert "siguen aquí" not in answer.text, answer.text


async def test_a_restart_between_the_password_and_the_answer_keeps_the_step(
    bot: Harness, smtp
) -> None:
    """Held: the bot stopped right after the files; the password typed once it is back is
    read at the same step, deleted, and the CSD stored."""
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await send_files(ana, sat_file("eku_csd.cer"), sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")
    await bot.stop()
    await bot.start()
    typed = await ana.send(SAT_PASSWORD)
    assert SAT_CSD_SERIAL in (await ana.expect("Guardé tu")).text
    await ana.wait_deleted(typed)


async def test_a_file_announced_small_but_bigger_is_refused_after_download(
    bot: Harness, smtp
) -> None:
    """Held: a .cer announced at 1.5 KB that holds 1 MB is refused as too big, and the good
    pair still goes through."""
    ana = bot.person()
    await csd_account(ana, smtp.mailbox)
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    stored = bot.emulator.files.add("CSD.cer", sat_file("eku_csd.cer") + bytes(1024 * 1024))
    stored.size = 1460  # what the update announces
    await ana._post(extra={"document": stored.document()})
    answer = await ana.expect("demasiado grande")
    assert "Envíame como archivos" in answer.text
    await ana.send_document("CSD.cer", sat_file("eku_csd.cer"))
    await ana.expect("Recibí el certificado")
