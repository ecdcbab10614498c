#!/usr/bin/env bash
# intel.sh [PCAP] - what the intel module costs:
#   1. a generated list of 1,000,000 indicators (400k IPv4 addresses, 100k IPv4 CIDRs (95 % /24-/30,
#      5 % /16-/23),
#      100k IPv6 addresses and prefixes, 400k domains; deterministic): load time (parse, normalise,
#      de-duplicate, build the ranges) and memory (peak RSS of `vigil hunt` loading it against an
#      empty EVE file, minus the same with a one-line list; and the set's own arrays);
#   2. matching cost per packet: `vigil analyze --no-beacons` on PCAP (default bench/out/big.pcap,
#      built by bench/make-big-pcap.sh when missing) with and without the 1M list; the difference
#      minus the load time, per packet and per flow; and what beacon scoring adds (default run).
#      The end-to-end difference is near the run-to-run noise, so bench/tools/ioc_bench.c also
#      times the lookups themselves (ns per IPv4 / IPv6 address and per 3-label name) and the
#      per-packet cost is estimated from them: 2 address lookups per flow plus the DNS and HTTP
#      names the run saw;
#   3. `vigil hunt` throughput on a multi-GB EVE file: the EVE output of PCAP concatenated COPIES
#      times (default 10, about 3.3 GB for big.pcap), hunted with the 1M list and with a 5-line
#      list, plus one gzip-compressed copy.
# Each timed command runs twice on a warm page cache; the faster run counts. Files go to
# bench/out/intel/ (git-ignored) and are reused when present.
# Env: VIGIL_BIN (default build/vigil), COPIES (default 10).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pcap="${1:-$repo/bench/out/big.pcap}"
vigil="${VIGIL_BIN:-$repo/build/vigil}"
copies="${COPIES:-10}"
work="$repo/bench/out/intel"
mkdir -p "$work"
[ -x "$vigil" ] || { echo "intel.sh: vigil not found at $vigil (make build)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "intel.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 2; }
if [ ! -r "$pcap" ]; then
  if [ "$pcap" = "$repo/bench/out/big.pcap" ]; then bash "$repo/bench/make-big-pcap.sh"; fi
  [ -r "$pcap" ] || { echo "intel.sh: cannot read $pcap" >&2; exit 2; }
fi

# ---- the indicator lists ----
big="$work/ioc-1m.txt"
if [ ! -s "$big" ]; then
  /usr/bin/python3 - "$big" <<'PY'
import random, sys
rng = random.Random(20240601)
out = []
for _ in range(400000):
    out.append("%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)))
for _ in range(100000):
    plen = rng.randint(24, 30) if rng.random() < 0.95 else rng.randint(16, 23)  # feeds: mostly /24+
    out.append("%d.%d.%d.%d/%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255), plen))
for i in range(100000):
    groups = ["2001", "db8"] + ["%x" % rng.randint(0, 0xffff) for _ in range(6)]
    out.append(":".join(groups) if i % 2 else ":".join(groups[:4]) + "::/%d" % rng.choice((48, 56, 64)))
tlds = ["com", "net", "org", "info", "ru", "cn", "xyz", "top", "io", "example"]
letters = "abcdefghijklmnopqrstuvwxyz0123456789"
for _ in range(400000):
    label = "".join(rng.choice(letters) for _ in range(rng.randint(6, 14)))
    sub = "".join(rng.choice(letters) for _ in range(rng.randint(2, 6)))
    out.append(("%s.%s.%s" % (sub, label, rng.choice(tlds))) if rng.random() < 0.3 else "%s.%s" % (label, rng.choice(tlds)))
rng.shuffle(out)
with open(sys.argv[1], "w") as f:
    f.write("# 1M generated indicators for bench/intel.sh\n")
    f.write("\n".join(out) + "\n")
PY
fi
small="$work/ioc-small.txt"
printf '8.8.8.8\n10.0.0.0/8\ngoogle.com\nexample.com\n2001:db8::/32\n' >"$small"
one="$work/ioc-one.txt"
echo "192.0.2.1" >"$one"
: >"$work/empty.json"

# best-of-two: "seconds maxrss_kb" of a command (stdout/stderr to files in $work)
best() {
  local label=$1; shift
  local b_t="" b_m=""
  for _ in 1 2; do
    /usr/bin/time -f "%e %M" -o "$work/$label.time" "$@" >"$work/$label.out" 2>"$work/$label.err"
    read -r t m <"$work/$label.time"
    if [ -z "$b_t" ] || awk -v a="$t" -v b="$b_t" 'BEGIN{exit !(a < b)}'; then b_t=$t; b_m=$m; fi
  done
  echo "$b_t $b_m"
}

echo "== 1. loading 1,000,000 indicators ($(wc -l <"$big") lines, $(du -m "$big" | cut -f1) MB)"
read -r t_base m_base < <(best base "$vigil" hunt -q --ioc "$one" "$work/empty.json")
read -r t_load m_load < <(best load "$vigil" hunt --ioc "$big" "$work/empty.json")
grep -o 'loaded in [0-9.]* s, [0-9.]* MB' "$work/load.err" | head -1 | sed 's/^/   set: /'
awk -v t="$t_load" -v m="$m_load" -v mb="$m_base" \
  'BEGIN{printf "   wall %.2f s, peak RSS %.0f MB (%.0f MB over an empty list)\n", t, m/1024, (m-mb)/1024}'

echo "== 2. matching cost per packet on $(basename "$pcap")"
cat "$pcap" >/dev/null
read -r t_none m_none < <(best none "$vigil" analyze -q --no-progress --no-beacons -o "$work/a-none" "$pcap")
read -r t_ioc m_ioc < <(best ioc "$vigil" analyze -q --no-progress --no-beacons --ioc "$big" -o "$work/a-ioc" "$pcap")
read -r t_beacon _ < <(best beacon "$vigil" analyze -q --no-progress -o "$work/a-beacon" "$pcap")
/usr/bin/python3 - "$pcap" "$t_none" "$t_ioc" "$t_load" "$t_base" "$t_beacon" "$m_ioc" "$m_none" \
    "$work/a-none/eve.json" "$work/a-ioc/eve.json" <<'PY'
import json, os, sys
pcap, t_none, t_ioc, t_load, t_base, t_beacon, m_ioc, m_none, eve0, eve1 = sys.argv[1:]
t_none, t_ioc, t_load, t_base, t_beacon = map(float, (t_none, t_ioc, t_load, t_base, t_beacon))
def last(path):
    with open(path, "rb") as f:
        f.seek(0, 2); f.seek(max(0, f.tell() - (1 << 20)))
        return json.loads(f.read().splitlines()[-1])
st = last(eve0)["stats"]
pkts, flows = st["decoder"]["pkts"], st["flow"]["total"] if "total" in st["flow"] else None
alerts = sum(1 for l in open(eve1, "rb") if b'"ioc":' in l)
size = os.path.getsize(pcap)
load = max(t_load - t_base, 0.0)
extra = max(t_ioc - t_none - load, 0.0)
print("   without indicators: %.2f s (%.2f Gbit/s, %.0f kpps)" % (t_none, size * 8 / t_none / 1e9, pkts / t_none / 1e3))
print("   with 1M indicators: %.2f s (of which loading %.2f s), peak RSS +%.0f MB (RSS counts the mapped"
      " capture), %d ioc alerts" % (t_ioc, load, (int(m_ioc) - int(m_none)) / 1024, alerts))
print("   matching: %.1f ns per packet (%d packets)%s" % (extra * 1e9 / pkts, pkts,
      ", %.0f ns per flow (%d flows)" % (extra * 1e9 / flows, flows) if flows else ""))
print("   beacon scoring on (default): %.2f s, +%.1f %% over --no-beacons" % (t_beacon, 100 * (t_beacon - t_none) / t_none))
PY

libdir="$(dirname "$vigil")"
if [ -r "$libdir/libvigil_lib.a" ]; then
  # shellcheck disable=SC2046
  cc -O2 -D_GNU_SOURCE -I"$repo/src" "$repo/bench/tools/ioc_bench.c" "$libdir/libvigil_lib.a" \
    $(pkg-config --libs libxxhash jansson libcrypto zlib libpcap libhs libpcre2-8 hiredis) -lm -lpthread \
    -o "$work/ioc_bench"
  "$work/ioc_bench" "$big" 2000000 | tee "$work/ioc_bench.txt" | sed 's/^/   /'
  /usr/bin/python3 - "$work/ioc_bench.txt" "$work/a-none/eve.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
v4, v6, dom = (float(x) for x in re.search(r"IPv4 (\d+) ns, IPv6 (\d+) ns, domain \(3 labels\) (\d+) ns", text).groups())
flows = {"4": 0, "6": 0}; dns_names = http = pkts = 0
for line in open(sys.argv[2], "rb"):
    if b'"event_type":"flow"' in line:
        flows["6" if b'"src_ip":"' in line and b":" in line.split(b'"src_ip":"')[1].split(b'"')[0] else "4"] += 1
    elif b'"event_type":"dns"' in line:
        dns_names += line.count(b'"rrname"') + line.count(b'"CNAME"')
    elif b'"event_type":"http"' in line:
        http += 1
    elif b'"event_type":"stats"' in line:
        pkts = json.loads(line)["stats"]["decoder"]["pkts"]
ns = 2 * (flows["4"] * v4 + flows["6"] * v6) + dns_names * dom + http * (dom + 100)
print("   estimate: %d+%d flows x 2 address lookups, %d DNS names, %d HTTP hosts+URLs = %.0f ms, "
      "%.0f ns per packet (%d packets)" % (flows["4"], flows["6"], dns_names, http, ns / 1e6, ns / pkts, pkts))
PY
fi

echo "== 3. vigil hunt on a multi-GB EVE file"
one_eve="$work/a-none/eve.json"
multi="$work/eve-x$copies.json"
if [ ! -s "$multi" ] || [ "$(stat -c %s "$multi")" -ne $(( $(stat -c %s "$one_eve") * copies )) ]; then
  : >"$multi"
  for _ in $(seq "$copies"); do cat "$one_eve" >>"$multi"; done
fi
gzc="$work/eve-x1.json.gz"
[ -s "$gzc" ] || gzip -1 -c "$one_eve" >"$gzc"
size=$(stat -c %s "$multi")
cat "$multi" >/dev/null 2>&1 || true
t_cat0=$(date +%s%N); cat "$multi" >/dev/null; t_cat1=$(date +%s%N)
read -r t_h1 _ < <(best hunt1m "$vigil" hunt -q --ioc "$big" "$multi")
read -r t_hs _ < <(best hunts "$vigil" hunt -q --ioc "$small" "$multi")
read -r t_gz _ < <(best huntgz "$vigil" hunt -q --ioc "$small" "$gzc")
/usr/bin/python3 - "$size" "$t_cat0" "$t_cat1" "$t_h1" "$t_load" "$t_hs" "$t_gz" "$(stat -c %s "$one_eve")" \
    "$(wc -l <"$work/hunt1m.out")" "$(wc -l <"$work/hunts.out")" <<'PY'
import sys
size, c0, c1, t1, tl, ts, tg, one, m1, ms = sys.argv[1:]
size, one = int(size), int(one)
t1, tl, ts, tg = map(float, (t1, tl, ts, tg))
cat = (int(c1) - int(c0)) / 1e9
print("   file: %.2f GB (%s copies of the EVE output); cat %.2f s (%.0f MB/s)" % (size / 1e9, size // one, cat, size / 1e6 / cat))
print("   5 indicators:  %.2f s, %.0f MB/s, %s matches" % (ts, size / 1e6 / ts, ms))
print("   1M indicators: %.2f s, %.0f MB/s (%.0f MB/s after the %.1f s load), %s matches" % (t1, size / 1e6 / t1, size / 1e6 / max(t1 - tl, 1e-6), tl, m1))
print("   gzip (one copy, %.0f MB uncompressed): %.2f s, %.0f MB/s of EVE" % (one / 1e6, tg, one / 1e6 / tg))
PY
