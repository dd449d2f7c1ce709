"""A local stand-in for the Telegram Bot API, for tests, the benchmark and local mode."""

from emulator.flood import FloodLimits
from emulator.groups import Group
from emulator.people import NoReply, Person
from emulator.server import BotApiEmulator

__all__ = ["BotApiEmulator", "FloodLimits", "Group", "NoReply", "Person"]
