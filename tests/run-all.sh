#!/usr/bin/env bash
# Runs every test suite of vigil and prints one line per suite plus the total as
# "all: N passed, N failed". Suites print their own "<suite>: N passed, N failed" line; a suite that
# dies without printing one counts as one failure.
#   tests/run-all.sh                 everything (needs build/, build-asan/, build-fuzz/)
#   tests/run-all.sh --only unit     unit tests of build/ only
# Environment: VIGIL_CORPUS (default ../shared/corpus), FUZZ_SECONDS (default 20 per harness).
set -u
cd "$(dirname "$0")/.."
only=""
[ "${1:-}" = "--only" ] && only=${2:-}
export VIGIL_CORPUS=${VIGIL_CORPUS:-../shared/corpus}
PY=/usr/bin/python3
total_pass=0; total_fail=0
log=$(mktemp); trap 'rm -f "$log"' EXIT

run_suite() { # run_suite LABEL CMD...
  local label=$1; shift
  local t0=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  local line
  line=$(grep -E '^[A-Za-z0-9_:.() -]*: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  local p=0 f=0
  if [ -n "$line" ]; then
    p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\1/')
    f=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
  fi
  if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
  printf '%-28s %6d passed %4d failed  (%ds)\n' "$label" "$p" "$f" $((SECONDS - t0))
  if [ "$f" -ne 0 ] || [ $rc -ne 0 ]; then
    echo "---- $label output (last 60 lines) ----"; tail -n 60 "$log"; echo "----"
  fi
}

# run_gate LABEL CMD...: a suite judged by its exit status alone (one result), for runners whose own
# "N passed, N failed" line is a rate measured against a threshold they enforce themselves.
run_gate() {
  local label=$1; shift
  local t0=$SECONDS
  "$@" >"$log" 2>&1
  local rc=$?
  local line
  line=$(grep -E ': [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
  if [ $rc -eq 0 ]; then total_pass=$((total_pass + 1)); else total_fail=$((total_fail + 1)); fi
  printf '%-28s %s  (gate: %s, %ds)\n' "$label" "${line:-no summary}" \
    "$([ $rc -eq 0 ] && echo met || echo MISSED)" $((SECONDS - t0))
  if [ $rc -ne 0 ]; then echo "---- $label output (last 40 lines) ----"; tail -n 40 "$log"; echo "----"; fi
}

for kind in build build-asan; do
  [ "$only" = "unit" ] && [ $kind = build-asan ] && continue
  for t in "$kind"/test_*; do
    [ -x "$t" ] || continue
    run_suite "unit $(basename "$t") [$kind]" "$t"
  done
done

if [ "$only" != "unit" ]; then
  run_suite "generator reproducible" bash tests/tools/check_gen_reproducible.sh
  run_suite "pcap cases" env VIGIL_BIN=build/vigil $PY tests/tools/run_pcap_tests.py
  run_suite "pcap cases [asan]" env VIGIL_BIN=build-asan/vigil $PY tests/tools/run_pcap_tests.py
  run_suite "signals (SIGINT/SIGTERM)" bash tests/tools/signal_test.sh build/vigil
  run_suite "live capture (netns)" bash tests/tools/live_netns_test.sh build/vigil
  run_suite "live capture (netns) [asan]" bash tests/tools/live_netns_test.sh build-asan/vigil
  run_suite "live reload under traffic" bash tests/tools/live_reload_test.sh build/vigil
  run_suite "live reload [asan]" bash tests/tools/live_reload_test.sh build-asan/vigil
  run_suite "flows vs tshark" env VIGIL_BIN=build/vigil $PY tests/tools/crosscheck_tshark.py
  run_suite "decode vs tshark" env DECODE_DUMP=build/decode_dump $PY tests/tools/decode_vs_tshark.py
  run_suite "ja3/ja3s/hassh vs tshark" $PY tests/tools/ja3_vs_tshark.py
  run_suite "app fields vs tshark" env VIGIL_BIN=build/vigil $PY tests/tools/app_vs_tshark.py
  run_suite "tls fields vs tshark" env VIGIL_BIN=build/vigil $PY tests/tools/tls_vs_tshark.py
  run_suite "hunt (retro-hunt)" env VIGIL_BIN=build/vigil $PY tests/tools/hunt_test.py
  run_suite "rules load (ET Open etc.)" bash tests/tools/rules_load.sh
  run_suite "report in chromium" env VIGIL_BIN=build/vigil bash tests/tools/report_chromium.sh
  run_suite "redis output" env VIGIL_BIN=build/vigil bash tests/tools/redis_test.sh
  run_suite "eve rotation and split" env VIGIL_BIN=build/vigil bash tests/tools/rotation_test.sh
  run_suite "config" env VIGIL_BIN=build/vigil bash tests/tools/config_test.sh
  run_suite "benign sweep (no tamper)" env VIGIL_BIN=build/vigil $PY tests/tools/benign_sweep.py
  run_suite "workers: N equals 1" env VIGIL_BIN=build/vigil $PY tests/tools/workers_test.py
  run_suite "workers: N equals 1 [asan]" env VIGIL_BIN=build-asan/vigil WORKERS_QUICK=1 $PY tests/tools/workers_test.py
  run_suite "lan vs tshark" env VIGIL_BIN=build/vigil $PY tests/tools/lan_vs_tshark.py
  run_suite "detection eval (lab)" env VIGIL_BIN=build/vigil $PY bench/detection-eval --gate --lab-only
  # Gate at the pass rate reached on the whole selection minus 0.02 (0.939 reached: 641 of 683, with
  # libhtp-compatible HTTP framing and body decoding; with --skip http-evader 0.86).
  run_gate "suricata-verify alerts" env VIGIL_BIN=build/vigil $PY tests/tools/run_suricata_verify.py --min-pass-rate 0.92
  run_suite "corpus sweep [asan]" bash tests/tools/corpus_sweep.sh build-asan/vigil
  run_suite "fuzzers" bash tests/run-fuzzers.sh "${FUZZ_SECONDS:-20}"
fi

echo "all: $total_pass passed, $total_fail failed"
[ $total_fail -eq 0 ]
