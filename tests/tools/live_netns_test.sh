#!/usr/bin/env bash
# live_netns_test.sh [VIGIL] - `vigil run` on a veth pair between two private network namespaces
# that this test makes (tests/tools/live_lib.sh): corpus captures (Fox-IT QUANTUM INSERT,
# HoneyBadger) are rewritten into 127.0.0.0/8 and fd00::/8, replayed with tcpreplay at a moderate
# rate, and the alerts (tamper findings and tests/tools/live.rules) must equal those of
# `vigil analyze` on the rewritten captures, with no kernel drop. Runs: afpacket with 1 worker
# (dropping privileges to nobody), afpacket with 2 workers, pcap; then `vigil run -c FILE` with a
# configuration (HOME_NET, a rule file relative to it, workers, stats-interval, the interface,
# capture.user nobody)
# whose alerts must equal `vigil analyze -c` on the same captures, with --evidence files for every
# alerting flow, and a SIGHUP that re-reads the file (a broken one is refused with file:line:col, a
# new HOME_NET takes effect); the eve-log Redis output from a configuration with 2 workers (the
# stream must hold eve.json exactly; needs redis-server); then a BPF filter that keeps nothing of this TCP-only traffic (no
# packet reaches vigil), and bad flags/interface/user.
set -u
here=$(cd "$(dirname "$0")" && pwd)
LIVE_BIN=$(realpath "${1:-build/vigil}")
. "$here/live_lib.sh"
PY=/usr/bin/python3
live_test_begin "live netns"

# the rewritten captures and the reference: one `vigil analyze` per capture
rw=(); refs=()
for c in "${caps[@]}"; do
  b=$(basename "$c" .pcap)
  live_rewrite "$c" "$LIVE_TMP/$b.pcap" || { ko "tcprewrite $b"; continue; }
  rw+=("$LIVE_TMP/$b.pcap")
  "$LIVE_BIN" analyze -q --no-progress --no-rules-cache --rules "$here/live.rules" \
    -o "$LIVE_TMP/ref-$b" "$LIVE_TMP/$b.pcap" >/dev/null 2>&1 || ko "analyze $b"
  refs+=("$LIVE_TMP/ref-$b/eve.json")
done

run_case() { # run_case NAME WORKERS ARGS...
  local name=$1 workers=$2; shift 2
  local out="$LIVE_TMP/run-$name"
  if ! live_start "$out" --no-rules-cache --rules "$here/live.rules" --stats-interval 1 "$@"; then
    ko "$name: start" "$out/stderr"; return
  fi
  local t0=$SECONDS
  case " $* " in *" --user nobody "*)
    local uids; uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$LIVE_PID/status")
    [ "$uids" = "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)" ] \
      && ok "$name: runs as nobody (uid $(id -u nobody)) once capturing" || ko "$name: uids $uids";;
  esac
  live_replay 2000 "${rw[@]}" || ko "$name: tcpreplay"
  sleep 1 # at least one periodic stats event after the replay
  live_stop TERM
  if [ "$LIVE_RC" -ne 0 ]; then ko "$name: exit code $LIVE_RC" "$out/stderr"; return; fi
  if $PY "$here/live_compare.py" "$out/eve.json" "${refs[@]}" --workers "$workers" --min-stats 2 \
       >"$out/compare" 2>&1; then
    ok "$name ($(grep -m1 "^alerts" "$out/compare"); $((SECONDS - t0)) s)"
  else
    ko "$name" "$out/compare"
  fi
}

run_case "afpacket, 1 worker, --user nobody" 1 --capture afpacket --workers 1 --user nobody
run_case "afpacket, 2 workers" 2 --capture afpacket --workers 2
run_case "pcap" 1 --capture pcap

# ---- vigil run -c: the configuration file, --evidence, SIGHUP re-reading the file ----
# HOME_NET is the jsonip server (its address after the rewrite into 127.0.0.0/8): the rules only
# alert towards $HOME_NET, so only sid 9100004 of live.rules can fire until HOME_NET changes.
C=$LIVE_TMP/conf; mkdir -p "$C/rules"
chmod 755 "$LIVE_TMP" # the user of capture.user writes the evidence files and re-reads the file
sed 's/any any -> any any/any any -> $HOME_NET any/' "$here/live.rules" >"$C/rules/home.rules"
write_conf() { # write_conf HOME_NET
  cat >"$C/vigil.yaml" <<CONF
vars:
  address-groups:
    HOME_NET: "$1"
    EXTERNAL_NET: "any"
default-rule-path: rules
rule-files:
  - home.rules
rule-cache:
  enabled: no
workers: 2
stats-interval: 1
capture:
  interfaces: [vrx]
  method: afpacket
  snaplen: 65535
  promisc: yes
  user: nobody
CONF
}
write_conf "[127.126.98.124]"
cp "$C/vigil.yaml" "$LIVE_TMP/conf1.yaml"
crefs=()
for f in "${rw[@]}"; do
  b=$(basename "$f" .pcap)
  "$LIVE_BIN" analyze -q --no-progress -c "$C/vigil.yaml" -o "$LIVE_TMP/cref-$b" "$f" >/dev/null 2>&1 \
    || ko "analyze -c $b"
  crefs+=("$LIVE_TMP/cref-$b/eve.json")
done
# after the reload: HOME_NET is all of 127.0.0.0/8, and the putty capture (in its own range)
# alerts on the download and the 7-zip host, which it could not before
putty="$corpus/foxit-quantuminsert/pcaps/qi_local_SYNACK_putty_dl.pcap"
tcprewrite --pnat="0.0.0.0/0:127.30.0.0/16" -i "$putty" -o "$LIVE_TMP/putty30.pcap" 2>/dev/null
write_conf "[127.0.0.0/8]"
cp "$C/vigil.yaml" "$LIVE_TMP/conf2.yaml"
"$LIVE_BIN" analyze -q --no-progress -c "$C/vigil.yaml" -o "$LIVE_TMP/cref-putty30" \
  "$LIVE_TMP/putty30.pcap" >/dev/null 2>&1 || ko "analyze -c putty30"
cp "$LIVE_TMP/conf1.yaml" "$C/vigil.yaml"
out="$LIVE_TMP/run-config"
t0=$SECONDS
if LIVE_NO_IFACE=1 live_start "$out" -c "$C/vigil.yaml" --evidence; then
  grep -q "capturing on vrx (afpacket, 2 workers), running as nobody" "$out/stderr" \
    && ok "-c: interface, workers and user from the file" || ko "-c: capture line" "$out/stderr"
  live_replay 2000 "${rw[@]}" || ko "-c: tcpreplay"
  sleep 0.5
  # a broken file: refused with file:line:col, the running set stays
  cp "$LIVE_TMP/conf1.yaml" "$C/vigil.yaml"; printf 'flow:\n  memcap: lots\n' >>"$C/vigil.yaml"
  kill -HUP "$LIVE_PID"
  for _ in $(seq 100); do grep -q "running rules and indicators stay" "$out/stderr" && break; sleep 0.05; done
  if grep -q "vigil.yaml:19:11: memcap" "$out/stderr" && grep -q "running rules and indicators stay" "$out/stderr"
  then ok "SIGHUP: a broken configuration is refused with file:line:col"
  else ko "SIGHUP: broken configuration not reported" "$out/stderr"; fi
  # the new HOME_NET
  cp "$LIVE_TMP/conf2.yaml" "$C/vigil.yaml"
  kill -HUP "$LIVE_PID"
  for _ in $(seq 100); do grep -q "ready in" "$out/stderr" && break; sleep 0.05; done
  sleep 0.3 # the workers switch at their next poll (100 ms)
  live_replay 2000 "$LIVE_TMP/putty30.pcap" || ko "-c: tcpreplay putty30"
  sleep 1
  live_stop TERM
  if [ "$LIVE_RC" -ne 0 ]; then ko "-c: exit code $LIVE_RC" "$out/stderr"
  elif $PY "$here/live_compare.py" "$out/eve.json" "${crefs[@]}" "$LIVE_TMP/cref-putty30/eve.json" \
         --workers 2 --min-stats 2 >"$out/compare" 2>&1; then
    ok "run -c = analyze -c, before and after the reload ($(grep -m1 "^alerts" "$out/compare"); $((SECONDS - t0)) s)"
  else
    ko "run -c vs analyze -c" "$out/compare"
  fi
  # the rules saw the variables: only jsonip before the reload, putty/7-zip (127.30/16) after
  if $PY - "$out/eve.json" <<'PY'
import collections, json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
sids = collections.Counter((e["alert"]["signature_id"], e["dest_ip"].startswith("127.30."))
                           for e in ev if e["event_type"] == "alert" and e["alert"]["signature_id"] > 9100000)
assert sids[(9100004, False)] >= 2, sids
assert sids[(9100001, True)] >= 1 and sids[(9100002, True)] >= 1, sids
assert not [k for k in sids if k[0] != 9100004 and not k[1]], sids
print(dict(sids))
PY
  then ok "HOME_NET from the file (and from the reloaded file) decides which flows alert"
  else ko "HOME_NET not applied"; fi
  # --evidence: every alert names its pcap, which is there, whole, and holds the packets it cites
  if $PY - "$out" <<'PY'
import json, os, struct, sys
out = sys.argv[1]
ev = [json.loads(l) for l in open(os.path.join(out, "eve.json"))]
alerts = [e for e in ev if e["event_type"] == "alert"]
assert alerts
files = set()
for e in alerts:
    x = e.get("evidence")
    assert x and x.get("pcap"), "alert without evidence: %s" % e["alert"]["signature_id"]
    p = os.path.join(out, x["pcap"])
    data = open(p, "rb").read()
    assert data[:4] == b"\x4d\x3c\xb2\xa1", "%s: not a nanosecond pcap" % p
    n, off = 0, 24
    while off + 16 <= len(data):
        incl = struct.unpack_from("<I", data, off + 8)[0]
        off += 16 + incl
        n += 1
    assert off == len(data) and n >= 1, "%s: cut or empty" % p
    assert all(1 <= k <= n for k in x.get("packets", [])), (p, x, n)
    assert str(e["flow_id"]) in x["pcap"], (e["flow_id"], x["pcap"])
    files.add(p)
print("%d alerts, %d evidence files" % (len(alerts), len(files)))
PY
  then ok "--evidence: a whole pcap for every alerting flow"
  else ko "--evidence files"; fi
else
  ko "-c: start" "$out/stderr"
fi

# ---- vigil run -c with eve-log redis: 2 workers share the one sink; Redis gets eve.json exactly ----
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
  RP=6391
  ip netns exec "$LIVE_NS_B" redis-server --port $RP --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$LIVE_TMP" --logfile "$LIVE_TMP/redis.log" --daemonize no &
  rpid=$!
  for _ in $(seq 100); do
    [ "$(ip netns exec "$LIVE_NS_B" redis-cli -p $RP ping 2>/dev/null)" = PONG ] && break; sleep 0.05
  done
  cat >"$C/redis.yaml" <<CONF
rule-files: [$here/live.rules]
rule-cache: {enabled: no}
workers: 2
stats-interval: 1
capture: {interfaces: [vrx]}
outputs:
  - eve-log:
      filetype: redis
      redis: {server: 127.0.0.1, port: $RP, mode: xadd, key: "vigil:live"}
CONF
  out="$LIVE_TMP/run-redis"
  if LIVE_NO_IFACE=1 live_start "$out" -c "$C/redis.yaml"; then
    live_replay 2000 "${rw[@]}" || ko "redis: tcpreplay"
    live_stop TERM
    ip netns exec "$LIVE_NS_B" redis-cli -p $RP --raw XRANGE vigil:live - + | awk 'NR % 3 == 0' \
      >"$out/redis.json"
    n=$(wc -l <"$out/eve.json")
    if [ "$LIVE_RC" -eq 0 ] && [ "$n" -gt 10 ] && cmp -s "$out/redis.json" "$out/eve.json" \
       && grep -q "redis 127.0.0.1:$RP vigil:live: $n sent, 0 dropped" "$out/stderr"; then
      ok "eve-log redis from the file, 2 workers: the stream holds eve.json exactly ($n events)"
    else
      ko "redis: rc $LIVE_RC, $n events in eve.json, $(wc -l <"$out/redis.json") in the stream" "$out/stderr"
    fi
  else
    ko "redis: start" "$out/stderr"
  fi
  kill "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null
fi

# BPF: a filter that keeps nothing of this (TCP-only) traffic, with a short snaplen
out="$LIVE_TMP/run-bpf"
if live_start "$out" --bpf "udp" --snaplen 128 --stats-interval 0; then
  live_replay 2000 "${rw[1]}"
  live_stop INT
  n=$($PY -c "import json,sys;e=[json.loads(l) for l in open(sys.argv[1])];s=e[-1];print(s['stats']['decoder']['pkts'],s['stats']['capture']['kernel_packets'],len(e))" "$out/eve.json")
  if [ "$LIVE_RC" -eq 0 ] && [ "$n" = "0 0 1" ]; then ok "--bpf udp: nothing captured (exit 0 on SIGINT)"
  else ko "--bpf udp: rc $LIVE_RC, pkts/kernel/events $n" "$out/stderr"; fi
else ko "--bpf start" "$out/stderr"; fi

# usage errors: exit 2 with a message naming the problem
check_usage() { # check_usage WHAT PATTERN ARGS...
  local what=$1 pat=$2; shift 2
  ip netns exec "$LIVE_NS_B" "$LIVE_BIN" run -o "$LIVE_TMP/usage" "$@" >/dev/null 2>"$LIVE_TMP/usage.err"
  local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$pat" "$LIVE_TMP/usage.err"; then ok "$what: exit 2"
  else ko "$what: rc $rc" "$LIVE_TMP/usage.err"; fi
}
check_usage "no such interface" "nosuch0" -i nosuch0
check_usage "bad BPF" "BPF filter" -i vrx --bpf "tcp and and"
check_usage "no such user" "no such user" -i vrx --user vigil-no-such-user
check_usage "pcap with 2 workers" "one worker" -i vrx --capture pcap --workers 2

echo "$label: $pass passed, $fail failed"
[ $fail -eq 0 ]
