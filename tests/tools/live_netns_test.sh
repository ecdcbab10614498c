#!/usr/bin/env bash
# live_netns_test.sh [VIGIL] - `vigil run` on a veth pair between two private network namespaces
# that this test makes (tests/tools/live_lib.sh): corpus captures (Fox-IT QUANTUM INSERT,
# HoneyBadger) are rewritten into 127.0.0.0/8 and fd00::/8, replayed with tcpreplay at a moderate
# rate, and the alerts (tamper findings and tests/tools/live.rules) must equal those of
# `vigil analyze` on the rewritten captures, with no kernel drop. Runs: afpacket with 1 worker
# (dropping privileges to nobody), afpacket with 2 workers, pcap; then a BPF filter that keeps
# nothing of this TCP-only traffic (no packet reaches vigil), and bad flags/interface/user.
set -u
here=$(cd "$(dirname "$0")" && pwd)
LIVE_BIN=$(realpath "${1:-build/vigil}")
corpus=${VIGIL_CORPUS:-$here/../../../shared/corpus}
[ -d "$corpus" ] || corpus=/work/shared/corpus
export VIGIL_CORPUS=$corpus
label="live netns"
. "$here/live_lib.sh"
PY=/usr/bin/python3
caps=("$corpus"/foxit-quantuminsert/pcaps/*.pcap "$corpus"/honeybadger-pcap-files/*.pcap)
[ -r "${caps[0]}" ] || live_skip "$label" "no corpus"
live_setup "$label"
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "$label: ok: $1"; }
ko() { fail=$((fail + 1)); echo "$label: FAILED: $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2" | tail -20; }

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
