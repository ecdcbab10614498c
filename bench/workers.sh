#!/usr/bin/env bash
# workers.sh FILE [more vigil args] - throughput of `vigil analyze --workers 1` vs `--workers 2`
# (and more: WORKERS="1 2 4"), next to `cat FILE >/dev/null`, in one run.
#
# Reads FILE once to warm the page cache, then times cat and each vigil run (all from the page
# cache) and prints, per run: wall seconds, user and sys CPU seconds, Gbit/s, packets/s, peak RSS,
# and the speed-up of the wall time over --workers 1. The machine may be shared: the load average
# (uptime) is printed before and after, and the CPU time (user+sys) says how much work each run
# did whatever the load: with perfect scaling, N workers take the CPU time of one worker and the
# wall time divided by N. Each multi-worker run also prints every worker's packets and CPU time
# (vigil -v): the largest is the wall time the run would take with a free core per worker, so
# "cpu speed-up" = CPU time of --workers 1 / largest worker CPU time is the scaling that the
# load of a shared machine does not distort.
# Env: VIGIL_BIN (default build/vigil), WORKERS (default "1 2"), REPEAT (runs per setting, the
# fastest wall time is kept; default 1).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: $0 FILE [more vigil analyze args]" >&2
  exit 2
fi
file="$1"
shift
vigil="${VIGIL_BIN:-$repo/build/vigil}"
workers="${WORKERS:-1 2}"
repeat="${REPEAT:-1}"
[ -r "$file" ] || { echo "workers: cannot read $file" >&2; exit 2; }
[ -x "$vigil" ] || { echo "workers: vigil not found at $vigil (make build, or set VIGIL_BIN)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "workers: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }

size="$(stat -L -c %s "$file")"
out="$(mktemp -d "${TMPDIR:-/tmp}/vigil-workers.XXXXXX")"
trap 'rm -rf "$out"' EXIT

echo "load before: $(uptime)"
echo "cpus:        $(nproc)"
cat "$file" >/dev/null # warm-up
/usr/bin/time -f "%e %U %S %M" -o "$out/cat.t" sh -c 'cat "$1" >/dev/null' sh "$file"
read -r c_wall c_user c_sys _ <"$out/cat.t"
printf "file:        %s (%.3f GB)\n" "$file" "$(awk -v s="$size" 'BEGIN{print s/1e9}')"
printf "cat:         %7.2f s wall  %8.3f GB/s\n" "$c_wall" "$(awk -v s="$size" -v t="$c_wall" 'BEGIN{print s/(t>0?t:1e-6)/1e9}')"

base=""
for n in $workers; do
  best=""
  for _ in $(seq "$repeat"); do
    rm -rf "$out/o"
    if ! /usr/bin/time -f "%e %U %S %M" -o "$out/v.t" "$vigil" analyze -v --no-progress \
        --workers "$n" -o "$out/o" "$@" "$file" >"$out/stdout" 2>"$out/stderr"; then
      echo "workers: vigil --workers $n failed:" >&2
      tail -n 20 "$out/stderr" >&2
      exit 1
    fi
    read -r wall user sys rss <"$out/v.t"
    if [ -z "$best" ] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then
      best="$wall $user $sys $rss"
      cp "$out/stderr" "$out/best.stderr"
    fi
  done
  read -r wall user sys rss <<<"$best"
  pkts="$(tail -n 1 "$out/o/eve.json" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["decoder"]["pkts"])')"
  [ -n "$base" ] || { base="$wall"; base_cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN{print u+s}')"; }
  awk -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v sz="$size" -v p="$pkts" -v b="$base" 'BEGIN{
    printf "workers %-3d %7.2f s wall  user %7.2f s  sys %6.2f s  cpu %7.2f s  %6.3f Gbit/s  %10.0f pkts/s  RSS %5.0f MB  speed-up %.2fx\n",
      n, w, u, s, u + s, sz * 8 / w / 1e9, p / w, r / 1024, b / w }'
  if grep -q "workers: worker" "$out/best.stderr"; then
    grep "workers: worker" "$out/best.stderr" | sed 's/^vigil: info: /            /'
    grep "workers: worker" "$out/best.stderr" | awk -v bc="$base_cpu" '{c=$(NF-2); if (c>m) m=c}
      END{ if (m > 0) printf "            largest worker CPU %.2f s: cpu speed-up %.2fx over --workers 1 (%.2f s CPU)\n", m, bc/m, bc }'
  fi
done
echo "load after:  $(uptime)"
