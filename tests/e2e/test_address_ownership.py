"""An address belongs to whoever reads its inbox: a password or a code chosen by someone
else before the owner confirms does not survive the owner's confirmation or recovery, and
signing in tells nobody whether an address has an account."""

from __future__ import annotations

from tests import journeys
from tests.e2e.conftest import Harness
from tests.factories import RFC_MORAL, accounts_in, chat_account, newest_code

MALLORY_PASSWORD = "la clave que eligio mallory"


async def test_a_password_chosen_before_confirmation_does_not_survive_it(bot: Harness, smtp):
    mallory = bot.person(first_name="Mallory")
    await journeys.sign_up(mallory, "ana@example.mx", password=MALLORY_PASSWORD)
    first = await newest_code(smtp.mailbox, 1)  # in Ana's inbox; Mallory never sees it
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx", RFC_MORAL)  # Ana's own RFC and password
    await ana.send(await newest_code(smtp.mailbox, 2))
    await ana.expect("Felicidades")
    assert (
        "incorrectos" in (await journeys.sign_in(mallory, "ana@example.mx", MALLORY_PASSWORD)).text
    )
    assert "entraste como" in (await journeys.sign_in(bot.person(), "ana@example.mx")).text
    [account] = await accounts_in(bot.settings.database_url)
    assert account.rfc == RFC_MORAL
    await ana.send(first)  # the code of the earlier sign-up was voided by Ana's
    assert "ya estaba confirmada" not in (await ana.reply()).text


async def test_a_code_of_someone_elses_sign_up_cannot_confirm(bot: Harness, smtp):
    ana, mallory = bot.person(), bot.person(first_name="Mallory")
    await journeys.sign_up(ana, "ana@example.mx")
    first = await newest_code(smtp.mailbox, 1)
    await journeys.sign_up(mallory, "ana@example.mx", password=MALLORY_PASSWORD)
    mallorys = await newest_code(smtp.mailbox, 2)  # Ana's inbox gets it: she might paste it
    await ana.send(first)
    assert "incorrecto" in (await ana.reply()).text  # voided by the later sign-up
    await ana.send(mallorys)
    assert "otra cuenta de Telegram" in (await ana.reply()).text
    assert not (await accounts_in(bot.settings.database_url))[0].confirmed
    await journeys.sign_up(ana, "ana@example.mx")  # as the answer suggests
    await ana.send(await newest_code(smtp.mailbox, 3))
    await ana.expect("Felicidades")
    assert (
        "incorrectos" in (await journeys.sign_in(mallory, "ana@example.mx", MALLORY_PASSWORD)).text
    )


async def test_signing_in_again_says_which_account_the_chat_left(bot: Harness, smtp):
    chat = bot.person()
    await journeys.confirmed(chat, smtp.mailbox, "ana@example.mx")
    again = await journeys.sign_in(chat, "ana@example.mx")
    assert again.text.startswith("Listo, entraste como ana@example.mx")
    await journeys.confirmed(bot.person(), smtp.mailbox, "beto@example.mx", RFC_MORAL)
    switched = await journeys.sign_in(chat, "beto@example.mx")
    assert "estaba dentro de la cuenta ana@example.mx" in switched.text
    assert "entraste como beto@example.mx" in (await chat.reply()).text
    beto = next(a for a in await accounts_in(bot.settings.database_url) if a.email.startswith("b"))
    assert await chat_account(bot.settings.database_url, chat.chat.id) == beto.id


async def test_a_stranger_cannot_tell_by_signing_in_whether_an_address_had_an_account(
    bot: Harness, smtp
):
    """Sign up with an address and a password, then sign in with them: a taken address
    and a free one (now unconfirmed) answer alike."""
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    mallory = bot.person(first_name="Mallory")
    answers = {}
    for email in ("ana@example.mx", "nadie@example.mx"):
        await journeys.sign_up(mallory, email, RFC_MORAL, MALLORY_PASSWORD)
        answer = await journeys.sign_in(mallory, email, MALLORY_PASSWORD)
        answers[email] = answer.text.replace(email, "X")
    assert answers["ana@example.mx"] == answers["nadie@example.mx"]


async def test_a_reset_makes_a_pre_hijacked_address_its_owners(bot: Harness, smtp):
    """Mallory signed up with Ana's address; Ana, who never did, recovers it: the code
    reached her inbox, so the account is hers, and Mallory's next sign-up changes nothing."""
    mallory = bot.person(first_name="Mallory")
    await journeys.sign_up(mallory, "ana@example.mx", RFC_MORAL, MALLORY_PASSWORD)
    await smtp.mailbox.wait(1)
    ana = bot.person()
    new_password = "una frase nueva y bastante larga"
    done = await journeys.reset_password(ana, smtp.mailbox, "ana@example.mx", new_password)
    assert "ha sido actualizada" in done.text
    await journeys.sign_up(mallory, "ana@example.mx", RFC_MORAL, MALLORY_PASSWORD)
    signed = await journeys.sign_in(bot.person(), "ana@example.mx", new_password)
    assert "entraste como" in signed.text
    assert (
        "incorrectos" in (await journeys.sign_in(mallory, "ana@example.mx", MALLORY_PASSWORD)).text
    )
