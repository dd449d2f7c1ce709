"""Password recovery with the chat as the human check, through the emulator: a code
mailed to the address (known or not, answered alike), its tries, expiry and single use,
caps that strangers cannot use up, and the human check itself."""

from __future__ import annotations

import asyncio
import re

from chat.texts import Catalog
from emulator import Person
from emulator.world import Message
from handlers.human_check import CHECK
from services.human_check import SYMBOLS
from storage.models import HumanCheck, ResetCode
from tests import journeys
from tests.e2e.conftest import DATA_KEY, Harness, restart_with_a_rotated_key
from tests.factories import (
    PASSWORD,
    argon2_work,
    first_password_kept,
    shift_back,
    text_part,
)

NEW_PASSWORD = "otra frase nueva y larga"


async def test_whole_reset_changes_password_and_signs_other_chats_out(bot: Harness, smtp) -> None:
    ana, laptop = bot.person(), bot.person()
    await journeys.two_chats(ana, laptop, smtp.mailbox, "ana@example.mx")

    phone = bot.person()
    sent = await journeys.request_reset(phone, "ana@example.mx")
    assert "Spam" in sent.text
    code = await journeys.mailed_one_time_code(smtp.mailbox, 2)
    await phone.expect("código")
    await phone.send(f"mi código es {code.lower().replace('-', '')} gracias")
    await phone.expect("contraseña nueva")
    first = await phone.send(NEW_PASSWORD)
    await phone.expect("otra vez")
    second = await phone.send(NEW_PASSWORD)
    assert "Tu contraseña ha sido actualizada" in (await phone.expect("actualizada")).text
    assert first.deleted and second.deleted

    notice = (await smtp.mailbox.wait(3))[2]
    assert notice["Subject"] == "Tu contraseña cambió"
    assert "hora del centro de México" in text_part(notice) and "/recuperar" in text_part(notice)
    assert NEW_PASSWORD not in text_part(notice)

    for old_chat in (ana, laptop):  # signed out: /empresa asks to sign in
        await old_chat.send("/empresa")
        await old_chat.expect("primero entra")
    await phone.send("/empresa")
    await phone.expect("datos fiscales de tu empresa")

    other = bot.person()
    assert "incorrectos" in (await journeys.sign_in(other, "ana@example.mx", PASSWORD)).text
    await other.send("/cancelar")
    await other.reply()
    assert "entraste" in (await journeys.sign_in(other, "ana@example.mx", NEW_PASSWORD)).text


async def test_known_and_unknown_emails_are_answered_alike(bot: Harness, smtp) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    known = await journeys.request_reset(bot.person(), "ana@example.mx")
    unknown = await journeys.request_reset(bot.person(), "nadie@example.mx")
    assert known.text.replace("ana@example.mx", "X") == unknown.text.replace(
        "nadie@example.mx", "X"
    )
    await smtp.mailbox.wait(2)
    assert [m["To"] for m in smtp.mailbox.messages] == ["ana@example.mx", "ana@example.mx"]


async def test_wrong_codes_count_down_and_known_or_unknown_alike(bot: Harness, smtp) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    for email in ("ana@example.mx", "nadie@example.mx"):
        person = bot.person()
        await journeys.request_reset(person, email)
        await person.expect("código")
        answers = []
        for _ in range(4):
            await person.send("ZZZZ-ZZZ2")
            answers.append((await person.reply()).text)
            await person.expect("código")
        assert answers[0].endswith("Te quedan 4 intentos.")
        assert answers[3].endswith("Te queda 1 intento.")
        await person.send("ZZZZ-ZZZ2")
        assert "Se acabaron los intentos" in (await person.reply()).text


async def test_expired_and_used_codes_are_refused(bot: Harness, smtp) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    late = bot.person()
    await journeys.request_reset(late, "ana@example.mx")
    code = await journeys.mailed_one_time_code(smtp.mailbox, 2)
    await shift_back(bot.settings.database_url, ResetCode, "expires_at", 1)
    await late.send(code)
    assert "ya venció" in (await late.expect("venció")).text
    typed = await late.send(code)  # again, though no question waits for it any more
    await late.wait_deleted(typed)
    await late.expect("Borré tu mensaje")

    person = bot.person()
    await journeys.request_reset(person, "ana@example.mx")
    code = await journeys.mailed_one_time_code(smtp.mailbox, 3)
    await person.send(code)
    await person.send(NEW_PASSWORD)
    await person.send(NEW_PASSWORD)
    await person.expect("actualizada")
    again = bot.person()
    await journeys.request_reset(again, "ana@example.mx")
    await again.expect("código")
    await again.send(code)  # the used code, in a new request
    assert "no es correcto" in (await again.reply()).text


async def test_human_check_wrong_tap_other_challenge_and_lock(bot: Harness) -> None:
    ana = bot.person()
    await ana.send("/recuperar")
    first = await journeys.wrong_tap(ana)
    # The challenge tapped is edited into its answer (what was tapped, and why it failed)
    wrong = await ana.expect("no es el símbolo")
    assert wrong.message_id == first.message_id
    assert wrong.text.endswith("\n\nEse no es el símbolo, intenta de nuevo.")
    second = await ana.expect("toca")
    assert second.message_id != first.message_id and first.button_texts() == []
    await ana.press("Otro reto", message=second)
    third = await ana.expect("toca")
    assert len(third.button_texts()) >= 5 and journeys.target_of(third) in third.button_texts()
    await journeys.wrong_tap(ana, third)
    await ana.expect("no es el símbolo")
    await journeys.wrong_tap(ana)
    locked = await ana.expect("demasiados intentos")
    assert "min" in locked.text
    await ana.send("/recuperar")
    await ana.expect("demasiados intentos")


async def test_expired_challenge_offers_a_new_one(bot: Harness) -> None:
    ana = bot.person()
    await ana.send("/recuperar")
    challenge = await ana.expect("toca")
    await shift_back(bot.settings.database_url, HumanCheck, "created_at", 6)
    await ana.press(journeys.target_of(challenge), message=challenge)
    await ana.expect("expiró")
    fresh = await ana.expect("toca")
    await ana.press(journeys.target_of(fresh), message=fresh)
    await ana.expect("correo electrónico")


async def test_strangers_reset_requests_do_not_lock_the_owner_out(bot: Harness, smtp) -> None:
    owner = bot.person()
    await journeys.confirmed(owner, smtp.mailbox, "ana@example.mx")
    for _ in range(6):
        answer = await journeys.request_reset(bot.person(), "ana@example.mx")
        assert "te enviamos un código" in answer.text
    await journeys.request_reset(owner, "ana@example.mx")  # her own chat: a code of its own
    code_email = await smtp.mailbox.wait(3)
    assert code_email[-1]["To"] == "ana@example.mx"
    await owner.send(journeys.one_time_code(code_email[-1]))
    await owner.expect("contraseña nueva")


async def ask_again(person: Person, email: str) -> Message:
    await person.send("/cancelar")
    await person.expect("lo dejamos aquí")
    return await journeys.request_reset(person, email)


async def test_many_strangers_asking_resets_put_one_code_in_the_inbox(bot: Harness, smtp) -> None:
    """Six Telegram users ask three times each for Ana's address at once: her inbox gets
    one code, and they are answered as for an address with no account. Ana's own chat
    still gets a code of its own."""
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")
    strangers = [bot.person() for _ in range(6)]
    answers = await asyncio.gather(
        *(journeys.request_reset(s, "ana@example.mx") for s in strangers)
    )
    for _ in range(2):
        answers += await asyncio.gather(*(ask_again(s, "ana@example.mx") for s in strangers))
    unknown = await journeys.request_reset(bot.person(), "nadie@example.mx")
    alike = unknown.text.replace("nadie@example.mx", "X")
    assert {answer.text.replace("ana@example.mx", "X") for answer in answers} == {alike}

    await journeys.request_reset(ana, "ana@example.mx")
    # The confirmation, the strangers' one code, Ana's own.
    await ana.send(await journeys.mailed_one_time_code(smtp.mailbox, 3))
    await ana.expect("contraseña nueva")
    assert len(smtp.mailbox.messages) == 3
    assert [m["To"] for m in smtp.mailbox.messages] == ["ana@example.mx"] * 3


async def test_a_new_phone_can_use_the_code_a_stranger_had_mailed(bot: Harness, smtp) -> None:
    """While a code sent at a stranger's request is pending, Ana's request from a new
    phone mails nothing new: the code already in her inbox works in her chat too."""
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    await journeys.request_reset(bot.person(), "ana@example.mx")
    code = await journeys.mailed_one_time_code(smtp.mailbox, 2)
    phone = bot.person()
    await journeys.request_reset(phone, "ana@example.mx")
    await phone.expect("código")
    await phone.send(code)
    await phone.send(NEW_PASSWORD)
    await phone.send(NEW_PASSWORD)
    await phone.expect("actualizada")
    notice = (await smtp.mailbox.wait(3))[2]
    assert notice["Subject"] == "Tu contraseña cambió" and len(smtp.mailbox.messages) == 3


async def test_one_person_may_ask_ten_resets_an_hour(bot: Harness, smtp) -> None:
    mallory = bot.person()
    for number in range(10):
        await journeys.request_reset(mallory, f"u{number}@example.mx")
        await mallory.send("/cancelar")
        await mallory.expect("lo dejamos aquí")
    await mallory.send("/recuperar")
    await journeys.pass_check(mallory)
    await mallory.send("otra@example.mx")
    assert "intenta de nuevo en" in (await mallory.expect("intenta de nuevo")).text


async def test_setting_puts_the_human_check_before_sign_up_too(
    emulator, database_url, smtp, tmp_path
) -> None:
    from tests.e2e.conftest import make_settings

    settings = make_settings(emulator, database_url, smtp).model_copy(
        update={"human_check_on_signup": True}
    )
    harness = Harness(emulator, settings, tmp_path)
    await harness.start()
    try:
        ana = harness.person()
        await ana.send("/registro")
        challenge = await ana.expect("toca")
        await ana.press(journeys.target_of(challenge), message=challenge)
        intro = await ana.expect("Vamos a crear tu cuenta")
        assert "correo electrónico" in intro.text  # the first question, in the same message
    finally:
        await harness.stop()


async def test_a_quick_second_tap_on_the_same_challenge_is_answered(bot: Harness) -> None:
    ana = bot.person()
    await ana.send("/recuperar")
    challenge = await ana.expect("toca")
    wrong = next(
        b
        for b in challenge.button_texts()
        if b != journeys.target_of(challenge) and "Otro" not in b
    )
    await ana.press(wrong, message=challenge)
    await ana.press(wrong, message=challenge)  # before the bot took the buttons away
    await ana.expect("no es el símbolo")
    await ana.expect("expiró")  # the second tap: that challenge was already used
    fresh = await ana.expect("toca")
    await ana.press(journeys.target_of(fresh), message=fresh)
    await ana.expect("correo electrónico")
    assert not [m for m in ana.bot_messages() if "Algo salió mal" in (m.text or "")]


async def test_a_new_phone_gets_a_code_after_a_stranger_used_up_his_own_allowance(
    bot: Harness, smtp
) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    mallory = bot.person()
    await journeys.request_reset(mallory, "ana@example.mx")
    for mailed in (3, 4):  # each time after the pending code expired: a fresh one, mailed
        await smtp.mailbox.wait(mailed - 1)
        await shift_back(bot.settings.database_url, ResetCode, "expires_at", 1)
        await ask_again(mallory, "ana@example.mx")
    await smtp.mailbox.wait(4)
    await shift_back(bot.settings.database_url, ResetCode, "expires_at", 1)
    await ask_again(mallory, "ana@example.mx")  # his 4th in the hour: not mailed
    phone = bot.person()  # Ana on a new phone; her inbox has room (3 of 10)
    await journeys.request_reset(phone, "ana@example.mx")
    await phone.expect("código")
    await phone.send(await journeys.mailed_one_time_code(smtp.mailbox, 5))
    await phone.expect("contraseña nueva")


async def test_a_code_asked_in_the_owners_own_chat_does_not_work_in_a_strangers(
    bot: Harness, smtp
) -> None:
    ana = bot.person()
    await journeys.confirmed(ana, smtp.mailbox, "ana@example.mx")  # her chat is signed in
    await journeys.request_reset(ana, "ana@example.mx")
    code = await journeys.mailed_one_time_code(smtp.mailbox, 2)
    mallory = bot.person()
    await journeys.request_reset(mallory, "ana@example.mx")
    await mallory.expect("código")
    await mallory.send(code)  # a code that leaked (shoulder, screenshot, "dime el código")
    answer = await mallory.reply()
    assert "contraseña nueva" not in answer.text, answer.text


async def test_strangers_filling_the_inbox_with_sign_ups_do_not_stop_a_new_phones_recovery(
    bot: Harness, smtp
) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")  # 1 of 10
    for _ in range(3):
        stranger = bot.person()
        for _ in range(3):  # each "someone tried to sign up with your address": 9 more
            await journeys.sign_up(stranger, "ana@example.mx")
    await smtp.mailbox.wait(10)
    phone = bot.person()  # Ana, who lost her phone
    await journeys.request_reset(phone, "ana@example.mx")
    await phone.expect("código")
    await phone.send(await journeys.mailed_one_time_code(smtp.mailbox, 11))
    await phone.expect("contraseña nueva")


async def test_idioma_during_the_human_check_asks_it_again_wholly_in_english(bot: Harness):
    ana = bot.person()
    await ana.send("/recuperar")
    first = await ana.expect("toca")
    await ana.send("/idioma")
    await ana.press("English")
    again = await ana.expect("carry on")
    assert "tap the" in again.text, again.text  # got: "tap la 🐢 (tortuga)" / "el 🐱 (gato)"
    # The same symbol, named by each catalog in its own words.
    (symbol_id,) = [name for name, symbol in SYMBOLS.items() if f" {symbol} (" in first.text]
    spanish, english = (Catalog.load().languages[language] for language in ("es", "en"))
    symbol = SYMBOLS[symbol_id]
    es_name = (
        f"{spanish[f'check.article.{symbol_id}']} {symbol} ({spanish[f'check.symbol.{symbol_id}']})"
    )
    assert es_name in first.text
    assert f"the {symbol} ({english[f'check.symbol.{symbol_id}']})" in again.text


async def test_a_sticker_during_the_human_check_asks_it_again_with_its_symbols(bot: Harness):
    ana = bot.person()
    await ana.send("/recuperar")
    first = await ana.expect("toca")
    await ana.send_sticker()
    again = await ana.expect("toca")
    # got: only "🔄 Otro reto", with an empty token in its callback data
    assert again.button_texts()[:-1] and set(again.button_texts()) == set(first.button_texts()), (
        again.button_texts()
    )


async def test_a_forged_challenge_button_is_answered_without_an_error(bot: Harness):
    ana = bot.person()
    await ana.send("/recuperar")
    challenge = await ana.expect("toca")
    token = challenge.buttons[0]["callback_data"].removeprefix(CHECK).split(":")[0]
    query = {
        "id": "forged-1",
        "from": ana.user.to_api(),
        "message": challenge.to_api(),
        "chat_instance": str(ana.chat.id),
        "data": f"{CHECK}{token}:\u00b2",  # "²".isdigit() is True; int("²") fails
    }
    ana.bot.open_callbacks["forged-1"] = query
    await ana.bot.push_update({"callback_query": query})
    answer = await ana.reply()
    assert "salió mal" not in answer.text, answer.text


async def test_in_english_a_wrong_tap_speaks_of_the_symbol(bot: Harness) -> None:
    ana = bot.person(language_code="en")
    await ana.send("/reset")
    challenge = await ana.expect("tap")
    target = re.search(r"tap (?:the|an?) (\S+) \(", challenge.text)
    assert target, challenge.text
    wrong = next(
        b for b in challenge.button_texts() if b != target.group(1) and "challenge" not in b.lower()
    )
    await ana.press(wrong, message=challenge)
    answer = await ana.reply()
    assert "symbol" in answer.text.lower(), answer.text
    assert "validation" not in answer.text.lower()


async def test_the_right_code_among_words_works(bot: Harness, smtp) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    phone = bot.person()
    await journeys.request_reset(phone, "ana@example.mx")
    code = await journeys.mailed_one_time_code(smtp.mailbox, 2)
    await phone.expect("código")
    await phone.send(f"whatsapp me dijo que es {code}")
    answer = await phone.reply()
    assert "contraseña nueva" in answer.text, answer.text


async def test_a_reset_hashes_the_new_password_once(bot: Harness, smtp, monkeypatch) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    work = argon2_work(monkeypatch)
    phone = bot.person()
    await journeys.reset_password_asked(phone, smtp.mailbox, "ana@example.mx")
    differ = await journeys.type_twice(phone, NEW_PASSWORD, "otra frase distinta")
    assert "no coinciden" in differ.text
    assert "contraseña nueva" in differ.text  # the question again, in the same message
    assert not [done for done in work if "frase" in done[1]]
    assert "actualizada" in (await journeys.type_twice(phone, NEW_PASSWORD)).text
    assert [done for done in work if "frase" in done[1]] == [("hash", NEW_PASSWORD)]


async def test_after_a_key_rotation_between_the_entries_both_are_asked_again(
    bot: Harness, smtp
) -> None:
    await journeys.confirmed(bot.person(), smtp.mailbox, "ana@example.mx")
    phone = bot.person()
    await journeys.reset_password_asked(phone, smtp.mailbox, "ana@example.mx")
    await phone.send(NEW_PASSWORD)
    await phone.expect("otra vez")
    await bot.stop()
    assert NEW_PASSWORD not in await first_password_kept(bot.settings.database_url, DATA_KEY)
    await restart_with_a_rotated_key(bot)
    await phone.send(NEW_PASSWORD)
    forgotten = await phone.expect("solo recordaba tu primera contraseña")
    assert "contraseña nueva" in forgotten.text  # the question again, in the same message
    assert "actualizada" in (await journeys.type_twice(phone, NEW_PASSWORD)).text
