"""The table of emulated Bot API methods, filled by emulator.methods."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

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
