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


def test_two_flows_cannot_share_a_command() -> None:
    with pytest.raises(ValueError, match="empresa"):
        Registry([FlowSpec("company", ("empresa", "company")), FlowSpec("other", ("empresa",))])


def test_a_flow_cannot_register_twice() -> None:
    with pytest.raises(ValueError, match="company"):
        Registry([FlowSpec("company", ("empresa",)), FlowSpec("company", ("compania",))])
