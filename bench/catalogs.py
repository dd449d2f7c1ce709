"""python -m bench.catalogs: what SAT's catalogs cost when loaded, each in a fresh process
(load time, RSS added, Python memory kept and at its peak while loading)."""

from __future__ import annotations

import json
import subprocess
import sys

PARTS = {
    "regímenes, estados, municipios": "regimes states _municipalities",
    "postal codes": "_postal_codes",
    "colonias": "_colonias",
    "everything (preload)": "",
}

# Run in a child so that each figure starts from the same, empty process.
PROBE = """
import json, sys, time, tracemalloc
from services.catalogs import SatCatalogs

def rss():
    status = open("/proc/self/status").read()
    return int(status.split("VmRSS:")[1].split()[0]) * 1024

catalogs = SatCatalogs()
names = sys.argv[1].split()
before = rss()
started = time.perf_counter()
catalogs.preload() if not names else [getattr(catalogs, name) for name in names]
seconds = time.perf_counter() - started
after = rss()
catalogs = SatCatalogs()
tracemalloc.start()
catalogs.preload() if not names else [getattr(catalogs, name) for name in names]
kept, peak = tracemalloc.get_traced_memory()
print(json.dumps({"ms": seconds * 1000, "rss_mb": (after - before) / 2**20,
                  "kept_mb": kept / 2**20, "peak_mb": peak / 2**20}))
"""


def measure() -> dict[str, dict[str, float]]:
    figures = {}
    for label, names in PARTS.items():
        out = subprocess.run(
            [sys.executable, "-c", PROBE, names], capture_output=True, text=True, check=True
        )
        figures[label] = json.loads(out.stdout)
    return figures


def main() -> None:
    print(f"{'SAT catalogs':32} {'load ms':>8} {'+RSS MB':>8} {'kept MB':>8} {'peak MB':>8}")
    for label, f in measure().items():
        print(
            f"{label:32} {f['ms']:8.0f} {f['rss_mb']:8.1f} {f['kept_mb']:8.1f} {f['peak_mb']:8.1f}"
        )


if __name__ == "__main__":
    main()
