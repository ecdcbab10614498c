#!/usr/bin/env bash
# workers_sweep.sh DIR... - a longer check than the suite (not in run-all): every capture under
# DIR (pcap/pcapng/trace, < 4 MB) through `vigil analyze --workers 1` and `--workers 2`; the sorted
# EVE lines without `stats`, and the exit codes, must be equal. Prints "DIFF FILE" for each
# difference and "workers sweep: N passed, N failed".
# Env: VIGIL_BIN (default build/vigil), WORKERS (default 2).
set -u
cd "$(dirname "$0")/../.."
vigil=${VIGIL_BIN:-build/vigil}
w=${WORKERS:-2}
[ $# -ge 1 ] || { echo "usage: $0 DIR..." >&2; exit 2; }
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
n=0; bad=0
while IFS= read -r -d '' f; do
  for k in 1 "$w"; do
    timeout 120 "$vigil" analyze -q --no-progress --workers "$k" -o "$t/o$k" "$f" >/dev/null 2>&1
    echo $? >"$t/rc$k"
    grep -v '"event_type":"stats"' "$t/o$k/eve.json" 2>/dev/null | sort >"$t/s$k"
    rm -rf "$t/o$k"
  done
  n=$((n + 1))
  if ! cmp -s "$t/s1" "$t/s$w" || ! cmp -s "$t/rc1" "$t/rc$w"; then
    bad=$((bad + 1)); echo "DIFF $f"
  fi
done < <(find "$@" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.trace' \) -size -4M -print0 | sort -z)
echo "workers sweep: $((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]
