"""The Bot API methods of the bot's own profile: who it is, its commands, descriptions
and webhook."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from emulator.registry import Params, method, text_param
from emulator.webhook import WebhookDelivery, max_connections
from emulator.world import BotAccount, bad_request

if TYPE_CHECKING:
    from emulator.server import BotApiEmulator


@method("getMe")
async def get_me(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    return {
        **bot.user.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


@method("deleteWebhook")
async def delete_webhook(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    if params.get("drop_pending_updates"):
        bot.updates.clear()
    bot.properties.pop("webhook", None)
    delivery = emulator.webhooks.get(bot.token)
    if delivery is not None:
        await delivery.stop()
    return True


@method("getWebhookInfo")
async def get_webhook_info(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    url = (bot.properties.get("webhook") or {}).get("url", "")
    info = {"url": url, "has_custom_certificate": False, "pending_update_count": len(bot.updates)}
    delivery = emulator.webhooks.get(bot.token)
    if url and delivery is not None:
        info["max_connections"] = delivery.max_connections
    return info


def _command_scope(params: Params) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


@method("setMyCommands")
async def set_my_commands(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    commands = params.get("commands") or []
    for command in commands:
        # Telegram takes 1-32 of a-z, 0-9 and _ as a command's name.
        if not COMMAND_NAME.fullmatch(command.get("command", "")) or not command.get("description"):
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


@method("setWebhook")
async def set_webhook(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    url = text_param(params, "url")
    if url and not url.startswith("https://"):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    bot.properties["webhook"] = {"url": url, "secret_token": params.get("secret_token")}
    bot.allow(params.get("allowed_updates"))
    delivery = emulator.webhooks.get(bot.token)
    if url:
        if delivery is None:
            delivery = emulator.webhooks[bot.token] = WebhookDelivery(bot, emulator.webhook_routes)
        delivery.max_connections = max_connections(params.get("max_connections"))
        delivery.start()
        async with bot.arrived:  # a running delivery sees a new max_connections at once
            bot.arrived.notify_all()
    elif delivery is not None:
        await delivery.stop()
    return True


def _language(params: Params) -> str:
    return str(params.get("language_code") or "")


@method("setMyDescription")
async def set_my_description(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    bot.properties[("description", _language(params))] = text_param(params, "description")
    return True


@method("getMyDescription")
async def get_my_description(emulator: BotApiEmulator, bot: BotAccount, params: Params) -> Any:
    return {"description": bot.properties.get(("description", _language(params)), "")}


@method("setMyShortDescription")
async def set_my_short_description(
    emulator: BotApiEmulator, bot: BotAccount, params: Params
) -> Any:
    bot.properties[("short", _language(params))] = text_param(params, "short_description")
    return True


@method("getMyShortDescription")
async def get_my_short_description(
    emulator: BotApiEmulator, bot: BotAccount, params: Params
) -> Any:
    return {"short_description": bot.properties.get(("short", _language(params)), "")}
