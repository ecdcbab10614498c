#!/usr/bin/env bash
# parsers.sh [FILE] - what the application-layer parsers (HTTP, DNS, TLS, SSH and the others of
# src/app) cost: throughput of the pipeline up to TCP reassembly (`--stop-after stream`: parsers
# off) against the pipeline with the parsers (`--stop-after app`: parsers on, no detection or
# tamper stage after them) and the full run (app + rules/tamper/outputs), with `cat` as the
# ceiling, in one run on the same file. FILE defaults to bench/out/big.pcap (built by
# bench/make-big-pcap.sh); it is read in place (not copied).
#
# The development machine is shared: each row gives wall time and the CPU time vigil used
# (user + sys, from /usr/bin/time), and the script prints the load average before and after.
# CPU time is the figure to compare when the load is not near zero. REPEAT=N (default 1) runs
# each configuration N times and keeps the run with the least CPU time.
# Env: VIGIL_BIN (default build/vigil).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
file="${1:-$repo/bench/out/big.pcap}"
vigil="${VIGIL_BIN:-$repo/build/vigil}"
repeat="${REPEAT:-1}"
[ -r "$file" ] || { echo "parsers.sh: cannot read $file (run bench/make-big-pcap.sh)" >&2; exit 2; }
[ -x "$vigil" ] || { echo "parsers.sh: vigil not found at $vigil (make build)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "parsers.sh: needs /usr/bin/time (Debian package time)" >&2; exit 2; }
out="$(mktemp -d "${TMPDIR:-/tmp}/vigil-parsers.XXXXXX")"; trap 'rm -rf "$out"' EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }
run() { # run LABEL CMD... -> appends "label wall user sys maxrss_kb" to $out/rows (best of $repeat)
  local label="$1" t0 t1 best="" i
  shift
  for ((i = 0; i < repeat; i++)); do
    t0=$(date +%s%N)
    /usr/bin/time -f "%U %S %M" -o "$out/$label.t" "$@"
    t1=$(date +%s%N)
    line="$label $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b - a) / 1e9}') $(tail -n 1 "$out/$label.t")"
    if [ -z "$best" ] || awk -v x="$line" -v y="$best" 'BEGIN{split(x,a," ");split(y,b," ");exit !(a[3]+a[4] < b[3]+b[4])}'; then
      best="$line"
    fi
  done
  echo "$best" >>"$out/rows"
}

load_before="$(load)"
cat "$file" >/dev/null                           # warm the page cache
run cat sh -c 'cat "$1" >/dev/null' sh "$file"
run stream "$vigil" analyze -q --no-progress -o "$out/stream" --stop-after stream "$file"
run app "$vigil" analyze -q --no-progress -o "$out/app" --stop-after app "$file"
run full "$vigil" analyze -q --no-progress -o "$out/full" "$file"
load_after="$(load)"

/usr/bin/python3 - "$file" "$out/rows" "$out/full/eve.json" "$out/app/eve.json" "$load_before" "$load_after" <<'PY'
import json, os, sys
path, rows, eve, eve_app, lb, la = sys.argv[1:]
size = os.path.getsize(path)
def last_stats(p):
    with open(p, 'rb') as f:
        f.seek(max(0, os.path.getsize(p) - (1 << 20)))
        return json.loads(f.read().splitlines()[-1])
stats = last_stats(eve)
pk = stats['stats']['decoder']['pkts']
r = {}
for line in open(rows):
    lab, wall, usr, sys_, rss = line.split()
    r[lab] = (float(wall), float(usr), float(sys_), int(rss))
names = {"cat": "cat", "stream": "parsers off (--stop-after stream)",
         "app": "parsers on (--stop-after app)", "full": "full run (app + detect + tamper)"}
print("file: %s (%.3f GB, %d packets); load average before %s, after %s (nproc %d)"
      % (path, size / 1e9, pk, lb, la, os.cpu_count()))
print("%-34s %8s %8s %8s %10s %12s %8s" % ("", "wall s", "user s", "sys s", "Gbit/s cpu",
                                            "packets/s cpu", "RSS MB"))
for lab in ("cat", "stream", "app", "full"):
    wall, usr, sys_, rss = r[lab]
    cpu = max(usr + sys_, 1e-3)
    print("%-34s %8.3f %8.3f %8.3f %10.2f %12.0f %8.0f" %
          (names[lab], wall, usr, sys_, size * 8 / cpu / 1e9, pk / cpu, rss / 1024))
cpu = {k: v[1] + v[2] for k, v in r.items()}
print("parsers' cost: app/stream CPU time %.2fx (%+.3f s CPU, %+.1f %%); wall %.2fx"
      % (cpu["app"] / cpu["stream"], cpu["app"] - cpu["stream"],
         100 * (cpu["app"] - cpu["stream"]) / cpu["stream"], r["app"][0] / r["stream"][0]))
print("full/app CPU time %.2fx; full/stream %.2fx" % (cpu["full"] / cpu["app"],
                                                     cpu["full"] / cpu["stream"]))
a = last_stats(eve_app)
ev = a.get('vigil', {}).get('stats', {}).get('app_layer', {})
if ev:
    print("app layer (parsers-on run, vigil.stats.app_layer): %s" % ", ".join(
        "%s %d" % (k, v) for k, v in ev.items()))
PY
