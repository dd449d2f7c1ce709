"""The bot as `python main.py` runs it, for the tests that start several bot processes:
with the cheap password hashes the tests' in-process bots use (tests/e2e/conftest.py says
why), and with a process taken for gone after QUICK_BOT_DEAD_AFTER seconds (2 unless
given), beating every half second, rather than the 10 s and 2 s that suit production."""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import main
from services import passwords, processes

passwords.OWASP_MEMORY_KIB = 1024
passwords.OWASP_TIME_COST = 1
dead_after = float(os.environ.get("QUICK_BOT_DEAD_AFTER", "2"))
processes.DEAD_AFTER = timedelta(seconds=dead_after)
processes.BEAT_SECONDS = min(dead_after / 4, 0.5)

if __name__ == "__main__":
    sys.exit(main.main([]))
