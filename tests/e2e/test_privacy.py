"""The aviso de privacidad (LFPDPPP): shown before the first datum of a sign-up, accepted
by creating the account (and recorded), and at hand with /privacidad and /soporte."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text, update

from mail.identity import PRIVACY_NOTICE_VERSION
from storage.models import Account, utcnow
from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import (
    RFC_FISICA,
    RFC_MORAL,
    accounts_in,
    companies_in,
    database,
)
from tests.sat_certs import SAT_CSD_RFC, SAT_PASSWORD, sat_file

NOTICE_URL = "https://facturacion.example.mx/aviso-de-privacidad"


async def start_with(harness: Harness, **settings: object) -> Harness:
    harness.settings = harness.settings.model_copy(update=settings)
    await harness.start()
    return harness


async def test_the_short_notice_comes_before_the_first_question(harness: Harness, smtp) -> None:
    bot = await start_with(harness, privacy_notice_url=NOTICE_URL, operator_name="Timbres SA")
    ana = bot.person()
    await ana.send("/registro")
    notice = await ana.expect("aviso de privacidad")  # one message: the notice, the question
    assert "Timbres SA" in notice.text and NOTICE_URL in notice.text
    assert notice.text.index(NOTICE_URL) < notice.text.index("Escribe tu correo electrónico")


async def test_creating_the_account_records_the_notice_accepted(bot: Harness, smtp) -> None:
    ana = bot.person()
    summary = await journeys.sign_up(ana, "ana@example.mx", create=False)
    assert "aceptas el aviso de privacidad" in summary.text
    assert await accounts_in(bot.settings.database_url) == []  # nothing accepted yet
    before = utcnow()
    await ana.press("Crear cuenta")
    await ana.expect("creada con éxito")
    [account] = await accounts_in(bot.settings.database_url)
    assert account.privacy_version == PRIVACY_NOTICE_VERSION
    assert account.privacy_accepted_at is not None
    assert before - timedelta(seconds=1) <= account.privacy_accepted_at <= utcnow()


async def test_the_operators_own_notice_version_is_the_one_recorded(harness: Harness, smtp) -> None:
    bot = await start_with(harness, privacy_notice_version="v7-2027")
    await journeys.sign_up(bot.person(), "ana@example.mx")
    [account] = await accounts_in(bot.settings.database_url)
    assert account.privacy_version == "v7-2027"


async def test_privacidad_says_who_what_for_how_long_and_the_arco_rights(
    harness: Harness,
) -> None:
    bot = await start_with(harness, operator_name="Timbres SA", privacy_notice_url=NOTICE_URL)
    ana = bot.person()
    await ana.send("/privacidad")
    notice = await ana.expect("aviso de privacidad")
    facts = ("Timbres SA", "correo", "RFC", "teléfono", "Certificado de Sello Digital", "/csd")
    for fact in (*facts, "Telegram", "/cuenta", "/soporte"):
        assert fact in notice.text, fact
    assert PRIVACY_NOTICE_VERSION in notice.text
    assert NOTICE_URL in (await ana.reply()).text


async def test_privacidad_inside_a_sign_up_keeps_what_was_typed(bot: Harness, smtp) -> None:
    ana = bot.person()
    await ana.send("/registro")
    await ana.expect("correo electrónico")
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    await ana.send("/privacidad")
    await ana.expect("Responsable")
    again = await ana.expect("Seguimos")
    assert "RFC" in again.text
    await ana.send(RFC_FISICA)
    await ana.expect("contraseña")


async def test_english_speakers_get_the_notice_in_english(bot: Harness) -> None:
    bruce = bot.person(language_code="en")
    await bruce.send("/privacy")
    notice = await bruce.expect("privacy notice")
    assert "What we collect" in notice.text and "/account" in notice.text


async def test_soporte_gives_the_support_contact(harness: Harness) -> None:
    bot = await start_with(harness, support_contact="soporte@timbres.mx")
    ana = bot.person()
    await ana.send("/soporte")
    assert "soporte@timbres.mx" in (await ana.reply()).text


# A new version of the notice


async def restart_with(harness: Harness, **settings: object) -> Harness:
    await harness.stop()
    return await start_with(harness, **settings)


async def forget_acceptance(database_url: str) -> None:
    """As accounts made before the acceptance was recorded."""
    async with database(database_url) as session, session.begin():
        await session.execute(
            update(Account).values(privacy_version=None, privacy_accepted_at=None)
        )


async def test_a_new_notice_is_asked_once_and_saving_waits_for_it_keeping_the_form(
    harness: Harness, smtp
) -> None:
    bot = await start_with(harness)
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana)
    await restart_with(bot, privacy_notice_version="2027-01", privacy_notice_url=NOTICE_URL)

    await ana.press("Guardar")  # the next thing she does
    notice = await ana.expect("Actualizamos el aviso de privacidad")
    assert "2027-01" in notice.text and NOTICE_URL in notice.text
    assert "no guardar datos nuevos" in notice.text  # what waits, said
    assert notice.button_texts() == ["Acepto el aviso de privacidad"]
    waits = await ana.expect("primero acepta")
    assert "se conserva" in waits.text
    [account] = await accounts_in(bot.settings.database_url)
    assert account.privacy_version == PRIVACY_NOTICE_VERSION  # nothing accepted by a tap
    before = utcnow()
    await ana.press("Acepto el aviso de privacidad", message=notice)
    thanks = await ana.expect("quedó registrado")
    assert "2027-01" in thanks.text
    [account] = await accounts_in(bot.settings.database_url)
    assert account.privacy_version == "2027-01"
    assert account.privacy_accepted_at is not None
    assert before - timedelta(seconds=1) <= account.privacy_accepted_at <= utcnow()
    summary = await ana.expect("Revisa los datos de tu empresa")  # the question in hand
    await ana.press("Guardar", message=summary)
    await ana.expect("guardados")
    assert len([m for m in ana.bot_messages() if "Actualizamos" in m.text]) == 1


async def test_correcting_saved_company_data_does_not_wait_for_a_new_notice(
    harness: Harness, smtp
) -> None:
    bot = await start_with(harness)
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "empresa@example.mx", RFC_MORAL)
    await journeys.company(ana, save=True)
    await restart_with(bot, privacy_notice_version="2027-01")

    await ana.send("/empresa")
    await ana.expect("Actualizamos el aviso de privacidad")
    await ana.expect("datos de tu empresa que tenemos guardados")
    await ana.press("✏️ Teléfono")
    await ana.expect("teléfono")
    await ana.send("81 1234 5678")
    await ana.expect("Revisa los datos de tu empresa")
    await ana.press("Guardar")  # a correction (ARCO's rectification) is not new data
    await ana.expect("guardados")
    [company] = await companies_in(bot.settings.database_url)
    assert company.telefono == "8112345678"
    [account] = await accounts_in(bot.settings.database_url)
    assert account.privacy_version == PRIVACY_NOTICE_VERSION  # still not accepted


async def test_an_account_without_a_recorded_acceptance_is_asked_in_english(
    bot: Harness, smtp
) -> None:
    bruce = bot.person(first_name="Bruce")
    await journeys.confirmed(bruce, smtp.mailbox, "bruce@example.com")
    await bruce.send("/idioma")
    await bruce.press("English")
    await bruce.expect("in English")
    await forget_acceptance(bot.settings.database_url)
    await bruce.send("/help")
    notice = await bruce.expect("We updated the privacy notice")
    assert "not save new company details" in notice.text
    await bruce.expect("This is what I can do")
    await bruce.send("/account")  # reading (and correcting, deleting) does not wait
    await bruce.expect("Your account")
    await bruce.send("/certificate")  # a new CSD waits
    waits = await bruce.expect("first accept the updated privacy notice")
    await bruce.press("I accept the privacy notice", message=waits)
    await bruce.expect("is recorded")
    [account] = await accounts_in(bot.settings.database_url)
    assert account.privacy_version == PRIVACY_NOTICE_VERSION
    assert len([m for m in bruce.bot_messages() if "We updated" in m.text]) == 1
    await bruce.send("/certificate")
    await bruce.expect("Send me")


async def csds_in(database_url: str) -> int:
    async with database(database_url) as session:
        return len((await session.execute(text("SELECT * FROM csds"))).all())


async def test_a_csd_upload_under_way_when_the_notice_changes_waits_for_it(
    harness: Harness, smtp
) -> None:
    bot = await start_with(harness)
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "kemper@example.mx", rfc=SAT_CSD_RFC)
    await ana.send("/csd")
    await ana.expect("Envíame como archivos")
    await ana.send_document("CSD_EKU.cer", sat_file("eku_csd.cer"))
    await ana.expect("Recibí el certificado")
    await ana.send_document("CSD_EKU.key", sat_file("eku_csd.key"))
    await ana.expect("contraseña de tu clave privada")
    await restart_with(bot, privacy_notice_version="2027-01")

    typed = await ana.send(SAT_PASSWORD)  # the next thing she does
    await ana.expect("Actualizamos el aviso de privacidad")
    waits = await ana.expect("primero acepta el aviso de privacidad")
    await ana.wait_deleted(typed)
    [account] = await accounts_in(bot.settings.database_url)
    assert account.privacy_version == PRIVACY_NOTICE_VERSION  # not accepted
    assert await csds_in(bot.settings.database_url) == 0

    await ana.press("Acepto", message=waits)
    await ana.expect("quedó registrado")
    await ana.expect("contraseña de tu clave privada")  # the files were kept
    typed = await ana.send(SAT_PASSWORD)
    await ana.expect("Guardé tu")
    await ana.wait_deleted(typed)
    assert await csds_in(bot.settings.database_url) == 1


async def test_the_start_menus_sign_up_button_shows_the_notice_first(bot: Harness, smtp) -> None:
    ana = bot.person()
    await ana.send("/start")
    menu = await ana.reply()
    [create] = [b for b in menu.button_texts() if "Crear cuenta" in b]
    await ana.press(create, message=menu)
    notice = await ana.expect("aviso de privacidad")  # one message: the notice, the question
    assert notice.text.index("aviso de privacidad") < notice.text.index("correo electrónico")
