"""The table of emulated Bot API methods, filled by emulator.methods, .chats and .profile,
and the readers of their parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from emulator.world import bad_request

Params = dict[str, Any]
Method = Callable[..., Awaitable[Any]]
METHODS: dict[str, Method] = {}

MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64


def method(name: str) -> Callable[[Method], Method]:
    def register(function: Method) -> Method:
        METHODS[name.lower()] = function
        return function

    return register


def text_param(params: Params, key: str = "text") -> str:
    value = params.get(key)
    return "" if value is None else str(value)


def int_param(params: Params, key: str) -> int:
    try:
        return int(params[key])
    except KeyError:
        raise bad_request(f"{key} is required") from None
    except (TypeError, ValueError):
        raise bad_request(f"invalid {key}") from None
