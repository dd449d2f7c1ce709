"""Benchmark: the bot against a bare python-telegram-bot echo bot, on the same emulator."""
