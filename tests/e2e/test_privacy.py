"""The aviso de privacidad (LFPDPPP): shown before the first datum of a sign-up, accepted
by creating the account (and recorded), and at hand with /privacidad and /soporte."""

from __future__ import annotations

from datetime import timedelta

from mail.identity import PRIVACY_NOTICE_VERSION
from storage.models import utcnow
from tests.e2e.conftest import Harness
from tests.factories import RFC_FISICA, accounts_in, fill_sign_up, sign_up

NOTICE_URL = "https://facturacion.example.mx/aviso-de-privacidad"


async def start_with(harness: Harness, **settings: object) -> Harness:
    harness.settings = harness.settings.model_copy(update=settings)
    await harness.start()
    return harness


async def test_the_short_notice_comes_before_the_first_question(harness: Harness, smtp) -> None:
    bot = await start_with(harness, privacy_notice_url=NOTICE_URL, operator_name="Timbres SA")
    ana = bot.person()
    await ana.send("/registro")
    notice = await ana.expect("aviso de privacidad")
    assert "Timbres SA" in notice.text and NOTICE_URL in notice.text
    question = await ana.reply()
    assert "correo electrónico" in question.text
    assert notice.message_id < question.message_id


async def test_creating_the_account_records_the_notice_accepted(bot: Harness, smtp) -> None:
    ana = bot.person()
    summary = await fill_sign_up(ana, "ana@example.mx")
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
    await sign_up(bot.person(), "ana@example.mx")
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


async def test_soporte_without_a_contact_still_helps(bot: Harness) -> None:
    ana = bot.person()
    await ana.send("/soporte")
    answer = await ana.reply()
    assert "/ayuda" in answer.text and "/cancelar" in answer.text
