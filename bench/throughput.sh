#!/usr/bin/env bash
# throughput.sh FILE [more vigil args] - vigil's single-run throughput against `cat` (the ceiling).
#
# Reads FILE once to warm the page cache, then times `cat FILE >/dev/null` and
# `vigil analyze -o TMP [args] FILE` (both read from the page cache), and prints the file size, the
# packet count from vigil's stats event, cat in GB/s, vigil in Gbit/s and packets/s, vigil's peak
# RSS, and vigil as a percentage of cat.
# Env: VIGIL_BIN (default build/vigil), KEEP=1 keeps vigil's output folder.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: $0 FILE [more vigil analyze args]" >&2
  exit 2
fi
file="$1"
shift
vigil="${VIGIL_BIN:-$repo/build/vigil}"
[ -r "$file" ] || { echo "throughput: cannot read $file" >&2; exit 2; }
[ -x "$vigil" ] || { echo "throughput: vigil not found at $vigil (make build, or set VIGIL_BIN)" >&2; exit 2; }

size="$(stat -L -c %s "$file")"
out="$(mktemp -d "${TMPDIR:-/tmp}/vigil-throughput.XXXXXX")"
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "output kept in $out"; else rm -rf "$out"; fi; }
trap cleanup EXIT

# timing: wall clock from `date +%s%N` (ns); peak RSS from /usr/bin/time when it is installed
timed() { # timed RESULTFILE CMD... -> writes "seconds maxrss_kb" to RESULTFILE
  local res="$1" t0 t1 rc=0
  shift
  t0="$(date +%s%N)"
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f "%M" -o "$res.rss" "$@" || rc=$?
  else
    "$@" || rc=$?
    echo 0 >"$res.rss"
  fi
  t1="$(date +%s%N)"
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f", (b - a) / 1e9}') $(tail -n 1 "$res.rss")" >"$res"
  return "$rc"
}

cat "$file" >/dev/null                     # warm-up: both timed reads come from the page cache
timed "$out/cat.time" sh -c 'cat "$1" >/dev/null' sh "$file"
set +e
timed "$out/vigil.time" "$vigil" analyze -o "$out" "$@" "$file" >"$out/stdout" 2>"$out/stderr"
rc=$?
set -e
if [ "$rc" -ne 0 ]; then
  echo "throughput: vigil exited with $rc; stderr:" >&2
  tail -n 20 "$out/stderr" >&2
  exit 1
fi
[ -s "$out/eve.json" ] || { echo "throughput: vigil wrote no eve.json" >&2; exit 1; }

read -r t_cat _ <"$out/cat.time"
read -r t_vigil rss_kb <"$out/vigil.time"
/usr/bin/python3 - "$file" "$size" "$t_cat" "$t_vigil" "$rss_kb" "$out/eve.json" "$*" <<'EOF'
import json, sys
path, size, t_cat, t_vig, rss_kb, eve, extra = sys.argv[1:8]
size, t_cat, t_vig, rss_kb = int(size), float(t_cat), float(t_vig), int(rss_kb)
with open(eve, "rb") as f:            # the stats event is the last line
    f.seek(0, 2)
    end = f.tell()
    f.seek(max(0, end - (1 << 20)))
    last = f.read().splitlines()[-1]
stats = json.loads(last)
if stats.get("event_type") != "stats":
    sys.exit("throughput: the last event of eve.json is not stats")
pkts = stats["stats"]["decoder"]["pkts"]
t_cat, t_vig = max(t_cat, 1e-6), max(t_vig, 1e-6)
print("file:        %s%s" % (path, "  (vigil args: %s)" % extra if extra else ""))
print("size:        %d bytes (%.3f GB)" % (size, size / 1e9))
print("packets:     %d (vigil stats.decoder.pkts), avg %.0f bytes/packet" % (pkts, size / max(pkts, 1)))
print("cat:         %7.3f s  %8.3f GB/s" % (t_cat, size / t_cat / 1e9))
print("vigil:       %7.3f s  %8.3f Gbit/s  %12.0f packets/s  peak RSS %.0f MB" %
      (t_vig, size * 8 / t_vig / 1e9, pkts / t_vig, rss_kb / 1024))
print("vigil/cat:   %.1f %% of cat's throughput" % (100.0 * t_cat / t_vig))
EOF
