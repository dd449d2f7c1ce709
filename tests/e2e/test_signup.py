"""Sign-up and confirmation as a person does them, through the emulator."""

from __future__ import annotations

import asyncio

import pytest

from services.passwords import PasswordHasher, Repeat
from tests import journeys
from tests.conftest import SmtpServer
from tests.e2e.conftest import DATA_KEY, Harness, restart_with_a_rotated_key
from tests.factories import (
    PASSWORD,
    RFC_FISICA,
    RFC_MORAL,
    accounts_in,
    answer_part,
    argon2_work,
    as_drafts_were_saved_before,
    chat_account,
    code_from_email,
    first_password_kept,
    html_part,
    newest_code,
    text_part,
)

FORGOTTEN = "solo recordaba tu primera contraseña"


async def test_start_offers_the_flows_as_buttons(bot: Harness) -> None:
    ana = bot.person(first_name="Ana")
    await ana.send("/start")
    reply = await ana.reply()
    assert "Hola, Ana" in reply.text
    assert any("Crear cuenta" in b for b in reply.button_texts())
    assert any("Confirmar cuenta" in b for b in reply.button_texts())


async def test_start_offers_no_company_data_before_there_is_an_account(bot: Harness) -> None:
    ana = bot.person()
    await ana.send("/start")
    menu = await ana.expect("Hola")
    assert menu.button_texts()[0] == "📝 Crear cuenta"
    assert not [b for b in menu.button_texts() if "empresa" in b]
    bruce = bot.person(first_name="Bruce", language_code="en")
    await bruce.send("/start")
    menu = await bruce.expect("Hi")
    assert not [b for b in menu.button_texts() if "Company" in b]


async def test_start_offers_confirming_first_while_the_sign_up_waits_for_its_code(
    bot: Harness, smtp: SmtpServer
) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    await ana.send("/start")
    menu = await ana.expect("Hola")
    assert menu.button_texts()[:2] == ["✅ Confirmar cuenta", "✉️ Reenviar código"]
    assert not [b for b in menu.button_texts() if "empresa" in b]
    bruce = bot.person(first_name="Bruce", language_code="en")
    await journeys.sign_up(bruce, "bruce@example.com", language="en")
    await bruce.send("/start")
    menu = await bruce.expect("Hi")
    assert menu.button_texts()[:2] == ["✅ Confirm account", "✉️ Resend code"]


@pytest.mark.postgres
async def test_happy_path_creates_mails_and_confirms(bot: Harness, smtp: SmtpServer) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "Ana.Perez@Example.MX", RFC_FISICA)

    [email] = await smtp.mailbox.wait(1)
    assert email["To"] == "ana.perez@example.mx"
    assert "Confirma tu cuenta" in email["Subject"]
    text, html = text_part(email), html_part(email)
    assert "Usuario: ana.perez@example.mx" in text and "RFC: GODE561231GR8" in text
    code = code_from_email(email)
    assert len(code) == 40
    link = f"https://t.me/{bot.bot_username}?start=c_{code}"
    assert link in text and link in html and code in html
    assert PASSWORD not in text and PASSWORD not in html

    [account] = await accounts_in(bot.settings.database_url)
    assert account.email == "ana.perez@example.mx" and account.rfc == RFC_FISICA
    assert not account.confirmed and account.password_hash.startswith("$argon2id$")

    await ana.send(code)
    reply = await ana.reply()
    assert reply.text.startswith("Felicidades, tu cuenta ha sido confirmada")
    [account] = await accounts_in(bot.settings.database_url)
    assert account.confirmed
    assert await chat_account(bot.settings.database_url, ana.chat.id) == account.id


async def test_menu_button_starts_sign_up_and_summary_can_fix_a_field(
    bot: Harness, smtp: SmtpServer
) -> None:
    ana = bot.person()
    await ana.send("/start")
    await ana.reply()
    await ana.press("Crear cuenta")
    await ana.expect("correo electrónico")
    await ana.send("ana@example.mx")
    await ana.expect("RFC")
    await ana.send(RFC_FISICA)
    await ana.expect("contraseña")
    await ana.send(PASSWORD)
    await ana.expect("otra vez")
    await ana.send(PASSWORD)
    summary = await ana.expect("Revisa tus datos")
    assert "ana@example.mx" in summary.text and "persona física" in summary.text

    await ana.press("Corregir RFC")
    await ana.expect("RFC")
    await ana.send(RFC_MORAL)
    summary = await ana.expect("Revisa tus datos")
    assert RFC_MORAL in summary.text and "persona moral" in summary.text
    await ana.press("Crear cuenta")
    await ana.expect("creada con éxito")
    [email] = await smtp.mailbox.wait(1)
    assert f"RFC: {RFC_MORAL}" in text_part(email)


async def test_wrong_code_is_refused_with_the_portal_wording(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    await smtp.mailbox.wait(1)
    await ana.send("/confirmar")
    await ana.expect("código de confirmación")
    await ana.send("0123456789abcdef0123456789abcdef01234567")
    reply = await ana.reply()
    assert reply.text.startswith(
        "No fue posible confirmar tu cuenta, tu código de confirmación es incorrecto."
    )
    [account] = await accounts_in(bot.settings.database_url)
    assert not account.confirmed
    await ana.send("esto no es un código")  # words, not a guess: a hint, not counted
    hint = (await ana.reply()).text
    assert hint.startswith("Eso no parece un código") and "/reenviar" in hint


async def test_code_found_in_surrounding_text_and_line_breaks(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    code = code_from_email((await smtp.mailbox.wait(1))[0])
    pasted = f"Hola, este es mi código:\n{code[:22].upper()}\n{code[22:].upper()}\n¡gracias!"
    await ana.send(f"/confirmar {pasted}")
    assert (await ana.reply()).text.startswith("Felicidades")


async def test_code_pasted_in_a_sentence_without_command(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    code = code_from_email((await smtp.mailbox.wait(1))[0])
    await ana.send(f"mi código es {code.upper()} gracias")
    assert (await ana.reply()).text.startswith("Felicidades")


async def test_deep_link_confirms_in_one_tap_only_for_whoever_signed_up(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    code = code_from_email((await smtp.mailbox.wait(1))[0])
    stranger = bot.person(first_name="Beto")  # another Telegram account that has the link
    await stranger.send(f"/start c_{code}")
    assert "otra cuenta de Telegram" in (await stranger.reply()).text
    phone = bot.person(user_id=ana.user.id)  # Ana's other device: the same private chat
    await phone.send(f"/start c_{code}")
    assert (await phone.expect("Felicidades")).text.startswith("Felicidades")
    await phone.send(f"/start c_{code}")
    assert "ya estaba confirmada" in (await phone.reply()).text


async def test_taken_email_answers_alike_and_tells_the_owner(bot: Harness, smtp) -> None:
    ana, mallory = bot.person(), bot.person(first_name="Mallory")
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    ana_answer = next(m for m in ana.bot_messages() if "creada con éxito" in (m.text or ""))

    await journeys.sign_up(mallory, "ana@example.mx", RFC_MORAL)
    mallory_answer = mallory.bot_messages()[-1]
    # Each summary is edited into the answer: what follows the button pressed is alike.
    assert "creada con éxito" in answer_part(mallory_answer)
    assert answer_part(mallory_answer) == answer_part(ana_answer)
    assert mallory_answer.button_texts() == ana_answer.button_texts()

    _confirmation, notice = await smtp.mailbox.wait(2)
    assert notice["To"] == "ana@example.mx"
    assert "Alguien intentó crear una cuenta" in notice["Subject"]
    assert "/recuperar" in text_part(notice)
    assert "Código de confirmación" not in text_part(notice)
    accounts = await accounts_in(bot.settings.database_url)
    assert len(accounts) == 1 and accounts[0].rfc == RFC_FISICA


@pytest.mark.postgres
async def test_two_simultaneous_sign_ups_with_one_email_make_one_account(
    bot: Harness, smtp
) -> None:
    ana, bruno = bot.person(), bot.person(first_name="Bruno")
    for person in (ana, bruno):
        await journeys.sign_up(person, "compartido@example.mx", create=False)
    await asyncio.gather(ana.press("Crear cuenta"), bruno.press("Crear cuenta"))
    await ana.expect("creada con éxito")
    await bruno.expect("creada con éxito")
    emails = await smtp.mailbox.wait(2)
    assert len(await accounts_in(bot.settings.database_url)) == 1
    # The account is unconfirmed: the later sign-up replaced the earlier one's credentials.
    assert all("Confirma tu cuenta" in e["Subject"] for e in emails)


async def test_password_messages_are_deleted_and_never_echoed(bot: Harness, smtp, caplog) -> None:
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    await smtp.mailbox.wait(1)
    typed = [m for m in ana.messages if not m.from_bot and m.text == PASSWORD]
    assert len(typed) == 2
    assert all(m.deleted for m in typed)
    assert all(PASSWORD not in (m.text or "") for m in ana.bot_messages())
    assert PASSWORD not in caplog.text


async def test_passwords_are_compared_in_nfkc_form(bot: Harness, smtp):
    decomposed = "man\u0303ana sera otro di\u0301a"  # "ñ" and "í" as some keyboards send them
    composed = "mañana sera otro día"
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx", password=decomposed)
    await ana.send(await newest_code(smtp.mailbox, 1))
    await ana.expect("Felicidades")
    await ana.send("/salir")
    await ana.expect("Cerraste")
    assert "entraste como" in (await journeys.sign_in(ana, "ana@example.mx", composed)).text


async def test_an_old_suggestion_button_does_not_change_the_address_later(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await ana.send("/registro")
    await ana.expect("correo electrónico")
    await ana.send("ana@gmial.com")
    question = await ana.expect("¿Quisiste decir")
    await ana.send("ana@example.mx")  # typed instead: read as the address
    await ana.expect("RFC")
    await ana.press("Sí, usar ana@gmail.com", message=question)
    await ana.reply()
    await ana.send("GODE561231GR8")
    await ana.expect("contraseña")
    await ana.send(PASSWORD)
    await ana.expect("otra vez")
    await ana.send(PASSWORD)
    summary = await ana.expect("Revisa tus datos")
    assert "ana@example.mx" in summary.text and "gmail" not in summary.text, summary.text


async def test_a_sign_up_hashes_the_password_once(bot: Harness, smtp, monkeypatch) -> None:
    """The repeat is checked against a digest, not a second argon2 hash."""
    work = argon2_work(monkeypatch)
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx")
    assert [done for done in work if done[1] == PASSWORD] == [("hash", PASSWORD)]
    [account] = await accounts_in(bot.settings.database_url)
    assert account.password_hash.startswith("$argon2id$")


async def test_a_repeat_that_differs_starts_over_and_hashes_nothing(
    bot: Harness, monkeypatch
) -> None:
    work = argon2_work(monkeypatch)
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx", until="password_again")
    typed = await ana.send("otra frase distinta")
    differ = await ana.expect("no coinciden")
    assert "Elige una contraseña" in differ.text  # the question again, in the same message
    await ana.wait_deleted(typed)
    assert not [done for done in work if "frase" in done[1] or done[1] == PASSWORD]
    await ana.send(PASSWORD)
    await journeys.sign_up(
        ana, "ana@example.mx", command=None, since="password_again", create=False
    )
    assert [done for done in work if "frase" in done[1] or done[1] == PASSWORD] == [
        ("hash", PASSWORD)
    ]


async def test_between_the_entries_the_chat_keeps_no_hash_and_a_restart_keeps_the_first(
    bot: Harness, smtp, monkeypatch
) -> None:
    """Between the two entries the chat's record holds a digest under a key derived from
    DATA_ENCRYPTION_KEY, held in memory only: no hash, no password, nothing checkable
    without the key; a restart (or another process) derives the same key and compares."""
    work = argon2_work(monkeypatch)
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx", until="password_again")
    await bot.stop()
    kept = await first_password_kept(bot.settings.database_url, DATA_KEY)
    assert PASSWORD not in kept and PasswordHasher().repeats(kept, PASSWORD) is Repeat.FORGOTTEN
    await bot.start()
    typed = await ana.send(PASSWORD)
    await ana.expect("Revisa tus datos")
    await ana.wait_deleted(typed)
    assert [done for done in work if done[1] == PASSWORD] == [("hash", PASSWORD)]


async def test_after_a_key_rotation_between_the_entries_both_are_asked_again(
    harness: Harness, smtp, monkeypatch
) -> None:
    """A first entry kept under the key before the rotation cannot be compared: the
    person is told so, kindly, asked for both again, and finishes."""
    await harness.start()
    work = argon2_work(monkeypatch)
    ana = harness.person()
    await journeys.sign_up(ana, "ana@example.mx", until="password_again")
    await restart_with_a_rotated_key(harness)
    typed = await ana.send(PASSWORD)
    forgotten = await ana.expect(FORGOTTEN)
    assert "Elige una contraseña" in forgotten.text  # the question again, in the same message
    await ana.wait_deleted(typed)
    await ana.send(PASSWORD)
    await journeys.sign_up(ana, "ana@example.mx", command=None, since="password_again")
    assert [done for done in work if done[1] == PASSWORD] == [("hash", PASSWORD)]


async def test_a_draft_saved_before_the_digests_asks_for_both_entries_again(
    bot: Harness, smtp
) -> None:
    """After the upgrade, a sign-up left between the entries with the first one's argon2
    hash (as drafts were kept before) is not verified the old way: asked again, kindly."""
    ana = bot.person()
    await journeys.sign_up(ana, "ana@example.mx", until="password_again")
    await bot.stop()
    old = await PasswordHasher().hash(PASSWORD)
    await as_drafts_were_saved_before(bot.settings.database_url, DATA_KEY, old)
    await bot.start()
    await ana.send(PASSWORD)
    forgotten = await ana.expect(FORGOTTEN)
    assert "Elige una contraseña" in forgotten.text  # the question again, in the same message
    await ana.send(PASSWORD)
    await journeys.sign_up(ana, "ana@example.mx", command=None, since="password_again")
