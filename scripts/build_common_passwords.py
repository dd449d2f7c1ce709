"""Regenerate services/data/common-passwords.txt.gz: the 10,000 most common passwords.

Source: the ranked password list that zxcvbn ships (zxcvbn.frequency_lists, "passwords",
built from real leaked-password corpora). Only its first 10,000 entries are kept, so the
bot does not load zxcvbn's other word lists (about 30 MB) at run time. Run:

    pip install zxcvbn==4.5.0
    python scripts/build_common_passwords.py
"""

from __future__ import annotations

import gzip
from pathlib import Path

from zxcvbn.frequency_lists import FREQUENCY_LISTS

OUT = Path(__file__).resolve().parents[1] / "services" / "data" / "common-passwords.txt.gz"
COUNT = 10_000


def main() -> None:
    passwords = FREQUENCY_LISTS["passwords"][:COUNT]
    with gzip.open(OUT, "wt", encoding="utf-8", compresslevel=9) as file:
        file.write("\n".join(passwords) + "\n")
    print(f"wrote {len(passwords)} passwords to {OUT}")


if __name__ == "__main__":
    main()
