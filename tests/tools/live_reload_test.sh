#!/usr/bin/env bash
# live_reload_test.sh [VIGIL] - reload under traffic. `vigil run` captures on a veth pair between
# two namespaces this test makes (tests/tools/live_lib.sh) while four rounds of the corpus
# captures (each round rewritten into its own part of 127.0.0.0/8, so rounds never share a flow)
# are replayed, and SIGHUP arrives every 0.2 s; in the middle the rule file is swapped for a broken
# one (a rule without its closing parenthesis) and back. Then the indicator file gains the server
# address of one more capture (its own range), SIGHUP, and that capture is replayed. Checks:
#   * no crash; SIGTERM gives exit 0 with every flow flushed (flow events = flows created);
#   * no lost or extra alert: the alerts equal those of `vigil analyze` of every replayed capture
#     (the first rounds with the first indicator file, the last capture with the new one: the
#     indicator alert proves the reload took effect);
#   * the broken file was refused with file:line and why on stderr, and reload_failures >= 1,
#     reloads >= 1 in the stats event;
#   * each SIGUSR1 gives a stats event now (stats-interval is off).
set -u
here=$(cd "$(dirname "$0")" && pwd)
LIVE_BIN=$(realpath "${1:-build/vigil}")
. "$here/live_lib.sh"
PY=/usr/bin/python3
live_test_begin "live reload"

R=$LIVE_TMP/rules.rules; I=$LIVE_TMP/ioc.txt
cp "$here/live.rules" "$R"
echo "example.invalid" >"$I"
rw=(); refs=()
for round in 1 2 3 4; do
  for c in "${caps[@]}"; do
    b=r$round-$(basename "$c" .pcap)
    tcprewrite --pnat="0.0.0.0/0:127.$((10 + round)).0.0/16,[::]/0:[fd0$round::]/16" -i "$c" \
      -o "$LIVE_TMP/$b.pcap" 2>/dev/null || ko "tcprewrite $b"
    rw+=("$LIVE_TMP/$b.pcap")
    "$LIVE_BIN" analyze -q --no-progress --no-rules-cache --rules "$R" --ioc "$I" \
      -o "$LIVE_TMP/ref-$b" "$LIVE_TMP/$b.pcap" >/dev/null 2>&1 || ko "analyze $b"
    refs+=("$LIVE_TMP/ref-$b/eve.json")
  done
done
last_cap="$corpus/foxit-quantuminsert/pcaps/qi_local_SYNACK_curl_jsonip.pcap"
tcprewrite --pnat="0.0.0.0/0:127.20.0.0/16" -i "$last_cap" -o "$LIVE_TMP/r5.pcap" 2>/dev/null
echo "127.20.98.124" >"$LIVE_TMP/ioc2.txt" # the jsonip server of the last capture only
"$LIVE_BIN" analyze -q --no-progress --no-rules-cache --rules "$R" --ioc "$LIVE_TMP/ioc2.txt" \
  -o "$LIVE_TMP/ref-r5" "$LIVE_TMP/r5.pcap" >/dev/null 2>&1
refs+=("$LIVE_TMP/ref-r5/eve.json")

out=$LIVE_TMP/run
if ! live_start "$out" --no-rules-cache --rules "$R" --ioc "$I" --stats-interval 0 --workers 1; then
  ko "start" "$out/stderr"
  echo "$label: $pass passed, $fail failed"; exit 1
fi
live_replay 4000 "${rw[@]}" &
rp=$!
hups=0; usr1=0; i=0
while kill -0 $rp 2>/dev/null; do
  i=$((i + 1))
  [ $i -eq 4 ] && { cp "$here/live.rules" "$R.new"
    echo 'alert tcp any any -> any any (msg:"broken"; content:"x"; sid:9100099; rev:1' >>"$R.new"
    mv "$R.new" "$R"; }
  [ $i -eq 8 ] && { cp "$here/live.rules" "$R.new"; mv "$R.new" "$R"; }
  kill -HUP "$LIVE_PID" && hups=$((hups + 1))
  if [ $((i % 3)) -eq 0 ]; then sleep 0.1; kill -USR1 "$LIVE_PID" && usr1=$((usr1 + 1)); fi
  sleep 0.2
done
wait $rp || ko "tcprewrite replay"
[ $i -ge 8 ] || ko "the replay ended after $i SIGHUPs: too fast for the broken-file swap"
# the indicator file changes: one more reload, then the last capture
mv "$LIVE_TMP/ioc2.txt" "$I"
before=$(grep -c "ready in" "$out/stderr")
kill -HUP "$LIVE_PID"; hups=$((hups + 1))
for _ in $(seq 100); do [ "$(grep -c "ready in" "$out/stderr")" -gt "$before" ] && break; sleep 0.05; done
sleep 0.3 # the worker switches at its next poll (100 ms)
live_replay 2000 "$LIVE_TMP/r5.pcap"
kill -0 "$LIVE_PID" 2>/dev/null && ok "alive after $hups SIGHUPs and $usr1 SIGUSR1s during replay" \
  || ko "vigil died during the replay" "$out/stderr"
live_stop TERM
[ "$LIVE_RC" -eq 0 ] && ok "SIGTERM: exit 0" || ko "SIGTERM: exit $LIVE_RC" "$out/stderr"
grep -q "not freed" "$out/stderr" && ko "rule generations leaked" "$out/stderr"
if $PY "$here/live_compare.py" "$out/eve.json" "${refs[@]}" --workers 1 --min-stats $((usr1 + 1)) \
     >"$out/compare" 2>&1; then
  ok "no lost event: $(grep -m1 '^alerts' "$out/compare"); $usr1 SIGUSR1 -> stats events"
else
  ko "alerts/stats vs analyze" "$out/compare"
fi
if grep -q "rules.rules:8: .*missing ')'" "$out/stderr" && grep -q "running rules and indicators stay" "$out/stderr"; then
  ok "broken rule file refused with file:line and why"
else
  ko "broken rule file not reported" "$out/stderr"
fi
if $PY - "$out/eve.json" <<'PY'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
c = ev[-1]["vigil"]["stats"]["capture"]
ioc = [e for e in ev if e["event_type"] == "alert" and "ioc" in e]
assert c["reloads"] >= 2 and c["reload_failures"] >= 1, c
assert c["rules_generation"] == c["reloads"], c
assert ioc and ioc[0]["src_ip"].startswith("127.20."), "no indicator alert after the reload"
print("reloads %d, refused %d, generation %d, indicator alerts %d" %
      (c["reloads"], c["reload_failures"], c["rules_generation"], len(ioc)))
PY
then ok "stats: reload counters; the new indicator alerted"; else ko "reload counters / indicator"; fi
echo "$label: $pass passed, $fail failed"
[ $fail -eq 0 ]
