#!/usr/bin/env bash
# Mutation testing of services/ by hand (not in CI); see tests/README.md.
# Mutates services/ only, judged by tests/services/ on SQLite, one mutant at a time;
# the configuration is [tool.mutmut] in pyproject.toml. All of services/ (4,206 mutants):
# about 1.5 h on 2 shared, busy cores; reset, email_change and codes alone: about 35 min.
# Usage: scripts/mutation.sh [--summary-only] [summary-file [mutant-patterns...]]
#   e.g. scripts/mutation.sh out.txt 'services.reset.*' 'services.codes.*' (those only);
#   mutmut's working copy stays in mutants/; --summary-only reprints the last summary.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

summary_only=0
[[ ${1:-} == --summary-only ]] && { summary_only=1; shift; }
out=${1:-/dev/null}
(( $# )) && shift

# mutmut 3 in the project's venv, if missing.
"$PY" -m pip show mutmut >/dev/null 2>&1 || "$PY" -m pip install -q 'mutmut>=3,<4'

# SQLite only: PostgreSQL at a closed port, so its cases skip (REQUIRE_POSTGRES unset).
export TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:1/none
unset REQUIRE_POSTGRES

# A fresh copy each time, so the figures are of this tree and not of a cached run.
if (( ! summary_only )); then
  rm -rf mutants
  start=$(date +%s)
  .venv/bin/mutmut run --max-children 1 "$@"
  echo "took $(( ($(date +%s) - start) / 60 )) min"
fi
.venv/bin/mutmut export-cicd-stats >/dev/null

{
  echo "mutmut $(.venv/bin/mutmut --version | awk '{print $NF}'), commit" \
    "$(git rev-parse --short HEAD), $(date -u +%F)"
  cat mutants/mutmut-cicd-stats.json; echo
  # Per module, counted as `mutmut results` counts (mutmut.stats).
  "$PY" - <<'PY'
from pathlib import Path

from mutmut.mutation.data import SourceFileMutationData
from mutmut.stats import collect_stat

print(f"{'module':28} killed/total  survived timeout no_tests suspicious not_checked")
for meta in sorted(Path("mutants/services").glob("*.py.meta")):
    m = SourceFileMutationData(path=meta.relative_to("mutants").with_suffix(""))
    m.load()
    s = collect_stat(m)
    print(f"{m.path!s:28} {s.killed:5}/{s.total:<6} {s.survived:8} {s.timeout:7}"
          f" {s.no_tests:8} {s.suspicious:10} {s.not_checked:11}")
PY
  echo "Mutants not killed (mutmut show NAME prints one's diff):"
  .venv/bin/mutmut results
} | tee "$out"
