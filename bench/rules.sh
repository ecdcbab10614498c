#!/usr/bin/env bash
# rules.sh [PCAP] - the rule engine's benchmark with ET Open (all rule files of the corpus's
# et-open-suricata-5.0 folder concatenated):
#   1. load time: a run on a 10-packet capture with no cache (parse + compile + cache write), and
#      again with the cache just written (parse + cache read);
#   2. throughput on PCAP (default bench/out/big.pcap, built with bench/make-big-pcap.sh when
#      missing): vigil without rules, then with ET Open (cached databases), wall time and CPU time
#      (user + sys: on a shared machine CPU time is the steadier figure), packets/s, peak RSS, and
#      the cost ratio rules / no rules (goal: < 2x).
# Env: VIGIL_BIN (default build/vigil), VIGIL_CORPUS (default ../shared/corpus), ET_DIR (the rules
# folder), RUNS (runs per throughput measurement, the best one counts; default 1).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vigil="${VIGIL_BIN:-$repo/build/vigil}"
corpus="${VIGIL_CORPUS:-$repo/../shared/corpus}"
et_dir="${ET_DIR:-$corpus/rules/et-open-suricata-5.0-2024-04-21}"
pcap="${1:-$repo/bench/out/big.pcap}"
runs="${RUNS:-1}"
[ -x "$vigil" ] || { echo "rules.sh: vigil not found at $vigil (make build, or set VIGIL_BIN)" >&2; exit 2; }
compgen -G "$et_dir/*.rules" >/dev/null || { echo "rules.sh: no rule files in $et_dir" >&2; exit 2; }
if [ ! -r "$pcap" ]; then
  if [ "$pcap" = "$repo/bench/out/big.pcap" ]; then
    bash "$repo/bench/make-big-pcap.sh"
  else
    echo "rules.sh: cannot read $pcap" >&2
    exit 2
  fi
fi
[ -x /usr/bin/time ] || { echo "rules.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

tmp="$(mktemp -d "${TMPDIR:-/tmp}/vigil-rules-bench.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
cat "$et_dir"/*.rules >"$tmp/et.rules"
nrules=$(grep -c -E '^[[:space:]]*(alert|drop|pass|reject)' "$tmp/et.rules" || true)

# A tiny capture for the load-time runs: the first packets of PCAP.
if command -v editcap >/dev/null; then
  editcap -r "$pcap" "$tmp/tiny.pcap" 1-10 >/dev/null
else
  cp "$repo/tests/sample/demo.pcap" "$tmp/tiny.pcap"
fi

# run LABEL ARGS...: one vigil run; sets WALL (s), CPU (s), RSS (MB); stderr kept in $tmp/LABEL.err
run() {
  local label=$1
  shift
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -o "$tmp/$label.time" -f "%U %S %M" "$vigil" analyze -q --no-progress \
    -o "$tmp/out-$label" "$@" 2>"$tmp/$label.err" >/dev/null || {
    echo "rules.sh: vigil failed ($label):" >&2
    tail -5 "$tmp/$label.err" >&2
    exit 1
  }
  t1=$(date +%s%N)
  WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
  read -r u s m <"$tmp/$label.time"
  CPU=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
  RSS=$(awk -v m="$m" 'BEGIN { printf "%.0f", m / 1024 }')
}

# best LABEL ARGS...: RUNS runs, keeps the one with the least CPU time
best() {
  local label=$1
  shift
  local bw="" bc="" br=""
  for _ in $(seq "$runs"); do
    run "$label" "$@"
    if [ -z "$bc" ] || awk -v a="$CPU" -v b="$bc" 'BEGIN { exit !(a < b) }'; then
      bw=$WALL bc=$CPU br=$RSS
    fi
  done
  WALL=$bw CPU=$bc RSS=$br
}

echo "rules:       $et_dir ($nrules active rule lines)"
# 1. load time
run cold --rules-cache "$tmp/cache" --rules "$tmp/et.rules" "$tmp/tiny.pcap"
cold_wall=$WALL cold_cpu=$CPU
run cached --rules-cache "$tmp/cache" --rules "$tmp/et.rules" "$tmp/tiny.pcap"
cached_wall=$WALL cached_cpu=$CPU
echo "load cold:   ${cold_wall} s wall, ${cold_cpu} s CPU (parse + compile + cache write)"
echo "load cached: ${cached_wall} s wall, ${cached_cpu} s CPU (parse + cache read)"

# 2. throughput
size=$(stat -L -c %s "$pcap")
cat "$pcap" >/dev/null
best none "$pcap"
none_wall=$WALL none_cpu=$CPU none_rss=$RSS
pkts=$(tail -n 1 "$tmp/out-none/eve.json" | grep -o '"pkts":[0-9]*' | head -n 1 | cut -d: -f2)
best et --rules-cache "$tmp/cache" --rules "$tmp/et.rules" "$pcap"
et_wall=$WALL et_cpu=$CPU et_rss=$RSS
alerts=$(grep -c '"event_type":"alert"' "$tmp/out-et/eve.json" || true)
echo "capture:     $pcap ($(awk -v s="$size" 'BEGIN { printf "%.3f", s / 1e9 }') GB, ${pkts:-?} packets)"
fmt() { # fmt WALL CPU RSS
  awk -v w="$1" -v c="$2" -v r="$3" -v s="$size" -v p="${pkts:-0}" 'BEGIN {
    printf "%8.2f s wall %8.2f s CPU  %6.3f Gbit/s  %9.0f packets/s  peak RSS %5d MB",
           w, c, s * 8 / w / 1e9, p / w, r }'
}
echo "no rules:    $(fmt "$none_wall" "$none_cpu" "$none_rss")"
echo "ET Open:     $(fmt "$et_wall" "$et_cpu" "$et_rss")  ($alerts alerts)"
awk -v a="$et_wall" -v b="$none_wall" -v c="$et_cpu" -v d="$none_cpu" 'BEGIN {
  printf "cost:        %.2fx wall, %.2fx CPU of the rule-less run (goal < 2x)\n", a / b, c / d }'
