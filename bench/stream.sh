#!/usr/bin/env bash
# stream.sh [FILE] - what TCP reassembly and injection-race comparison cost: throughput of the
# Foundation pipeline alone (`--stop-after flow`) against the pipeline with stream reassembly
# (`--stop-after stream`) and with the tamper detectors (full run), in one run on the same file, and
# the memory the stream module held: its peak bytes, divided by the most flows tracked at once.
# FILE defaults to bench/out/big.pcap (built by bench/make-big-pcap.sh).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
file="${1:-$repo/bench/out/big.pcap}"
vigil="${VIGIL_BIN:-$repo/build/vigil}"
[ -r "$file" ] || { echo "stream.sh: cannot read $file (run bench/make-big-pcap.sh)" >&2; exit 2; }
out="$(mktemp -d)"; trap 'rm -rf "$out"' EXIT
cat "$file" >/dev/null
run() { # run LABEL ARGS... -> prints seconds
  local t0 t1
  t0=$(date +%s%N)
  "$vigil" analyze -q --no-progress -o "$out/$1" "${@:2}" "$file"
  t1=$(date +%s%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b - a) / 1e9}'
}
t_cat0=$(date +%s%N); cat "$file" >/dev/null; t_cat1=$(date +%s%N)
t_cat=$(awk -v a="$t_cat0" -v b="$t_cat1" 'BEGIN{printf "%.3f", (b - a) / 1e9}')
t_flow=$(run flow --stop-after flow)
t_stream=$(run stream --stop-after stream)
t_full=$(run full)
/usr/bin/python3 - "$file" "$t_cat" "$t_flow" "$t_stream" "$t_full" "$out/full/eve.json" <<'PY'
import json, os, sys
path, t_cat, t_flow, t_stream, t_full, eve = sys.argv[1:]
size = os.path.getsize(path)
with open(eve, 'rb') as f:
    f.seek(max(0, os.path.getsize(eve) - (1 << 20)))
    stats = json.loads(f.read().splitlines()[-1])
v = stats['vigil']['stats']
pk = stats['stats']['decoder']['pkts']
def row(name, t):
    t = float(t)
    print("%-28s %7.3f s  %6.2f Gbit/s  %9.0f packets/s  %5.1f %% of cat" %
          (name, t, size * 8 / t / 1e9, pk / t, 100 * float(t_cat) / t))
print("file: %s (%.3f GB, %d packets)" % (path, size / 1e9, pk))
row("cat", t_cat)
row("decode+flow", t_flow)
row("+ stream reassembly", t_stream)
row("+ app + tamper (full)", t_full)
print("stream/flow time ratio: %.2f; full/flow: %.2f" % (float(t_stream) / float(t_flow),
                                                        float(t_full) / float(t_flow)))
mem, flows = v['stream']['memuse_max'], v['flows_active_max']
print("stream memory: peak %.1f MB over at most %d flows at once = %.0f bytes per tracked flow"
      % (mem / 1e6, flows, mem / max(flows, 1)))
print("tcp sessions: %d, alerts in the full run: %s" % (
    stats['stats']['tcp']['sessions'], v.get('tamper', {}).get('findings', {})))
PY
