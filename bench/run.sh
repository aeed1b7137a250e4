#!/usr/bin/env bash
# Every benchmark of issue 7, against the whole server (in-process, free port, embedded
# PostgreSQL) or the engine alone: durable ingest (batched, 64 single-event clients, each
# beside a plain Vert.x insert baseline), engine events/s per threshold idiom and on two
# tenant threads, accepted -> webhook latency at 500 and 2,000 events/s, hot reload of 100
# rules under load, heap with 100,000 events in open windows. Each measure is the median
# of 3 runs. Prints the machine line and one BENCH line per measure, and keeps them in
# target/bench/results.txt. Takes 10 to 20 minutes on 2 cores. Run from anywhere; extra
# arguments go to Maven (e.g. -o for offline, -Dit.test=EngineBenchIT for one benchmark).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f target/bench/results.txt
mkdir -p target/bench
echo "load before: $(cat /proc/loadavg 2>/dev/null || uptime)" | tee target/bench/load.txt
status=0
mvn -B -q verify -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false '-Dit.test=*BenchIT' \
  -Dtest.excludedGroups=soak "$@" > target/bench/maven.log 2>&1 || status=$?
echo "load after: $(cat /proc/loadavg 2>/dev/null || uptime)" | tee -a target/bench/load.txt
cat target/bench/load.txt >> target/bench/results.txt
echo "----- results (target/bench/results.txt) -----"
grep -v "^load" target/bench/results.txt || true
if [ "$status" -ne 0 ]; then
  echo "a benchmark failed (exit $status); see target/bench/maven.log and target/failsafe-reports" >&2
fi
exit "$status"
