"""The Bot API over HTTP on loopback: `/bot<token>/<method>` and `/file/bot<token>/<path>`.

Requests may be JSON, form-encoded (PTB's way: every non-string value JSON-encoded) or
multipart; answers are Telegram's `{"ok": ...}` envelopes and error texts."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from emulator.markup import EntityParseError, parse_html, utf16_length
from emulator.world import ApiError, BotAccount, Chat, Message, User, bad_request, now

logger = logging.getLogger(__name__)

Params = dict[str, Any]
Method = Callable[["BotApiEmulator", BotAccount, Params], Awaitable[Any]]
METHODS: dict[str, Method] = {}

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64


def method(name: str) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        METHODS[name.lower()] = function
        return function

    return register


class BotApiEmulator:
    """Holds the emulated world and serves it; `people` (emulator.people) acts in it."""

    def __init__(self) -> None:
        self.bots: dict[str, BotAccount] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self._file_ids = itertools.count(1)
        self._bot_ids = itertools.count(7_000_000_001)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.message_listeners: list[Callable[[Message, str], None]] = []

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def bot(self, token: str) -> BotAccount:
        """The bot behind a token; any token is accepted and names a new bot."""
        account = self.bots.get(token)
        if account is None:
            number = next(self._bot_ids)
            user = User(
                id=number, first_name="Facturación", username=f"cfdi{number}_bot", is_bot=True
            )
            account = BotAccount(token=token, user=user)
            self.bots[token] = account
        return account

    async def start(self, port: int = 0) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        logger.info("Bot API emulator on %s", self.base_url)

    async def stop(self) -> None:
        for account in self.bots.values():
            await account.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def store_file(self, name: str, data: bytes) -> str:
        file_id = f"file{next(self._file_ids)}"
        self.files[file_id] = (name, data)
        return file_id

    def notify(self, message: Message, event: str) -> None:
        for listener in self.message_listeners:
            listener(message, event)

    async def _handle_method(self, request: web.Request) -> web.Response:
        name = request.match_info["method"]
        function = METHODS.get(name.lower())
        if function is None:
            logger.error("emulator: unsupported method %s", name)
            return _envelope_error(ApiError(404, f"Not Found: method {name} is not emulated"))
        try:
            params = await _read_params(request)
            result = await function(self, self.bot(request.match_info["token"]), params)
        except ApiError as error:
            return _envelope_error(error)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        file_id = path.rsplit("/", 1)[-1].split(".", 1)[0]
        if file_id not in self.files:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=self.files[file_id][1])


def _envelope_error(error: ApiError) -> web.Response:
    body = {"ok": False, "error_code": error.code, "description": error.description}
    return web.json_response(body, status=error.code)


async def _read_params(request: web.Request) -> Params:
    if request.method == "GET":
        return {key: _decode(value) for key, value in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise bad_request("request body must be a JSON object")
        return body
    form = await request.post()
    params: Params = {}
    for key, value in form.items():
        params[key] = value if hasattr(value, "file") else _decode(value)
    return params


def _decode(value: str) -> Any:
    """PTB sends every non-string parameter JSON-encoded; plain strings stay strings."""
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    return decoded if isinstance(decoded, (dict, list, bool, int, float)) else value


def _text(params: Params, key: str = "text") -> str:
    value = params.get(key)
    return "" if value is None else str(value)


def _int(params: Params, key: str) -> int:
    try:
        return int(params[key])
    except KeyError:
        raise bad_request(f"{key} is required") from None
    except (TypeError, ValueError):
        raise bad_request(f"invalid {key}") from None


def _markup(params: Params) -> dict | None:
    markup = params.get("reply_markup")
    if isinstance(markup, str):
        markup = json.loads(markup)
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


def _formatted(params: Params) -> tuple[str, list[dict]]:
    text = _text(params)
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
        chat.changed.notify_all()
    emulator.notify(message, "sent")
    return message


@method("getMe")
async def get_me(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    return {
        **bot.user.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


@method("getUpdates")
async def get_updates(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    offset = params.get("offset")
    limit = min(int(params.get("limit") or 100), 100)
    timeout = float(params.get("timeout") or 0)
    return await bot.take_updates(int(offset) if offset is not None else None, limit, timeout)


@method("deleteWebhook")
async def delete_webhook(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    if params.get("drop_pending_updates"):
        bot.updates.clear()
    bot.properties.pop("webhook", None)
    return True


@method("getWebhookInfo")
async def get_webhook_info(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    url = (bot.properties.get("webhook") or {}).get("url", "")
    return {"url": url, "has_custom_certificate": False, "pending_update_count": len(bot.updates)}


@method("sendMessage")
async def send_message(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    chat = bot.chat(_int(params, "chat_id"))
    text, entities = _formatted(params)
    message = await _add_bot_message(
        emulator, bot, chat, text=text, entities=entities, reply_markup=_markup(params)
    )
    return message.to_api()


def _editable(bot: BotAccount, params: Params) -> tuple[Chat, Message]:
    chat = bot.chat(_int(params, "chat_id"))
    message = chat.find(_int(params, "message_id"))
    if message is None:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return chat, message


async def _edited(emulator: BotApiEmulator, chat: Chat, message: Message) -> Any:
    message.edit_date = now()
    async with chat.changed:
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
    message.text, message.entities, message.reply_markup = text, entities, markup
    return await _edited(emulator, chat, message)


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
    chat = bot.chat(_int(params, "chat_id"))
    message = chat.find(_int(params, "message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    message.deleted = True
    async with chat.changed:
        chat.changed.notify_all()
    emulator.notify(message, "deleted")
    return True


@method("answerCallbackQuery")
async def answer_callback_query(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    query = bot.open_callbacks.pop(_text(params, "callback_query_id"), None)
    if query is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    answer = {
        "query": query,
        "text": params.get("text"),
        "show_alert": bool(params.get("show_alert")),
    }
    bot.callback_answers.append(answer)
    return True


def _command_scope(params: Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


@method("setMyCommands")
async def set_my_commands(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    commands = params.get("commands") or []
    for command in commands:
        if not 1 <= len(command.get("command", "")) <= 32 or not command.get("description"):
            raise bad_request("BOT_COMMAND_INVALID")
    bot.commands[_command_scope(params)] = list(commands)
    return True


@method("getMyCommands")
async def get_my_commands(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    return bot.commands.get(_command_scope(params), [])


@method("deleteMyCommands")
async def delete_my_commands(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    bot.commands.pop(_command_scope(params), None)
    return True


@method("sendChatAction")
async def send_chat_action(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    bot.chat(_int(params, "chat_id"))
    return True


@method("sendDocument")
async def send_document(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    chat = bot.chat(_int(params, "chat_id"))
    document = params.get("document")
    if hasattr(document, "file"):
        file_id = emulator.store_file(document.filename or "document", document.file.read())
    elif isinstance(document, str) and document in emulator.files:
        file_id = document
    else:
        raise bad_request("wrong file identifier/HTTP URL specified")
    name, data = emulator.files[file_id]
    extra: dict[str, Any] = {
        "document": {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": name,
            "file_size": len(data),
        }
    }
    caption = params.get("caption")
    if caption:
        extra["caption"] = str(caption)
    message = await _add_bot_message(emulator, bot, chat, extra=extra, reply_markup=_markup(params))
    return message.to_api()


@method("getFile")
async def get_file(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    file_id = _text(params, "file_id")
    if file_id not in emulator.files:
        raise bad_request("invalid file_id")
    name, data = emulator.files[file_id]
    suffix = name.rsplit(".", 1)[-1] if "." in name else "bin"
    return {
        "file_id": file_id,
        "file_unique_id": f"u{file_id}",
        "file_size": len(data),
        "file_path": f"documents/{file_id}.{suffix}",
    }


async def serve_forever(port: int = 0) -> BotApiEmulator:  # pragma: no cover - manual use
    emulator = BotApiEmulator()
    await emulator.start(port)
    await asyncio.Event().wait()
    return emulator


@method("setWebhook")
async def set_webhook(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    url = _text(params, "url")
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    bot.properties["webhook"] = {"url": url, "secret_token": params.get("secret_token")}
    return True


def _language(params: Params) -> str:
    return str(params.get("language_code") or "")


@method("setMyDescription")
async def set_my_description(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    bot.properties[("description", _language(params))] = _text(params, "description")
    return True


@method("getMyDescription")
async def get_my_description(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    return {"description": bot.properties.get(("description", _language(params)), "")}


@method("setMyShortDescription")
async def set_my_short_description(
    emulator: BotApiEmulator, bot: BotAccount, params: Params
) -> Any:
    bot.properties[("short", _language(params))] = _text(params, "short_description")
    return True


@method("getMyShortDescription")
async def get_my_short_description(
    emulator: BotApiEmulator, bot: BotAccount, params: Params
) -> Any:
    return {"short_description": bot.properties.get(("short", _language(params)), "")}
