# live_lib.sh - shared by the live capture tests (sourced): two private network namespaces joined
# by a veth pair that the test makes, captures rewritten into the loopback range (IPv4
# 127.0.0.0/8) and a private range (IPv6 fd00::/8), replayed with tcpreplay from one namespace
# and captured by vigil in the other. Nothing is sent outside the namespaces: the veth pair is
# created inside the first namespace with its peer in the second, and both are deleted on exit.
# IPv6 is disabled in both namespaces before the links come up, so that the kernel sends nothing
# of its own (router solicitations, DAD) onto the link.
LIVE_NS_A=""
LIVE_NS_B=""
LIVE_TMP=""
LIVE_PID=""

live_cleanup() {
  if [ -n "$LIVE_PID" ] && kill -0 "$LIVE_PID" 2>/dev/null; then kill -KILL "$LIVE_PID" 2>/dev/null; fi
  [ -n "$LIVE_NS_A" ] && ip netns del "$LIVE_NS_A" 2>/dev/null
  [ -n "$LIVE_NS_B" ] && ip netns del "$LIVE_NS_B" 2>/dev/null
  [ -n "$LIVE_TMP" ] && rm -rf "$LIVE_TMP"
  return 0
}

# live_skip LABEL WHY: prints the skip and a zero count line (only for a missing corpus, as the
# other corpus suites do).
live_skip() { echo "$1: SKIP ($2)"; echo "$1: 0 passed, 0 failed"; exit 0; }
# live_fail LABEL WHY: the test cannot run here (not root, a tool missing, no namespaces): a
# failure, so that a broken set-up never passes as an empty suite (make test installs the tools
# and runs as root).
live_fail() { echo "$1: FAILED ($2)"; echo "$1: 0 passed, 1 failed"; exit 1; }

# live_test_begin LABEL: the common start of a live test: the corpus ($VIGIL_CORPUS, default
# ../shared/corpus beside the repository), the Fox-IT QUANTUM INSERT and HoneyBadger captures in
# caps[], the namespaces (live_setup), and the counters behind ok / ko. Needs $here (tests/tools).
live_test_begin() {
  label=$1
  corpus=${VIGIL_CORPUS:-$here/../../../shared/corpus}
  corpus=$(cd "$corpus" 2>/dev/null && pwd || echo "$corpus") # absolute: the tests change folders
  export VIGIL_CORPUS=$corpus
  caps=("$corpus"/foxit-quantuminsert/pcaps/*.pcap "$corpus"/honeybadger-pcap-files/*.pcap)
  [ -r "${caps[0]}" ] || live_skip "$label" "no corpus at $corpus"
  live_setup "$label"
  pass=0; fail=0
}
ok() { pass=$((pass + 1)); echo "$label: ok: $1"; }
ko() { fail=$((fail + 1)); echo "$label: FAILED: $1"; [ -n "${2:-}" ] && sed 's/^/    /' "$2" | tail -20; }

# live_setup LABEL: the namespaces, the veth pair (vtx in A, vrx in B), LIVE_TMP.
live_setup() {
  local label=$1
  [ "$(id -u)" -eq 0 ] || live_fail "$label" "needs root for ip netns"
  for t in ip tcpreplay tcprewrite; do
    command -v $t >/dev/null || live_fail "$label" "$t not installed (scripts/install-deps.sh)"
  done
  LIVE_TMP=$(mktemp -d)
  trap live_cleanup EXIT
  LIVE_NS_A=vgla$$
  LIVE_NS_B=vglb$$
  ip netns add "$LIVE_NS_A" || { LIVE_NS_A=""; live_fail "$label" "ip netns add failed"; }
  ip netns add "$LIVE_NS_B" || { LIVE_NS_B=""; live_fail "$label" "ip netns add failed"; }
  for n in "$LIVE_NS_A" "$LIVE_NS_B"; do
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$n" link set lo up
  done
  ip -n "$LIVE_NS_A" link add vtx type veth peer name vrx netns "$LIVE_NS_B" || live_fail "$label" "veth failed"
  ip -n "$LIVE_NS_A" link set vtx mtu 65535 up
  ip -n "$LIVE_NS_B" link set vrx mtu 65535 up
}

# live_rewrite IN OUT: the capture with every address moved into 127.0.0.0/8 / fd00::/8.
live_rewrite() {
  tcprewrite --pnat='0.0.0.0/0:127.0.0.0/8,[::]/0:[fd00::]/8' -i "$1" -o "$2" 2>/dev/null
}

# live_start OUTDIR ARGS...: vigil run on vrx in namespace B; waits until it captures.
# LIVE_NO_IFACE=1: no -i flag (the interface comes from the configuration given in ARGS).
live_start() {
  local out=$1; shift
  local ifa=(-i vrx)
  [ -n "${LIVE_NO_IFACE:-}" ] && ifa=()
  mkdir -p "$out"
  ip netns exec "$LIVE_NS_B" "$LIVE_BIN" run "${ifa[@]}" -o "$out" "$@" 2>"$out/stderr" &
  LIVE_PID=$!
  for _ in $(seq 100); do
    grep -q "capturing on" "$out/stderr" 2>/dev/null && return 0
    kill -0 "$LIVE_PID" 2>/dev/null || break
    sleep 0.05
  done
  echo "vigil run did not start:"; cat "$out/stderr"
  return 1
}

# live_replay PPS FILE...: tcpreplay from namespace A onto vtx, each file in turn.
live_replay() {
  local pps=$1; shift
  for f in "$@"; do
    ip netns exec "$LIVE_NS_A" tcpreplay -q -i vtx --pps="$pps" "$f" >/dev/null 2>&1 || return 1
  done
}

# live_stop [SIG]: signals vigil (TERM by default), waits, sets LIVE_RC.
live_stop() {
  sleep 0.3 # the last ring block is handed over after 10 ms
  kill -s "${1:-TERM}" "$LIVE_PID"
  wait "$LIVE_PID"; LIVE_RC=$?
  LIVE_PID=""
}
