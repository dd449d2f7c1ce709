"""The registered commands and flows: what each declares of itself (its command's names,
its place in the menu and in /ayuda, its keyboards, its handlers), so that the command
menu, /ayuda, the command filters, the keyboards' lookup and the application's handlers
go over them instead of central lists.

Mechanism only: the specs are written beside their flows (handlers/), found there and
handed to `register` when the application is built (handlers.register_flows)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from chat.keyboards import Builder

if TYPE_CHECKING:
    from chat.context import Handler

# What Telegram takes as a command's name (BotCommand: 1-32 of a-z, 0-9 and _).
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
# A command's place in the menu and in /ayuda: None keeps it out of both.
NOT_LISTED = None


@dataclass(frozen=True, eq=False)
class FlowSpec:
    """A command, and the flow it starts if any, as it registers itself.

    `name` names the flow (chat.flow.Flow's name) and its texts: the command menu's
    description is `commands.<Spanish name>`, its line in /ayuda `help.command.<name>`.
    `commands` are its names, Spanish first (the menu and /ayuda show the English one in
    English); `menu` its place in the command menu and /ayuda (lower first; None: in
    neither), `in_help` False keeps it out of /ayuda only. `starts_flow`: typed inside
    another flow, it asks whether to leave that one. `build` makes its handlers when the
    application is built, `order` places them among the other specs' (lower first), in
    the application's handler `group` (PTB's: the first matching handler of each group
    runs, lower groups first; the flows are in group 0, what answers before them lower).
    `keyboards` are its inline keyboards by name; `affirmative` and `negative` the data of
    its buttons a typed «sí» or «no» presses, `tap_only` its keyboards that typed text
    never presses (chat.typed). `reasons` are the catalog keys that say the services'
    reasons for refusing a value (chat.reasons), `secret_prompts` the questions whose
    answer is a secret or may be one (chat.secrets). A spec with no command only brings
    what it declares."""

    name: str
    commands: tuple[str, ...] = ()
    menu: float | None = NOT_LISTED
    in_help: bool = True
    starts_flow: bool = False
    build: Callable[[], Sequence[Handler]] | None = None
    order: float = 50
    group: int = 0
    keyboards: Mapping[str, Builder] = field(default_factory=lambda: MappingProxyType({}))
    affirmative: frozenset[str] = frozenset()
    negative: frozenset[str] = frozenset()
    tap_only: frozenset[str] = frozenset()
    reasons: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    secret_prompts: frozenset[str] = frozenset()


class Registry:
    """The specs of one application, in the order of their handlers."""

    def __init__(self, specs: Iterable[FlowSpec]) -> None:
        self.specs = sorted(specs, key=lambda spec: (spec.order, spec.name))
        names = [spec.name for spec in self.specs]
        duplicated = {name for name in names if names.count(name) > 1}
        if duplicated:
            raise ValueError(f"flows registered twice: {sorted(duplicated)}")
        self.by_name = {spec.name: spec for spec in self.specs}
        every = [name for spec in self.specs for name in spec.commands]
        shared = {name for name in every if every.count(name) > 1}
        if shared:
            raise ValueError(f"commands of two flows: {sorted(shared)}")
        self.known_command = _pattern(every)
        self.flow_command = _pattern(
            name for spec in self.specs if spec.starts_flow for name in spec.commands
        )
        self.keyboards: dict[str, Builder] = {}
        for spec in self.specs:
            for name, builder in spec.keyboards.items():
                if name in self.keyboards:
                    raise ValueError(f"keyboard {name} registered twice")
                self.keyboards[name] = builder
        self.affirmative = frozenset().union(*(spec.affirmative for spec in self.specs))
        self.negative = frozenset().union(*(spec.negative for spec in self.specs))
        self.tap_only = frozenset().union(*(spec.tap_only for spec in self.specs))
        self.secret_prompts = frozenset().union(*(spec.secret_prompts for spec in self.specs))
        self.reasons: dict[str, str] = {}
        for spec in self.specs:
            for reason, key in spec.reasons.items():
                if reason in self.reasons:
                    raise ValueError(f"reason {reason} registered twice")
                self.reasons[reason] = key

    def menu(self) -> list[FlowSpec]:
        """The commands of the command menu, in its order."""
        listed = [spec for spec in self.specs if spec.menu is not None and spec.commands]
        return sorted(listed, key=lambda spec: (spec.menu or 0, spec.name))

    def help(self) -> list[FlowSpec]:
        """The commands /ayuda lists, in the menu's order."""
        return [spec for spec in self.menu() if spec.in_help]

    def names(self, name: str) -> tuple[str, ...]:
        """The names of the command of spec `name`, Spanish first."""
        return self.by_name[name].commands

    def flow_of_command(self, command: str) -> str | None:
        """The flow a command's name starts (None: a command that starts none)."""
        return next((s.name for s in self.specs if s.starts_flow and command in s.commands), None)

    def handlers(self) -> dict[int, list[Handler]]:
        """Every spec's handlers, built now, by group (lower first), each in order."""
        groups: dict[int, list[Handler]] = {}
        for spec in self.specs:
            if spec.build:
                groups.setdefault(spec.group, []).extend(spec.build())
        return dict(sorted(groups.items()))


def _pattern(names: Iterable[str]) -> re.Pattern[str]:
    """A message that begins with one of the commands `names` (addressed to a bot or not)."""
    alternatives = "|".join(re.escape(name) for name in names) or "(?!)"
    return re.compile(r"^/(" + alternatives + r")(@\w+)?(\s|$)")


_REGISTERED: list[Registry] = []


def register(specs: Iterable[FlowSpec]) -> Registry:
    """Make `specs` the process's commands and flows (again: the same specs replace them)."""
    registry = Registry(specs)
    _REGISTERED[:] = [registry]
    return registry


def registered() -> Registry:
    """The process's commands and flows (handlers.register_flows registers them)."""
    if not _REGISTERED:
        raise RuntimeError("no flows registered yet (handlers.register_flows)")
    return _REGISTERED[0]


def local_name(names: tuple[str, ...], language: str) -> str:
    """A command's name as a language's menu shows it: the English alias in English, the
    Spanish name otherwise (each works in every language)."""
    return names[-1] if language == "en" else names[0]
