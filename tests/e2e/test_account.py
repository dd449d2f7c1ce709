"""Tu cuenta (/cuenta): the account's facts, signing the other chats out, and changing
the password (asked first, counted as a sign-in, never left in the chat). Changing the
address and deleting the account have files of their own."""

from __future__ import annotations

from tests import journeys
from tests.e2e.conftest import DATA_KEY, Harness, restart_with_a_rotated_key
from tests.factories import (
    PASSWORD,
    RFC_FISICA,
    RFC_MORAL,
    accounts_in,
    argon2_work,
    chat_account,
    first_password_kept,
    text_part,
)

NEW_PASSWORD = "una frase nueva y larga"


async def test_the_account_shows_its_facts_and_signs_the_other_chats_out(
    bot: Harness, smtp
) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "empresa@example.mx", RFC_MORAL)

    shown = await journeys.open_account(ana)
    for fact in (
        "Correo (usuario): empresa@example.mx",
        "RFC: MAB9307148T4 (persona moral)",
        "Estado: confirmada",
        "Datos de la empresa: sin capturar",
        "Chats con la sesión abierta: 2, este y otros",
    ):
        assert fact in shown.text
    assert any("Cerrar sesión en los otros chats" in b for b in shown.button_texts())
    # Looking is all /cuenta did: the next command is answered at once.
    await ana.send("/ayuda")
    assert "Seguimos en lo que estábamos" not in (await ana.expect("Esto es lo que")).text

    await ana.press("Cerrar sesión en los otros chats", message=shown)
    assert "cerré la sesión en el otro chat" in (await ana.expect("cerré la sesión")).text
    assert await chat_account(bot.settings.database_url, laptop.chat.id) is None
    await laptop.send("/cuenta")
    await laptop.expect("primero entra")

    await journeys.company(ana, save=True)
    again = await journeys.open_account(ana)
    assert "Datos de la empresa: capturados" in again.text
    assert "Chats con la sesión abierta: 1, este" in again.text
    assert not any("Cerrar sesión" in b for b in again.button_texts())


async def test_the_account_asks_a_chat_that_is_not_signed_in_to_sign_in(bot: Harness, smtp) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx", RFC_FISICA)
    phone = bot.person()
    await phone.send("/cuenta")
    await phone.expect("primero entra")
    await phone.expect("correo electrónico")
    await phone.send("ana@example.mx")
    await phone.expect("contraseña")
    typed = await phone.send(PASSWORD)
    shown = await phone.expect("Tu cuenta")
    assert "RFC: GODE561231GR8 (persona física)" in shown.text and typed.deleted


async def test_changing_the_password_asks_the_current_one_then_the_new_one_twice(
    bot: Harness, smtp
) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "ana@example.mx")
    before = len(smtp.mailbox.messages)
    await journeys.open_account(ana)
    typed = [await journeys.type_password(ana, "Cambiar contraseña", "no es mi contraseña")]
    await ana.expect("Esa no es tu contraseña")  # counted as a sign-in, asked again
    typed.append(await ana.send(PASSWORD))
    await ana.expect("contraseña nueva")
    for weak, reason in (("corta", "muy corta"), ("ana@example.mx", "ni tu RFC")):
        typed.append(await ana.send(weak))
        refusal = await ana.expect(reason)  # one message: deleted, why, the question again
        assert "Borré" in refusal.text and "contraseña nueva" in refusal.text
    typed.append(await ana.send("una frase nueva y larga"))
    await ana.expect("otra vez")
    typed.append(await ana.send("otra frase distinta"))
    differ = await ana.expect("no coinciden")
    assert "contraseña nueva" in differ.text  # the question again, in the same message
    typed.append(await ana.send("una frase nueva y larga"))
    await ana.expect("otra vez")
    typed.append(await ana.send("una frase nueva y larga"))
    done = await ana.expect("cambiaste tu contraseña")
    assert done.button_texts() == ["🏢 Datos de la empresa", "👤 Mi cuenta", "🚪 Salir"]
    assert all(message.deleted for message in typed)

    [notice] = await journeys.mail_after(smtp.mailbox, before)
    assert notice["To"] == "ana@example.mx" and notice["Subject"] == "Tu contraseña cambió"
    assert "una frase nueva" not in text_part(notice) and PASSWORD not in text_part(notice)
    # The other chat is signed out, as after a reset; this one stays signed in.
    assert await chat_account(bot.settings.database_url, laptop.chat.id) is None
    assert await chat_account(bot.settings.database_url, ana.chat.id) is not None
    [account] = await accounts_in(bot.settings.database_url)
    assert account.password_hash.startswith("$argon2id$")
    stranger = bot.person()
    assert "incorrectos" in (await journeys.sign_in(stranger, "ana@example.mx")).text
    assert (
        "entraste"
        in (await journeys.sign_in(stranger, "ana@example.mx", "una frase nueva y larga")).text
    )


async def test_a_password_changed_in_cuenta_voids_a_pending_recovery_code(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    phone = bot.person()
    before = len(smtp.mailbox.messages)
    await journeys.request_reset(phone, "ana@example.mx")
    [mail] = await journeys.mail_after(smtp.mailbox, before)
    code = journeys.one_time_code(mail)  # the recovery code has the same shape
    await phone.expect("código")
    await journeys.open_account(ana)
    await journeys.type_password(ana, "Cambiar contraseña")
    await ana.expect("contraseña nueva")
    await ana.send("una frase nueva y larga")
    await ana.expect("otra vez")
    await ana.send("una frase nueva y larga")
    await ana.expect("cambiaste tu contraseña")
    await phone.send(code)
    assert "ya venció o ya se usó" in (await phone.reply()).text
    assert (
        "incorrectos"
        not in (
            await journeys.sign_in(bot.person(), "ana@example.mx", "una frase nueva y larga")
        ).text
    )


async def test_a_wrong_password_is_asked_again_and_counted_as_a_sign_in(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await journeys.open_account(ana)
    typed = [await journeys.type_password(ana, "Cambiar correo", "no es mi contraseña")]
    assert (await ana.reply()).text.startswith("Esa no es tu contraseña.\n\nPor seguridad")
    for _ in range(4):
        typed.append(await ana.send("tampoco es esta"))
        await ana.expect("Esa no es tu contraseña")
    typed.append(await ana.send(PASSWORD))  # the chat's five tries are spent: refused
    assert "demasiados intentos" in (await ana.reply()).text
    assert all(message.deleted for message in typed)
    await ana.send("/cuenta")
    assert "Chats con la sesión abierta" in (await ana.expect("Tu cuenta")).text


async def test_a_password_typed_into_an_edited_message_is_deleted(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await journeys.open_account(ana)
    await ana.press("Eliminar mi cuenta")
    await ana.expect("contraseña")
    # Telegram Desktop's Up key edits the last message sent: here, /cuenta.
    last = [message for message in ana.messages if not message.from_bot][-1]
    await ana.edit(last, PASSWORD)
    await ana.wait_deleted(last)
    assert "contraseña" in (await ana.expect("Borré tu mensaje")).text


async def test_account_in_english(bot: Harness, smtp) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await ana.send("/idioma")
    await ana.press("English")
    await ana.expect("in English")
    await ana.send("/account")
    shown = await ana.expect("Your account")
    assert "RFC: GODE561231GR8 (persona física)" in shown.text and "Status: confirmed" in shown.text
    assert shown.button_texts() == ["✉️ Change email", "🔑 Change password", "🗑 Delete my account"]
    await ana.press("Change password", shown)
    await ana.expect("current password")
    await ana.send(PASSWORD)
    await ana.expect("new password")
    await ana.send("una frase nueva y larga")
    await ana.expect("again")
    await ana.send("una frase nueva y larga")
    done = await ana.expect("password has changed")
    assert done.button_texts()[-2:] == ["👤 My account", "🚪 Sign out"]


async def test_an_old_sign_out_others_button_of_another_account_signs_out_nobody(
    bot: Harness, smtp
) -> None:
    ana, other_ana = bot.person(), bot.person()
    await journeys.two_chats(ana, other_ana, smtp.mailbox, "ana@example.mx")
    bea_phone = bot.person()
    await journeys.confirmed(bea_phone, smtp.mailbox, "bea@example.mx")
    shown = await journeys.open_account(ana)  # ana's account, 2 chats
    # The same chat now signs in to bea's account (a shared office computer).
    await journeys.sign_in(ana, "bea@example.mx")
    await ana.expect("entraste")
    await ana.press("Cerrar sesión en los otros chats", message=shown)
    await ana.reply()
    # Bea's phone was not named by that old message: it stays signed in.
    assert await chat_account(bot.settings.database_url, bea_phone.chat.id) is not None


async def test_a_password_change_hashes_the_new_password_once(
    bot: Harness, smtp, monkeypatch
) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    work = argon2_work(monkeypatch)
    await journeys.new_password_asked(ana)
    differ = await journeys.type_twice(ana, NEW_PASSWORD, "otra frase distinta")
    assert "no coinciden" in differ.text
    assert "contraseña nueva" in differ.text  # the question again, in the same message
    assert not [done for done in work if "frase" in done[1]]
    assert "cambiaste tu contraseña" in (await journeys.type_twice(ana, NEW_PASSWORD)).text
    assert [done for done in work if "frase" in done[1]] == [("hash", NEW_PASSWORD)]


async def test_after_a_key_rotation_between_the_entries_both_are_asked_again(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    await journeys.new_password_asked(ana)
    await ana.send(NEW_PASSWORD)
    await ana.expect("otra vez")
    await bot.stop()
    assert NEW_PASSWORD not in await first_password_kept(bot.settings.database_url, DATA_KEY)
    await restart_with_a_rotated_key(bot)
    typed = await ana.send(NEW_PASSWORD)
    forgotten = await ana.expect("solo recordaba tu primera contraseña")
    assert "contraseña nueva" in forgotten.text  # the question again, in the same message
    await ana.wait_deleted(typed)
    assert "cambiaste tu contraseña" in (await journeys.type_twice(ana, NEW_PASSWORD)).text
    assert "entraste" in (await journeys.sign_in(bot.person(), "ana@example.mx", NEW_PASSWORD)).text
