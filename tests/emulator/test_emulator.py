"""The emulator speaks the Bot API as PTB expects: its answers go through PTB's own
de_json, and its errors are Telegram's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from telegram.error import BadRequest, InvalidToken

from emulator import BotApiEmulator, Person

TOKEN = "42:emulator-test"


@pytest.fixture
async def bot(emulator: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=emulator.base_url, base_file_url=emulator.file_url) as bot:
        yield bot


async def test_get_me_is_a_bot_user(bot: Bot) -> None:
    me = await bot.get_me()
    assert isinstance(me, User) and me.is_bot and me.username


async def test_updates_round_trip_with_offset_and_long_polling(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not polling.done()  # held open until something happens
    await ana.send("/start hola")
    [update] = await polling
    assert isinstance(update, Update)
    assert update.message.text == "/start hola"
    assert update.message.entities[0].type == "bot_command"
    assert update.effective_user.id == ana.user.id
    assert await bot.get_updates(offset=update.update_id, timeout=0) == (update,)
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()


async def test_send_edit_and_delete_messages(emulator: BotApiEmulator, bot: Bot) -> None:
    ana = Person(emulator, TOKEN)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Sí", callback_data="yes")]])
    sent = await bot.send_message(
        ana.chat.id, "<b>Hola</b> 🐢 tú", parse_mode="HTML", reply_markup=markup
    )
    assert isinstance(sent, Message) and sent.text == "Hola 🐢 tú"
    assert sent.entities[0].type == "bold" and sent.parse_entity(sent.entities[0]) == "Hola"
    assert (await ana.reply()).button_texts() == ["Sí"]

    edited = await bot.edit_message_text("Adiós", chat_id=ana.chat.id, message_id=sent.message_id)
    assert edited.text == "Adiós" and edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Adiós", chat_id=ana.chat.id, message_id=sent.message_id)
    assert await bot.delete_message(ana.chat.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=ana.chat.id, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ana.chat.id, sent.message_id)


async def test_a_message_edited_into_new_text_is_read_again(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Sí", callback_data="yes")]])
    question = await bot.send_message(ana.chat.id, "¿Seguimos?", reply_markup=markup)
    assert (await ana.reply()).text == "¿Seguimos?"
    await bot.send_message(ana.chat.id, "Otra cosa")
    await bot.edit_message_reply_markup(ana.chat.id, question.message_id)  # no news
    await bot.edit_message_text("¿Seguimos? Sí. ¿Y ahora?", ana.chat.id, question.message_id)
    assert (await ana.reply()).text == "Otra cosa"
    again = await ana.expect("¿Y ahora?")  # read again, where the edit came
    assert again.message_id == question.message_id
    # Edited before it was read: read once, as it is now.
    late = await bot.send_message(ana.chat.id, "Uno")
    await bot.edit_message_text("Uno y dos", ana.chat.id, late.message_id)
    await bot.send_message(ana.chat.id, "Tres")
    assert [m.text for m in await ana.quiet(0)] == ["Uno y dos", "Tres"]
    assert [name for _, name in ana.chat.requests].count("editMessageText") == 2


async def test_telegram_errors_for_bad_requests(emulator: BotApiEmulator, bot: Bot) -> None:
    ana = Person(emulator, TOKEN)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(ana.chat.id, "<b>sin cerrar", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "hola")
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(ana.chat.id, " ")
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="y" * 65)]])
        await bot.send_message(ana.chat.id, "hola", reply_markup=markup)


async def test_unknown_methods_fail_loudly(emulator: BotApiEmulator, bot: Bot) -> None:
    with pytest.raises(InvalidToken, match="not emulated"):
        await bot.send_poll(1, "¿?", ["a", "b"])
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{emulator.base_url}{TOKEN}/sendPigeon", json={})
    assert answer.status_code == 404
    assert answer.json() == {
        "ok": False,
        "error_code": 404,
        "description": "Not Found: method sendPigeon is not emulated",
    }


async def test_json_bodies_are_accepted(emulator: BotApiEmulator) -> None:
    ana = Person(emulator, TOKEN)
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{emulator.base_url}{TOKEN}/sendMessage", json={"chat_id": ana.chat.id, "text": "123"}
        )
    body = answer.json()
    assert body["ok"] and body["result"]["text"] == "123"


async def test_button_press_and_callback_answer(emulator: BotApiEmulator, bot: Bot) -> None:
    ana = Person(emulator, TOKEN)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Otro reto", callback_data="again")]])
    await bot.send_message(ana.chat.id, "Toca", reply_markup=markup)
    query_id = await ana.press("otro reto")
    [update] = await bot.get_updates(timeout=0)
    assert update.callback_query.data == "again"
    assert update.callback_query.message.text == "Toca"
    assert await bot.answer_callback_query(update.callback_query.id, text="listo")
    assert ana.callback_answer(query_id)["text"] == "listo"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(update.callback_query.id)


async def test_stickers_photos_and_documents_arrive_as_updates(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    await ana.send_sticker("🐢")
    await ana.send_photo(caption="foto")
    await ana.send_document("constancia.pdf", b"%PDF-1.4 datos")
    sticker, photo, document = await bot.get_updates(timeout=0)
    assert sticker.message.sticker.emoji == "🐢"
    assert photo.message.photo and photo.message.caption == "foto"
    assert document.message.document.file_name == "constancia.pdf"
    file = await bot.get_file(document.message.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 datos"


async def test_a_document_is_announced_with_name_mime_type_and_size_like_telegram(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    await ana.send_document("CSD_EKU.cer", b"0\x82\x06\x10", caption="mi certificado")
    await ana.send_document("clave.key", b"0\x82\x05")
    await ana.send_document("raro.bin", b"x", mime_type="application/x-raro")
    cer, key, other = await bot.get_updates(timeout=0)
    assert cer.message.document.file_name == "CSD_EKU.cer"
    assert cer.message.document.mime_type == "application/x-x509-ca-cert"
    assert cer.message.document.file_size == 4
    assert cer.message.caption == "mi certificado"
    assert key.message.document.mime_type == "application/octet-stream"
    assert other.message.document.mime_type == "application/x-raro"


async def test_get_file_refuses_files_over_20_mb_as_telegram_does(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    big = await ana.send_document("video.zip", size=20 * 1024 * 1024 + 1)
    limit = await ana.send_document("limite.zip", size=20 * 1024 * 1024)
    big_update, limit_update = await bot.get_updates(timeout=0)
    assert big_update.message.document.file_size == 20 * 1024 * 1024 + 1
    with pytest.raises(BadRequest, match=r"^File is too big$"):
        await bot.get_file(big_update.message.document.file_id)
    file = await bot.get_file(limit_update.message.document.file_id)
    assert file.file_size == 20 * 1024 * 1024
    big_id = big.extra["document"]["file_id"]
    assert emulator.files.get_file_calls[big_id] == 1 and emulator.files.downloads[big_id] == 0
    assert emulator.files.downloads[limit.extra["document"]["file_id"]] == 0


async def test_get_file_refusal_has_telegrams_exact_shape(emulator: BotApiEmulator) -> None:
    ana = Person(emulator, TOKEN)
    big = await ana.send_document("grande.pdf", size=21 * 1024 * 1024)
    async with httpx.AsyncClient() as client:
        answer = await client.post(
            f"{emulator.base_url}{TOKEN}/getFile",
            json={"file_id": big.extra["document"]["file_id"]},
        )
    assert answer.status_code == 400
    assert answer.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: file is too big",
    }


async def test_downloads_are_counted_per_file(emulator: BotApiEmulator, bot: Bot) -> None:
    ana = Person(emulator, TOKEN)
    sent = await ana.send_document("clave.key", b"llave")
    file_id = sent.extra["document"]["file_id"]
    assert emulator.files.fetched(file_id) == 0
    file = await bot.get_file(file_id)
    assert bytes(await file.download_as_bytearray()) == b"llave"
    assert emulator.files.get_file_calls[file_id] == 1 and emulator.files.downloads[file_id] == 1
    async with httpx.AsyncClient() as client:
        wrong = await client.get(f"{emulator.file_url}{TOKEN}/documents/{file_id}.pdf")
    assert wrong.status_code == 404 and emulator.files.downloads[file_id] == 1


async def test_send_document_and_download_it(emulator: BotApiEmulator, bot: Bot) -> None:
    ana = Person(emulator, TOKEN)
    sent = await bot.send_document(ana.chat.id, b"hola mundo", filename="datos.txt", caption="c")
    assert sent.document.file_name == "datos.txt" and sent.caption == "c"
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"hola mundo"


async def test_commands_chat_action_and_webhook_info(bot: Bot, emulator: BotApiEmulator) -> None:
    ana = Person(emulator, TOKEN)
    commands = [BotCommand("start", "Menú"), BotCommand("ayuda", "Ayuda")]
    assert await bot.set_my_commands(commands)
    assert await bot.get_my_commands() == tuple(commands)
    assert await bot.get_my_commands(language_code="en") == ()
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.send_chat_action(ana.chat.id, "typing")
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_edit_reply_markup_removes_and_sets_buttons(
    emulator: BotApiEmulator, bot: Bot
) -> None:
    ana = Person(emulator, TOKEN)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Sí", callback_data="yes")]])
    sent = await bot.send_message(ana.chat.id, "¿Seguro?", reply_markup=markup)
    edited = await bot.edit_message_reply_markup(ana.chat.id, sent.message_id, reply_markup=None)
    assert edited.reply_markup is None
    assert (await ana.reply()).button_texts() == []
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(ana.chat.id, sent.message_id, reply_markup=None)
    again = await bot.edit_message_reply_markup(ana.chat.id, sent.message_id, reply_markup=markup)
    assert again.reply_markup == markup
