"""The CSD's holder and the company's razón social: a holder unlike it is offered as the
razón social (shown as written, never with a character the razón social refuses), a
matching one or no company data asks nothing, and a razón social changed later is compared
with the holder again."""

from __future__ import annotations

from emulator import Person
from tests import journeys
from tests.conftest import Mailbox
from tests.e2e.conftest import Harness
from tests.factories import accounts_in, said_before_help, save_company
from tests.sat_certs import SAT_CSD_HOLDER, make_odd_csd


async def with_company(bot: Harness, person: Person, mailbox: Mailbox, razon_social: str) -> int:
    """A SAT-test-CSD account whose company data are stored; its id."""
    await journeys.sat_csd_account(person, mailbox)
    [account] = await accounts_in(bot.settings.database_url)
    assert bot.runtime is not None
    await save_company(bot.runtime.services, account.id, razon_social)
    return account.id


async def razon_social(bot: Harness, account_id: int) -> str:
    assert bot.runtime is not None
    company = await bot.runtime.services.companies.get(account_id)
    assert company is not None
    return company.razon_social


async def test_a_holder_unlike_the_razon_social_offers_the_certificates_name(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    account_id = await with_company(bot, ana, smtp.mailbox, "KEMPER Y ASOCIADOS")
    await journeys.sat_csd(ana)
    offer = await ana.expect("no coincide con la razón social")
    assert SAT_CSD_HOLDER in offer.text and "KEMPER Y ASOCIADOS" in offer.text
    await ana.press("Sí, usar ESCUELA KEMPER URGATE")
    await ana.expect("tu razón social ahora es")
    assert await razon_social(bot, account_id) == "ESCUELA KEMPER URGATE"


async def test_a_holder_matching_the_razon_social_asks_nothing(bot: Harness, smtp) -> None:
    ana = bot.person()
    await with_company(bot, ana, smtp.mailbox, "Escuela Kemper Urgate")
    typed, _ = await journeys.sat_csd(ana)
    said = await said_before_help(ana, typed)
    assert not [m for m in said if "razón social" in (m.text or "")]


async def test_without_company_data_no_name_is_offered_and_empresa_still_works(
    bot: Harness, smtp, database_url: str
) -> None:
    ana = bot.person()
    await journeys.sat_csd_account(ana, smtp.mailbox)
    typed, _ = await journeys.sat_csd(ana)
    said = await said_before_help(ana, typed)
    assert not [m for m in said if "razón social" in (m.text or "")]
    [account] = await accounts_in(database_url)
    assert bot.runtime is not None
    await save_company(bot.runtime.services, account.id, "OTRA RAZON")
    await ana.send("/csd")
    await ana.expect("Este es tu")  # no offer after the fact either: nothing breaks


async def test_a_holder_with_html_is_shown_as_written_in_messages_and_the_offer_button(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await with_company(bot, ana, smtp.mailbox, "ESCUELA KEMPER URGATE")
    odd = make_odd_csd(holder="KEMPER & <b>HIJOS</b> SA DE CV")
    await journeys.csd_files(ana, odd.cer, odd.key)
    [received] = [m for m in ana.bot_messages() if "Recibí el certificado" in (m.text or "")]
    assert "KEMPER & <b>HIJOS</b> SA DE CV" in received.text  # escaped, shown as typed
    await ana.expect("contraseña de tu clave privada")
    await ana.send(odd.password)
    await ana.expect("Guardé tu")
    offer = await ana.expect("no coincide con la razón social")
    assert "KEMPER & <b>HIJOS</b> SA DE CV" in offer.text
    assert "Sí, usar KEMPER & <B>HIJOS</B>" in offer.button_texts(), offer.button_texts()


async def test_a_holder_with_a_pipe_never_becomes_the_razon_social(bot: Harness, smtp) -> None:
    ana = bot.person()
    account_id = await with_company(bot, ana, smtp.mailbox, "OTRA EMPRESA")
    odd = make_odd_csd(holder="ESCUELA | KEMPER URGATE SA DE CV")
    await journeys.csd(ana, odd.cer, odd.key, odd.password)
    offer = await ana.expect("no coincide con la razón social")
    offered = [b for b in offer.button_texts() if b.startswith("Sí, usar")]
    if offered:
        await ana.press(offered[0], offer)
        await ana.reply()
    assert "|" not in await razon_social(bot, account_id)


async def test_saving_the_company_with_a_csd_on_file_does_not_ask_for_one(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await with_company(bot, ana, smtp.mailbox, "ESCUELA KEMPER URGATE")
    await journeys.sat_csd(ana)
    await ana.press("Guardar", await journeys.change_company(ana, "Teléfono", "55 5241 7000"))
    saved = await ana.expect("Datos de la empresa guardados")
    assert "falta tu Certificado" not in saved.text, saved.text


async def test_a_razon_social_changed_after_the_csd_is_compared_with_its_holder(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await with_company(bot, ana, smtp.mailbox, "ESCUELA KEMPER URGATE")
    await journeys.sat_csd(ana)
    summary = await journeys.change_company(ana, "Razón social", "OTRA EMPRESA")
    await ana.press("Guardar", summary)
    said = [summary, *await said_before_help(ana, summary)]
    assert any(SAT_CSD_HOLDER in (m.text or "") for m in said), [m.text for m in said]
