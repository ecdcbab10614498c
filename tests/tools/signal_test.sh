#!/usr/bin/env bash
# signal_test.sh - SIGINT/SIGTERM in the middle of a run: vigil stops reading, ends every flow,
# writes the stats event and closes eve.json; exit 0, every line whole and valid JSON, the stats
# event last, and the packets it counted are fewer than the input's (it really was interrupted).
# Input: the corpus bench capture given 40 times (about 800 MB of reading).
set -u
bin=${1:-build/vigil}
corpus=${VIGIL_CORPUS:-../shared/corpus}
f="$corpus/bench/elcabezzonn-lab-mixed-merged.pcap"
if [ ! -r "$f" ]; then echo "signal: SKIP (no corpus)"; echo "signal: 0 passed, 0 failed"; exit 0; fi
pass=0; fail=0
for sig in INT TERM; do
  out=$(mktemp -d)
  args=(); for _ in $(seq 40); do args+=("$f"); done
  "$bin" analyze -q --no-progress -o "$out" "${args[@]}" >/dev/null 2>"$out/stderr" &
  pid=$!
  sleep 0.4
  kill -s "$sig" "$pid"
  wait "$pid"; rc=$?
  if /usr/bin/python3 - "$out/eve.json" "$rc" <<'PY'
import json, sys
path, rc = sys.argv[1], int(sys.argv[2])
lines = open(path, 'rb').read().split(b'\n')
assert lines[-1] == b'', "the file does not end with a newline"
events = [json.loads(l) for l in lines[:-1]]
assert rc == 0, "exit code %d" % rc
assert events and events[-1]['event_type'] == 'stats', "the stats event is not last"
pk = events[-1]['stats']['decoder']['pkts']
assert 0 < pk < 40 * 43087, "packets %d: not interrupted mid-run" % pk
flows = sum(1 for e in events if e['event_type'] == 'flow')
assert flows == events[-1]['stats']['flow']['total'], "flows written %d != created %d" % (
    flows, events[-1]['stats']['flow']['total'])
print("signal: stopped after %d packets: %d events, %d flows, all whole" % (pk, len(events), flows))
PY
  then pass=$((pass + 1)); else fail=$((fail + 1)); echo "signal: SIG$sig FAILED"; cat "$out/stderr"; fi
  rm -rf "$out"
done
echo "signal: $pass passed, $fail failed"
[ $fail -eq 0 ]
