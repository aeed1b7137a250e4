#!/usr/bin/env bash
# Hot reload of 100 rules under a steady event stream, against the whole server with its
# embedded PostgreSQL. Prints one RELOAD BENCH line: change (validate + compile + swap)
# and swap medians, events sent, lost and duplicated. Run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=ReloadBenchIT \
  -Dtest.excludedGroups=soak 2>&1 | grep -E "RELOAD BENCH|^BENCH"
