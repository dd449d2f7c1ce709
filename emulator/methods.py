"""The Bot API methods of chats and messages, each as Telegram would answer (the shapes
are checked against PTB's own de_json in tests/emulator). The bot's own profile is in
emulator.profile."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp.web import FileField

from emulator.files import MAX_DOWNLOAD_BYTES
from emulator.markup import EntityParseError, Json, parse_html, utf16_length
from emulator.registry import MAX_CALLBACK_DATA, MAX_TEXT, Params, int_param, method, text_param
from emulator.world import ApiError, BotAccount, Chat, Message, bad_request, now

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator


def _markup(params: Params) -> Json | None:
    given = params.get("reply_markup")
    markup: Json | None = json.loads(given) if isinstance(given, str) else given
    if markup is None:
        return None
    for row in markup.get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
            if not button.get("text"):
                raise bad_request("BUTTON_TEXT_INVALID")
    return markup


def _formatted(params: Params) -> tuple[str, list[Json]]:
    text = text_param(params)
    parse_mode = params.get("parse_mode")
    if parse_mode in (None, ""):
        plain, entities = text, list(params.get("entities") or [])
    elif str(parse_mode).upper() == "HTML":
        try:
            plain, entities = parse_html(text)
        except EntityParseError as error:
            raise bad_request(f"can't parse entities: {error}") from None
    else:
        raise bad_request(f"the emulator supports parse_mode HTML only, not {parse_mode}")
    if not plain.strip():
        raise bad_request("message text is empty")
    if utf16_length(plain) > MAX_TEXT:
        raise bad_request("message is too long")
    return plain, entities


async def _add_bot_message(
    emulator: BotApiEmulator, bot: BotAccount, chat: Chat, **fields: Any
) -> Message:
    message = Message(
        message_id=next(bot.message_ids), chat=chat, sender=bot.user, date=now(), **fields
    )
    async with chat.changed:
        chat.messages.append(message)
        chat.news.append(message)
        chat.changed.notify_all()
    emulator.notify(message, "sent")
    return message


@method("getUpdates")
async def get_updates(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    if (bot.properties.get("webhook") or {}).get("url"):
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
    offset = params.get("offset")
    limit = min(int(params.get("limit") or 100), 100)
    timeout = float(params.get("timeout") or 0)
    bot.allow(params.get("allowed_updates"))
    return await bot.take_updates(int(offset) if offset is not None else None, limit, timeout)


@method("sendMessage")
async def send_message(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    chat = bot.chat(int_param(params, "chat_id"))
    text, entities = _formatted(params)
    message = await _add_bot_message(
        emulator, bot, chat, text=text, entities=entities, reply_markup=_markup(params)
    )
    return message.to_api()


def _editable(bot: BotAccount, params: Params) -> tuple[Chat, Message]:
    chat = bot.chat(int_param(params, "chat_id"))
    message = chat.find(int_param(params, "message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


async def _edited(
    emulator: BotApiEmulator, chat: Chat, message: Message, *, news: bool = False
) -> Any:
    """`news`: the text changed, so the person reads the message again (emulator.people)."""
    message.edit_date = now()
    async with chat.changed:
        if news:
            chat.news.append(message)
        chat.changed.notify_all()
    emulator.notify(message, "edited")
    return message.to_api()


@method("editMessageText")
async def edit_message_text(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    chat, message = _editable(bot, params)
    text, entities = _formatted(params)
    markup = _markup(params)
    if (text, entities, markup) == (message.text, message.entities, message.reply_markup):
        raise bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current content and reply markup of the message"
        )
    news = (text, entities) != (message.text, message.entities)
    message.text, message.entities, message.reply_markup = text, entities, markup
    return await _edited(emulator, chat, message, news=news)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(
    emulator: BotApiEmulator, bot: BotAccount, params: Params
) -> Any:
    chat, message = _editable(bot, params)
    markup = _markup(params)
    if markup == message.reply_markup or (not markup and not message.reply_markup):
        raise bad_request("message is not modified")
    message.reply_markup = markup
    return await _edited(emulator, chat, message)


@method("deleteMessage")
async def delete_message(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    chat = bot.chat(int_param(params, "chat_id"))
    message = chat.find(int_param(params, "message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    if chat.refuses_deletion:
        raise bad_request("message can't be deleted")
    message.deleted = True
    async with chat.changed:
        chat.changed.notify_all()
    emulator.notify(message, "deleted")
    return True


@method("answerCallbackQuery")
async def answer_callback_query(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    query = bot.open_callbacks.pop(text_param(params, "callback_query_id"), None)
    if query is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    answer = {
        "query": query,
        "text": params.get("text"),
        "show_alert": bool(params.get("show_alert")),
    }
    bot.callback_answers.append(answer)
    return True


@method("sendChatAction")
async def send_chat_action(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    bot.chat(int_param(params, "chat_id"))
    return True


@method("sendDocument")
async def send_document(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    chat = bot.chat(int_param(params, "chat_id"))
    document = params.get("document")
    if isinstance(document, FileField):
        file_id = emulator.store_file(document.filename or "document", document.file.read())
    elif isinstance(document, str) and document in emulator.files:
        file_id = document
    else:
        raise bad_request("wrong file identifier/HTTP URL specified")
    stored = emulator.files.get(file_id)
    assert stored is not None
    extra: dict[str, Any] = {"document": stored.document()}
    caption = params.get("caption")
    if caption:
        extra["caption"] = str(caption)
    message = await _add_bot_message(emulator, bot, chat, extra=extra, reply_markup=_markup(params))
    return message.to_api()


@method("getFile")
async def get_file(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    file_id = text_param(params, "file_id")
    stored = emulator.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    emulator.files.get_file_calls[file_id] += 1
    if stored.size > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return {
        "file_id": file_id,
        "file_unique_id": stored.unique_id,
        "file_size": stored.size,
        "file_path": stored.path(),
    }
