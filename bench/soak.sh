#!/usr/bin/env bash
# soak.sh [DURATION_S=3600] [SAMPLE_S=10] [PPS=5000] [HUP_S=300] - the live sensor over a long replay loop:
# does its memory stay flat? Makes two private network namespaces joined by a veth pair (as the
# live tests do, tests/tools/live_lib.sh; nothing leaves them), rewrites the corpus bench capture
# and the QUANTUM INSERT / HoneyBadger captures into 127.0.0.0/8 and fd00::/8, starts
# `vigil run --workers 2` with tests/tools/live.rules on the receiving end and replays the
# captures in a loop with tcpreplay at PPS packets/s for DURATION_S seconds, sending SIGHUP every
# HUP_S seconds (a reload each time). vigil's RSS (VmRSS) is sampled every SAMPLE_S seconds into soak-rss.csv
# (seconds,rss_kib; in $SOAK_OUT or a new /tmp/vigil-soak.* folder, kept). At the end: min/max RSS, the least-squares
# slope (KiB per hour) over the second half of the run (after warm-up: flow tables and pools
# grow to their working size first), packets, kernel drops, and vigil's exit code after SIGTERM.
# Not part of CI (an hour); figures go in the closing notes.
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
dur=${1:-3600}; sample=${2:-10}; pps=${3:-5000}; hup=${4:-300}
LIVE_BIN=$(realpath "${VIGIL_BIN:-$repo/build/vigil}")
corpus=${VIGIL_CORPUS:-$repo/../shared/corpus}
. "$repo/tests/tools/live_lib.sh"
label=soak
live_setup "$label"
out=${SOAK_OUT:-$(mktemp -d /tmp/vigil-soak.XXXXXX)}
mkdir -p "$out"
rw=()
for c in "$corpus"/bench/elcabezzonn-lab-mixed-merged.pcap "$corpus"/foxit-quantuminsert/pcaps/*.pcap \
         "$corpus"/honeybadger-pcap-files/*.pcap; do
  [ -r "$c" ] || continue
  live_rewrite "$c" "$LIVE_TMP/$(basename "$c")" && rw+=("$LIVE_TMP/$(basename "$c")")
done
[ ${#rw[@]} -gt 0 ] || { echo "soak: no capture"; exit 1; }
live_start "$LIVE_TMP/run" --workers 2 --rules "$repo/tests/tools/live.rules" --stats-interval 60 \
  --eve-types flow,anomaly --eve-rotate-size 200M || exit 1
( while [ ! -e "$LIVE_TMP/stop" ]; do
    for f in "${rw[@]}"; do [ -e "$LIVE_TMP/stop" ] || live_replay "$pps" "$f" || sleep 1; done
  done ) &
loop=$!
csv=$out/soak-rss.csv
echo "seconds,rss_kib" >"$csv"
t0=$SECONDS; next_hup=$hup
while [ $((SECONDS - t0)) -lt "$dur" ]; do
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$LIVE_PID/status" 2>/dev/null) || break
  [ -n "$rss" ] || { echo "soak: vigil is gone"; break; }
  echo "$((SECONDS - t0)),$rss" >>"$csv"
  if [ $((SECONDS - t0)) -ge $next_hup ]; then kill -HUP "$LIVE_PID"; next_hup=$((next_hup + hup)); fi
  sleep "$sample"
done
touch "$LIVE_TMP/stop"; wait "$loop" 2>/dev/null # the replay in progress ends with its file
live_stop TERM
echo "soak: vigil exit code $LIVE_RC after SIGTERM"
/usr/bin/python3 - "$csv" "$LIVE_TMP/run" <<'PY'
import csv, glob, json, sys
rows = [(int(r["seconds"]), int(r["rss_kib"])) for r in csv.DictReader(open(sys.argv[1]))]
if len(rows) < 4:
    sys.exit("soak: too few samples")
rss = [r for _, r in rows]
half = rows[len(rows) // 2:]
n = len(half)
mx = sum(t for t, _ in half) / n
my = sum(r for _, r in half) / n
den = sum((t - mx) ** 2 for t, _ in half) or 1
slope = sum((t - mx) * (r - my) for t, r in half) / den * 3600
print("soak: %d samples over %d s; RSS min %.1f MiB, max %.1f MiB, first %.1f, last %.1f MiB" %
      (len(rows), rows[-1][0], min(rss) / 1024, max(rss) / 1024, rss[0] / 1024, rss[-1] / 1024))
print("soak: slope over the second half %+.1f KiB/hour (%+.2f %% of the mean per hour)" %
      (slope, 100 * slope / my if my else 0))
last = {}
def age(path):  # rotated eve.json.<n> oldest first (n counts up), the live eve.json last
    tail = path.rsplit("eve.json", 1)[1].lstrip(".")
    return int(tail) if tail.isdigit() else 1 << 62
for path in sorted(glob.glob(sys.argv[2] + "/eve.json*"), key=age):
    for line in open(path, errors="replace"):
        if '"event_type":"stats"' in line:
            e = json.loads(line)
            last[e["vigil"]["stats"]["capture"]["worker"]] = e
pk = sum(e["stats"]["decoder"]["pkts"] for e in last.values())
kp = sum(e["stats"]["capture"]["kernel_packets"] for e in last.values())
kd = sum(e["stats"]["capture"]["kernel_drops"] for e in last.values())
fl = sum(e["stats"]["flow"]["total"] for e in last.values())
rl = max((e["vigil"]["stats"]["capture"]["reloads"] for e in last.values()), default=0)
print("soak: packets %d, kernel_packets %d, kernel_drops %d (%.3f %%), flows %d, reloads %d" %
      (pk, kp, kd, 100.0 * kd / kp if kp else 0, fl, rl))
PY
echo "soak: samples in $csv"
