"""A CSD's end: a warning when one within 30 days of it is stored, the owner mailed 30 and
7 days before (once each, across restarts), one day said in the singular, and a stored CSD
past its end shown as expired in /csd and /cuenta."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import move_csd_expiry, said_before_help, text_part
from tests.sat_certs import SAT_CSD_SERIAL, SAT_PASSWORD, make_csd


async def test_within_30_days_of_expiry_it_is_accepted_with_a_warning(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    soon = make_csd(valid_from=datetime.now(UTC) - timedelta(days=700), valid_days=710)
    _, answer = await journeys.csd(ana, soon.cer, soon.key, soon.password)
    assert "Guardé tu" in answer.text and soon.serial in answer.text
    warning = await ana.expect("vence en")
    assert "CertiSAT" in warning.text and "/csd" in warning.text


async def test_one_day_left_is_said_in_the_singular(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    last_day = make_csd(valid_from=datetime.now(UTC) - timedelta(days=700), valid_days=701.5)
    _, answer = await journeys.csd(ana, last_day.cer, last_day.key, last_day.password)
    assert "Guardé tu" in answer.text
    warning = await ana.expect("vence en")
    assert "1 días" not in warning.text, warning.text


async def test_a_csd_far_from_expiry_has_no_warning(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    typed, _ = await journeys.sat_csd(ana)
    assert not [m for m in await said_before_help(ana, typed) if "vence en" in (m.text or "")]


@pytest.mark.postgres
async def test_the_owner_is_mailed_30_and_7_days_before_expiry_once_each(
    bot: Harness, smtp
) -> None:
    """Housekeeping runs at every start: 20 days before the end, one email (the 30-day
    one), and nothing more after a restart; 5 days before, the 7-day one, once."""
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    _, saved = await journeys.sat_csd(ana)
    assert "Guardé tu" in saved.text
    mailbox = smtp.mailbox
    sent = len(mailbox.messages)
    await bot.stop()
    await move_csd_expiry(
        bot.settings.database_url, datetime.now(UTC) + timedelta(days=20, hours=1)
    )
    await bot.start()
    [first] = (await mailbox.wait(sent + 1))[sent:]
    assert first["To"] == "kemper@example.mx"
    assert "vence en 20 días" in first["Subject"]
    body = text_part(first)
    assert SAT_CSD_SERIAL in body and "CertiSAT" in body and SAT_PASSWORD not in body
    await bot.stop()
    runtime = await bot.start()  # its own pass queues nothing; nor does another one
    assert await runtime.services.csd.remind_expiring() == 0
    await bot.stop()
    await move_csd_expiry(bot.settings.database_url, datetime.now(UTC) + timedelta(days=5, hours=1))
    runtime = await bot.start()
    [second] = (await mailbox.wait(sent + 2))[sent + 1 :]
    assert "vence en 5 días" in second["Subject"]
    assert await runtime.services.csd.remind_expiring() == 0
    assert len(mailbox.messages) == sent + 2


async def test_the_expiry_email_a_day_before_says_dia(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.sat_csd(ana)
    sent = len(smtp.mailbox.messages)
    await bot.stop()
    await move_csd_expiry(bot.settings.database_url, datetime.now(UTC) + timedelta(days=1, hours=1))
    await bot.start()
    [reminder] = (await smtp.mailbox.wait(sent + 1))[sent:]
    body = text_part(reminder)
    assert SAT_PASSWORD not in body and SAT_CSD_SERIAL in body
    assert "1 días" not in reminder["Subject"] and "1 días" not in body, reminder["Subject"]


async def test_an_expired_stored_csd_is_shown_as_expired(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    await journeys.sat_csd(ana)
    await move_csd_expiry(bot.settings.database_url, datetime.now(UTC) - timedelta(days=2))
    await ana.send("/csd")
    shown = await ana.expect("Este es tu")
    await ana.send("/cuenta")
    overview = await ana.expect("Tu cuenta")
    csd_line = next(line for line in overview.text.splitlines() if line.startswith("CSD"))
    assert "venc" in shown.text.lower(), shown.text
    assert "venc" in csd_line.lower(), csd_line
