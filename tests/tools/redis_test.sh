#!/usr/bin/env bash
# redis_test.sh - the Redis output (docs/outputs.md) against a real redis-server that this script
# starts on a free loopback port (no persistence) and stops at the end.
#   1. stream: every event of eve.json arrives, in order, byte for byte (XRANGE); list mode (LRANGE)
#   2. server down when vigil starts, up 1.5 s later: every event arrives (the spool)
#   3. server stopped mid-run (SHUTDOWN SAVE, so that what it held survives) and restarted: every
#      event arrives (at least once: a batch in flight at the stop may arrive twice)
#   4. server killed mid-run (SIGKILL: what it held is gone with it) and restarted: the restarted
#      server holds exactly the rest of eve.json from where the old one stopped acknowledging
#   5. spool full (1 MiB spool, server away, 1 s drain): the loss is counted, exactly
# Runs 2-4 read a paced replay through a FIFO (tests/tools/pcap_pace.py) so that the outage falls
# mid-run whatever the machine's speed. Prints "redis: N passed, N failed".
# Env: VIGIL_BIN (default build/vigil), VIGIL_CORPUS (default ../shared/corpus).
set -u
cd "$(dirname "$0")/../.."
VIGIL=${VIGIL_BIN:-build/vigil}
CORPUS=${VIGIL_CORPUS:-../shared/corpus}
PY=/usr/bin/python3
SMALL=$CORPUS/foxit-quantuminsert/pcaps/qi_local_SYNACK_slashdot_redirect.pcap
LAB=$CORPUS/bench/elcabezzonn-lab-mixed-merged.pcap
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { if [ "$2" = "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi; }

for t in redis-server redis-cli; do
  command -v $t >/dev/null || { echo "redis_test: $t not found (scripts/install-deps.sh)"; echo "redis: 0 passed, 1 failed"; exit 1; }
done
[ -x "$VIGIL" ] || { echo "redis_test: $VIGIL not built"; echo "redis: 0 passed, 1 failed"; exit 1; }
[ -f "$LAB" ] || LAB=$SMALL

work=$(mktemp -d)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
RPID=""
start_redis() {
  redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
    --dbfilename dump.rdb --logfile "$work/redis.log" --daemonize no &
  RPID=$!
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.05
  done
  echo "redis_test: redis-server did not start"; cat "$work/redis.log"; return 1
}
stop_redis() { # graceful, without saving
  [ -n "$RPID" ] || return 0
  redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1
  wait "$RPID" 2>/dev/null
  RPID=""
}
cleanup() {
  stop_redis
  [ -n "$RPID" ] && kill "$RPID" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
R() { redis-cli -p "$PORT" "$@"; }

# The events of a stream or list, one per line, in order.
stream_events() { R --raw XRANGE "$1" - + | awk 'NR % 3 == 0'; }
list_events() { R --raw LRANGE "$1" 0 -1; }

start_redis || { echo "redis: $pass passed, 1 failed"; exit 1; }

# 1. all events, in order, byte for byte
"$VIGIL" analyze -q -o "$work/o1" --redis "127.0.0.1:$PORT" --redis-stream t1 --redis-maxlen 0 "$SMALL"
check "run 1 exit" $? 0
n=$(wc -l <"$work/o1/eve.json")
check "stream XLEN = eve.json lines" "$(R XLEN t1)" "$n"
stream_events t1 >"$work/t1.txt"
if cmp -s "$work/t1.txt" "$work/o1/eve.json"; then ok; else bad "stream content differs from eve.json"; fi
"$VIGIL" analyze -q -o "$work/o1b" --redis "127.0.0.1:$PORT" --redis-list l1 "$LAB"
check "run 1b exit" $? 0
list_events l1 >"$work/l1.txt"
if cmp -s "$work/l1.txt" "$work/o1b/eve.json"; then ok; else bad "list content differs from eve.json"; fi
# MAXLEN ~ trims (approximately: whole macro nodes)
"$VIGIL" analyze -q -o "$work/o1c" --redis "127.0.0.1:$PORT" --redis-stream t1c --redis-maxlen 1000 "$LAB"
len=$(R XLEN t1c)
if [ "$len" -ge 1000 ] && [ "$len" -lt "$(wc -l <"$work/o1c/eve.json")" ]; then ok; else bad "MAXLEN ~ 1000 gave XLEN $len"; fi

# 2. server down at start, up 1.5 s later
stop_redis
mkfifo "$work/fifo2"
$PY tests/tools/pcap_pace.py --seconds 4 "$work/fifo2" "$LAB" &
feeder=$!
"$VIGIL" analyze -o "$work/o2" --no-progress --redis "127.0.0.1:$PORT" --redis-stream t2 --redis-maxlen 0 \
  "$work/fifo2" >"$work/o2.out" 2>&1 &
vpid=$!
sleep 1.5
start_redis
wait $vpid
check "run 2 exit" $? 0
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null  # (already done unless vigil failed early)
n=$(wc -l <"$work/o2/eve.json")
check "outage at start: XLEN = eve.json lines" "$(R XLEN t2)" "$n"
stream_events t2 >"$work/t2.txt"
if cmp -s "$work/t2.txt" "$work/o2/eve.json"; then ok; else bad "outage at start: content differs"; fi
if grep -q "0 dropped" "$work/o2.out"; then ok; else bad "outage at start: summary: $(grep redis "$work/o2.out")"; fi

# 3. stopped mid-run (state saved), restarted
mkfifo "$work/fifo3"
$PY tests/tools/pcap_pace.py --seconds 5 "$work/fifo3" "$LAB" &
feeder=$!
"$VIGIL" analyze -o "$work/o3" --no-progress --redis "127.0.0.1:$PORT" --redis-stream t3 --redis-maxlen 0 \
  "$work/fifo3" >"$work/o3.out" 2>&1 &
vpid=$!
sleep 1.5
before=$(R XLEN t3)
R shutdown save >/dev/null 2>&1
wait "$RPID" 2>/dev/null
RPID=""
sleep 1.5
start_redis
wait $vpid
check "run 3 exit" $? 0
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null  # (already done unless vigil failed early)
stream_events t3 >"$work/t3.txt"
if [ "$before" -gt 0 ]; then ok; else bad "stop mid-run: nothing had arrived before the stop ($before)"; fi
# every line of eve.json is there (as many times as in eve.json), a few more at most (resent batch)
$PY - "$work/o3/eve.json" "$work/t3.txt" <<'EOF'
import collections, sys
eve = open(sys.argv[1]).read().splitlines()
got = open(sys.argv[2]).read().splitlines()
ce, cg = collections.Counter(eve), collections.Counter(got)
missing = sum((ce - cg).values())
extra = len(got) - len(eve)
print("stop mid-run: %d events, %d in redis, %d missing, %d duplicates" % (len(eve), len(got), missing, extra))
sys.exit(0 if missing == 0 and 0 <= extra <= 512 else 1)
EOF
if [ $? -eq 0 ]; then ok; else bad "stop mid-run: events missing"; fi
if grep -q "0 dropped" "$work/o3.out" && grep -Eq "[1-9][0-9]* reconnect" "$work/o3.out"; then ok
else bad "stop mid-run: summary: $(grep redis "$work/o3.out")"; fi

# 4. killed mid-run (SIGKILL; the server forgets everything), restarted
R del t4 >/dev/null
mkfifo "$work/fifo4"
$PY tests/tools/pcap_pace.py --seconds 5 "$work/fifo4" "$LAB" &
feeder=$!
"$VIGIL" analyze -o "$work/o4" --no-progress --redis "127.0.0.1:$PORT" --redis-stream t4 --redis-maxlen 0 \
  "$work/fifo4" >"$work/o4.out" 2>&1 &
vpid=$!
sleep 1.5
rm -f "$work/dump.rdb"
kill -9 "$RPID"
wait "$RPID" 2>/dev/null
RPID=""
sleep 1
start_redis
wait $vpid
check "run 4 exit" $? 0
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null  # (already done unless vigil failed early)
stream_events t4 >"$work/t4.txt"
$PY - "$work/o4/eve.json" "$work/t4.txt" <<'EOF'
import sys
eve = open(sys.argv[1]).read().splitlines()
got = open(sys.argv[2]).read().splitlines()
ok = 0 < len(got) < len(eve) and eve[len(eve) - len(got):] == got
print("kill mid-run: %d events; the restarted server holds the last %d, %s" %
      (len(eve), len(got), "exactly the rest" if ok else "NOT the rest of eve.json"))
sys.exit(0 if ok else 1)
EOF
if [ $? -eq 0 ]; then ok; else bad "kill mid-run: the restarted server does not hold the rest"; fi
if grep -q "0 dropped" "$work/o4.out"; then ok; else bad "kill mid-run: summary: $(grep redis "$work/o4.out")"; fi

# 5. spool full: everything is lost and every loss is counted
stop_redis
"$VIGIL" analyze -o "$work/o5" --no-progress --redis "127.0.0.1:$PORT" --redis-spool 1M \
  --redis-drain-timeout 1s "$LAB" >"$work/o5.out" 2>&1
check "run 5 exit" $? 0
n=$(wc -l <"$work/o5/eve.json")
if grep -q " 0 sent, $n dropped" "$work/o5.out"; then ok; else bad "spool full: summary: $(grep redis "$work/o5.out"), want $n dropped"; fi
if grep -q "spool full" "$work/o5.out"; then ok; else bad "spool full: no warning"; fi
# the stats event counts it too (what was dropped by the time it was written)
if tail -n 1 "$work/o5/eve.json" | grep -Eq '"redis":\{"sent":0,"spooled":[0-9]+,"dropped":[1-9]'; then ok
else bad "spool full: stats event: $(tail -n 1 "$work/o5/eve.json" | grep -o '"output":.*' | head -c 300)"; fi

echo "redis: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
