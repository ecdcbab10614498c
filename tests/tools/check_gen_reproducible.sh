#!/usr/bin/env bash
# check_gen_reproducible.sh - the committed crafted captures must be exactly what the generators
# (tests/gen/gen_foundation.py, tests/gen/gen_tamper.py, tests/gen/gen_app_races.py,
# tests/gen/gen_beacons.py, tests/gen/gen_inpath_cases.py, tests/gen/gen_lab_lan.py) write today.
#
# Regenerates every case and the demo sample into a temporary folder and `cmp`s each file with
# the committed copy under tests/pcap/ and tests/sample/. Exit 0 when all are identical, 1 on any
# difference or missing file (printing each), 2 when the generator itself fails.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
py="${PYTHON:-/usr/bin/python3}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/vigil-gen-check.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

# Run twice into two folders: a generator that is not deterministic within one machine is caught
# even before the committed files are looked at.
for run in a b; do
  if ! "$py" "$repo/tests/gen/gen_foundation.py" --pcap-dir "$tmp/$run/pcap" \
      --sample-dir "$tmp/$run/sample" >/dev/null ||
     ! "$py" "$repo/tests/gen/gen_tamper.py" --pcap-dir "$tmp/$run/pcap" >/dev/null ||
     ! "$py" "$repo/tests/gen/gen_app_races.py" --pcap-dir "$tmp/$run/pcap" >/dev/null ||
     ! "$py" "$repo/tests/gen/gen_beacons.py" --pcap-dir "$tmp/$run/pcap" >/dev/null ||
     ! "$py" "$repo/tests/gen/gen_inpath_cases.py" --pcap-dir "$tmp/$run/pcap" >/dev/null ||
     ! "$py" "$repo/tests/gen/gen_lab_lan.py" --pcap-dir "$tmp/$run/pcap" >/dev/null; then
    echo "check_gen_reproducible: the generator failed" >&2
    exit 2
  fi
done

status=0
if ! diff -r -q "$tmp/a" "$tmp/b" >/dev/null; then
  echo "check_gen_reproducible: two runs of the generator differ:"
  diff -r -q "$tmp/a" "$tmp/b" || true
  status=1
fi

n=0
while IFS= read -r -d '' f; do
  rel="${f#"$tmp/a/"}"            # pcap/<case>/<file> or sample/<file>
  committed="$repo/tests/$rel"
  n=$((n + 1))
  if [ ! -e "$committed" ]; then
    echo "missing: tests/$rel (regenerate: $py tests/gen/gen_foundation.py)"
    status=1
  elif ! cmp -s "$f" "$committed"; then
    echo "differs: tests/$rel ($(cmp "$f" "$committed" 2>&1 | head -1))"
    status=1
  fi
done < <(find "$tmp/a" -type f -print0 | sort -z)

if [ "$status" -eq 0 ]; then
  echo "check_gen_reproducible: $n files identical"
  echo "gen: $n passed, 0 failed"
else
  echo "check_gen_reproducible: FAILED (regenerate with: $py tests/gen/gen_foundation.py)"
  echo "gen: 0 passed, 1 failed"
fi
exit "$status"
