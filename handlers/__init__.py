"""Thin PTB callbacks and one Flow (chat.flow) per flow. No SQL, no SMTP.

Each command and flow declares itself where it lives, as a `chat.registry.FlowSpec` at
its module's top level; `register_flows` finds them all, so that a new flow is its own
module (with its texts and a test) and nothing else."""

from __future__ import annotations

import importlib
import pkgutil

from chat.registry import FlowSpec, Registry, register


def flow_specs() -> list[FlowSpec]:
    """Every FlowSpec at the top level of a module of this package (each once)."""
    found: dict[int, FlowSpec] = {}
    for module_info in pkgutil.walk_packages(__path__, f"{__name__}."):
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, FlowSpec):
                found.setdefault(id(value), value)
    return list(found.values())


def register_flows() -> Registry:
    """Register every command and flow of the handlers (chat.registry)."""
    return register(flow_specs())
