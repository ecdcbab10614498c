#!/usr/bin/env bash
# Runs every libFuzzer harness in build-fuzz/ for SECONDS each (default 20), starting from its seeds
# in tests/fuzz/seeds/<name>/ (name = harness name without "fuzz_") and a work corpus kept in
# build-fuzz/corpus/<name>/. Any crash, leak or timeout fails. Prints "fuzz: N passed, N failed".
set -u
cd "$(dirname "$0")/.."
secs=${1:-20}
pass=0; fail=0
shopt -s nullglob
for h in build-fuzz/fuzz_*; do
  [ -x "$h" ] || continue
  name=$(basename "$h"); short=${name#fuzz_}
  work=build-fuzz/corpus/$short; mkdir -p "$work"
  seeds=tests/fuzz/seeds/$short; [ -d "$seeds" ] || seeds=
  log=build-fuzz/$name.log
  if "$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=build-fuzz/ \
       "$work" $seeds >"$log" 2>&1; then
    pass=$((pass + 1))
    echo "fuzz: $name ok ($(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}') runs, ${secs}s)"
  else
    fail=$((fail + 1))
    echo "fuzz: $name FAILED; log: $log"
    grep -E -m 3 -A 15 'ERROR|SUMMARY|deadly signal' "$log" | head -40
  fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
