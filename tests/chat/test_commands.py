"""Every registered command is one Telegram takes, shown in the command menu and listed in
/ayuda in every language; no two flows answer the same command."""

from __future__ import annotations

import pytest

from chat.registry import COMMAND_NAME, FlowSpec, Registry
from chat.texts import Catalog
from handlers import register_flows

LANGUAGES = Catalog.load().languages


def test_every_command_has_a_name_telegram_takes() -> None:
    refused = [
        name
        for spec in register_flows().specs
        for name in spec.commands
        if not COMMAND_NAME.fullmatch(name)
    ]
    assert refused == []


def test_every_command_in_the_menu_is_described_in_every_language() -> None:
    for language, texts in LANGUAGES.items():
        missing = [
            spec.name
            for spec in register_flows().menu()
            if not texts.get(f"commands.{spec.commands[0]}")
        ]
        assert missing == [], language


def test_every_command_in_help_has_its_line_in_every_language() -> None:
    listed = register_flows().help()
    assert {"signup", "company", "cancel", "help"} <= {spec.name for spec in listed}
    for language, texts in LANGUAGES.items():
        missing = [spec.name for spec in listed if not texts.get(f"help.command.{spec.name}")]
        assert missing == [], language


def test_every_flow_that_starts_with_a_command_is_in_the_menu() -> None:
    hidden = [
        spec.name for spec in register_flows().specs if spec.starts_flow and spec.menu is None
    ]
    assert hidden == []


def test_every_command_is_in_the_menu_unless_kept_out_on_purpose() -> None:
    """A command left out of the menu by mistake (its place forgotten) is caught: only one
    that says it is kept out of /ayuda too (an operator's command) may have no place."""
    forgotten = [
        spec.name
        for spec in register_flows().specs
        if spec.commands and spec.menu is None and spec.in_help
    ]
    assert forgotten == []


def test_the_handlers_answer_in_groups_before_and_after_the_flows() -> None:
    """What must see an update before any flow (the log, the guards, a typed press, the
    privacy notice, «no me llegó») is in an earlier group; the command a flow was left for
    runs in a later one; what no flow took gets the idle answer, last of the flows' group."""
    groups = register_flows().handlers()
    assert list(groups) == [-5, -4, -3, -2, -1, 0, 1]
    last = groups[0][-1]
    assert getattr(last, "callback", None).__name__ == "idle"  # type: ignore[union-attr]


def test_two_flows_cannot_share_a_command() -> None:
    with pytest.raises(ValueError, match="empresa"):
        Registry([FlowSpec("company", ("empresa", "company")), FlowSpec("other", ("empresa",))])


def test_a_flow_cannot_register_twice() -> None:
    with pytest.raises(ValueError, match="company"):
        Registry([FlowSpec("company", ("empresa",)), FlowSpec("company", ("compania",))])
