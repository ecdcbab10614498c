#!/usr/bin/env bash
# rotation_test.sh - EVE file rotation and per-type files (docs/outputs.md) under load: no line is
# lost, duplicated or split across a rotation.
#   1. by size: cat eve.json.1 ... eve.json.N eve.json == the unrotated eve.json of the same input;
#      every rotated file is within the size and ends with a whole line
#   2. by time: a paced replay of ~4 s with --eve-rotate-interval 1s: several files, same check
#   3. --eve-split-types (with rotation): each type's files, concatenated, are exactly that type's
#      lines of the unrotated output, in order; no other file
#   4. a second run into the same folder continues the numbering (nothing is overwritten)
# Input: bench/out/big.pcap when present (make bench builds it: ~1 GB, ~600k events), else the
# corpus's merged lab capture with a small rotation size. Prints "rotation: N passed, N failed".
# Env: VIGIL_BIN (default build/vigil), VIGIL_CORPUS (default ../shared/corpus), ROTATION_SMALL=1
# (the lab capture even when big.pcap exists).
set -u
cd "$(dirname "$0")/../.."
VIGIL=${VIGIL_BIN:-build/vigil}
CORPUS=${VIGIL_CORPUS:-../shared/corpus}
PY=/usr/bin/python3
LAB=$CORPUS/bench/elcabezzonn-lab-mixed-merged.pcap
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

if [ -n "${ROTATION_SMALL:-}" ]; then
  IN=$LAB; SIZE=256K; SIZE_B=$((256 << 10))
elif [ -f bench/out/big.pcap ]; then
  IN=bench/out/big.pcap; SIZE=32M; SIZE_B=$((32 << 20))
else
  IN=$LAB; SIZE=256K; SIZE_B=$((256 << 10))
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "rotation_test: input $IN, rotation size $SIZE"

# same_eve A B: the two EVE texts are the same line for line, except that the stats events'
# vigil.stats.output (files opened, rotations) may differ: that is what differs between the runs.
same_eve() {
  $PY - "$1" "$2" <<'PYEOF'
import json, sys
def norm(line):
    if b'"event_type":"stats"' in line:
        e = json.loads(line)
        e.get("vigil", {}).get("stats", {}).pop("output", None)
        return json.dumps(e, sort_keys=True).encode()
    return line
a = open(sys.argv[1], "rb")
b = open(sys.argv[2], "rb")
n = 0
for la, lb in zip(a, b):
    n += 1
    if norm(la) != norm(lb):
        print("line %d differs" % n)
        sys.exit(1)
if a.read(1) or b.read(1):
    print("lengths differ after %d lines" % n)
    sys.exit(1)
PYEOF
}

# The rotated files of NAME in order (NAME.1 NAME.2 ... NAME), one per line.
files_of() { # DIR NAME
  ls "$1" | grep -E "^$2\.[0-9]+$" | sort -t. -k3,3n -k4,4n | sed "s|^|$1/|"
  echo "$1/$2"
}

"$VIGIL" analyze -q -o "$work/plain" "$IN" || bad "unrotated run failed"
lines=$(wc -l <"$work/plain/eve.json")

# 1. by size
"$VIGIL" analyze -o "$work/size" --no-progress --eve-rotate-size "$SIZE" "$IN" >"$work/size.out" || bad "size run failed"
n=$(ls "$work/size" | grep -Ec '^eve\.json\.[0-9]+$')
if [ "$n" -ge 2 ]; then ok; else bad "by size: $n rotated files"; fi
# shellcheck disable=SC2046
if cat $(ls "$work/size" | grep -E '^eve\.json\.[0-9]+$' | sort -t. -k3,3n | sed "s|^|$work/size/|") \
  "$work/size/eve.json" >"$work/size.cat" && same_eve "$work/size.cat" "$work/plain/eve.json"; then ok
else bad "by size: concatenation differs"; fi
rm -f "$work/size.cat"
big=0; torn=0
for f in "$work"/size/eve.json.*; do
  [ "$(stat -c %s "$f")" -le "$SIZE_B" ] || big=$((big + 1))
  [ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || torn=$((torn + 1))
done
if [ $big -eq 0 ]; then ok; else bad "by size: $big file(s) over $SIZE"; fi
if [ $torn -eq 0 ]; then ok; else bad "by size: $torn file(s) end inside a line"; fi
if grep -q "$n rotation(s)" "$work/size.out"; then ok; else bad "by size: summary: $(grep files "$work/size.out")"; fi
# every line of the first rotated file is a whole JSON object
if $PY -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$work/size/eve.json.1"; then ok
else bad "by size: eve.json.1 has a broken line"; fi

# 2. by time (a paced replay of the lab capture, compared with its own unrotated output)
"$VIGIL" analyze -q -o "$work/labplain" "$LAB"
mkfifo "$work/fifo"
$PY tests/tools/pcap_pace.py --seconds 4 "$work/fifo" "$LAB" &
feeder=$!
"$VIGIL" analyze -q -o "$work/time" --eve-rotate-interval 1s "$work/fifo" || bad "time run failed"
kill $feeder 2>/dev/null; wait $feeder 2>/dev/null  # (already done unless vigil failed early)
n=$(ls "$work/time" | grep -Ec '^eve\.json\.[0-9]+$')
if [ "$n" -ge 2 ]; then ok; else bad "by time: $n rotated files in ~4 s"; fi
# shellcheck disable=SC2046
cat $(files_of "$work/time" eve.json) >"$work/time.cat"
if same_eve "$work/time.cat" "$work/labplain/eve.json"; then ok
else bad "by time: concatenation differs"; fi

# 3. one file per type, rotated too
"$VIGIL" analyze -q -o "$work/split" --eve-split-types --eve-rotate-size "$SIZE" "$IN" || bad "split run failed"
[ ! -e "$work/split/eve.json" ] && ok || bad "split: eve.json written too"
$PY - "$work/plain/eve.json" "$work/split" <<'EOF'
import collections, json, os, re, sys
plain, d = sys.argv[1], sys.argv[2]
want = collections.defaultdict(list)
for line in open(plain, "rb"):
    t = json.loads(line)["event_type"]
    want[t].append(line if t != "stats" else None)  # stats: the output counters differ
files = os.listdir(d)
bad = 0
for t, lines in want.items():
    name = "eve.%s.json" % t
    rot = sorted((f for f in files if re.fullmatch(re.escape(name) + r"\.\d+", f)),
                 key=lambda f: int(f.rsplit(".", 1)[1]))
    got = []
    for f in rot + [name]:
        got += [l if t != "stats" else None for l in open(os.path.join(d, f), "rb")]
    if got != lines:
        print("split: %s: %d lines, want %d (or order differs)" % (t, len(got), len(lines)))
        bad += 1
extra = [f for f in files if not any(f.startswith("eve.%s.json" % t) for t in want)]
if extra:
    print("split: unexpected files", extra[:5])
    bad += 1
print("split: %d types, %d files" % (len(want), len(files)))
sys.exit(1 if bad else 0)
EOF
[ $? -eq 0 ] && ok || bad "split: per-type files differ from the unrotated output"

# 4. a second run continues the numbering
first=$(md5sum <"$work/size/eve.json.1")
before=$(ls "$work/size" | grep -Ec '^eve\.json\.[0-9]+$')
"$VIGIL" analyze -q -o "$work/size" --eve-rotate-size "$SIZE" "$IN" || bad "second size run failed"
after=$(ls "$work/size" | grep -Ec '^eve\.json\.[0-9]+$')
if [ "$after" -ge $((before * 2)) ] && [ "$(md5sum <"$work/size/eve.json.1")" = "$first" ]; then ok
else bad "second run: $before then $after rotated files, or eve.json.1 was overwritten"; fi

echo "rotation: $pass passed, $fail failed ($lines events per run)"
[ "$fail" -eq 0 ]
