#!/usr/bin/env bash
# rules_load.sh - loads real and hostile rule files through `vigil rules check`.
#   1. every ET Open .rules file of the corpus: at least 95 % of the rules must be accepted;
#   2. a 64 KiB file of random bytes, 100,000 random rule-like lines, and a file of huge and
#      nested constructs (a 60 KiB content, a 10,000-deep [[[[ address group, 300 options, a
#      line over 64 KiB): each must finish within 10 s, without a crash, with clear reasons.
# Prints one line per check and "rules-load: N passed, N failed"; exits non-zero on a failure.
# Environment: VIGIL_CORPUS (default ../shared/corpus), VIGIL_BIN (default build/vigil).
set -u
cd "$(dirname "$0")/../.."
CORPUS=${VIGIL_CORPUS:-../shared/corpus}
BIN=${VIGIL_BIN:-build/vigil}
PY=/usr/bin/python3
ET_DIR="$CORPUS/rules/et-open-suricata-5.0-2024-04-21"
pass=0; fail=0
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

ok()  { pass=$((pass + 1)); echo "rules-load: ok   $*"; }
bad() { fail=$((fail + 1)); echo "rules-load: FAIL $*"; }

if [ ! -x "$BIN" ]; then
  echo "rules-load: $BIN not found (run make build)"; echo "rules-load: 0 passed, 1 failed"; exit 1
fi

# run_check NAME FILE [GREP...]: vigil rules check within 10 s, exit 0, each GREP in the output
run_check() {
  local name=$1 file=$2; shift 2
  local out="$tmp/$name.out" t0 t1 rc
  t0=$(date +%s.%N)
  timeout 10 "$BIN" rules check "$file" >"$out" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  local secs; secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
  if [ $rc -eq 124 ]; then bad "$name: timed out (10 s)"; return; fi
  if [ $rc -ne 0 ]; then bad "$name: exit $rc"; tail -n 5 "$out"; return; fi
  if ! head -n 1 "$out" | grep -q '^rules: [0-9]* loaded, [0-9]* skipped'; then
    bad "$name: no summary line"; return
  fi
  for pat in "$@"; do
    if ! grep -qF -- "$pat" "$out"; then bad "$name: no '$pat' in the output"; return; fi
  done
  ok "$name ($(head -n 1 "$out" | cut -d' ' -f2-5 | tr -d ','), ${secs}s)"
}

# 1. ET Open acceptance
shopt -s nullglob
et_files=("$ET_DIR"/*.rules)
if [ ${#et_files[@]} -eq 0 ]; then
  bad "ET Open: no .rules files in $ET_DIR"
else
  out="$tmp/et.out"
  if timeout 60 "$BIN" rules check -q "${et_files[@]}" >"$out" 2>&1; then
    read -r loaded skipped < <(head -n 1 "$out" | sed -E 's/^rules: ([0-9]+) loaded, ([0-9]+) skipped.*/\1 \2/')
    total=$((loaded + skipped))
    if [ "$total" -gt 0 ] && [ $((loaded * 1000 / total)) -ge 950 ]; then
      ok "ET Open: $loaded of $total rules accepted ($(awk -v l="$loaded" -v t="$total" 'BEGIN { printf "%.2f", l * 100 / t }') %)"
    else
      bad "ET Open: $loaded of $total rules accepted (< 95 %)"
    fi
    sed -n '/^skipped by reason:/,$p' "$out" | head -n 16
  else
    bad "ET Open: vigil rules check failed"; tail -n 5 "$out"
  fi
fi

# 2. hostile inputs, generated with a fixed seed
$PY -c 'import random; r = random.Random(20240421); open("'"$tmp"'/garbage.rules", "wb").write(bytes(r.randrange(256) for _ in range(65536)))'
run_check "64 KiB of random bytes" "$tmp/garbage.rules" "skipped by reason:"

$PY - "$tmp/lines.rules" <<'EOF'
import random, sys
r = random.Random(7)
toks = ["alert", "drop", "tcp", "udp", "http", "dns", "any", "->", "<>", "$HOME_NET", "$HTTP_PORTS",
        "[1.2.3.0/24,!1.2.3.4]", "[", "]", "!", "(", ")", ";", ":", ",", "\"", "|", "\\", "content:",
        "msg:", "sid:", "pcre:\"/", "/i\"", "depth:", "distance:", "within:", "flow:", "flowbits:",
        "byte_test:", "http.uri;", "dns.query;", "|41 42|", "1024:", "80", "65536", "-1", "0x10",
        "#", "fast_pattern;", "threshold:", "nocase;", "isdataat:", "bsize:", "dsize:"]
with open(sys.argv[1], "w") as f:
    for _ in range(100000):
        n = r.randrange(1, 25)
        parts = []
        for _ in range(n):
            if r.random() < 0.7:
                parts.append(r.choice(toks))
            else:
                parts.append("".join(chr(r.randrange(32, 127)) for _ in range(r.randrange(1, 12))))
        f.write(" ".join(parts) + "\n")
EOF
run_check "100,000 random lines" "$tmp/lines.rules" "skipped by reason:"

$PY - "$tmp/huge.rules" <<'EOF'
import sys
lines = []
lines.append('alert tcp any any -> any any (msg:"60 KiB content"; content:"' + "A" * (60 * 1024) + '"; sid:1;)')
lines.append('alert tcp ' + "[" * 10000 + "1.2.3.4" + "]" * 10000 + ' any -> any any (msg:"deep"; sid:2;)')
lines.append('alert tcp ' + "[" * 10000 + ' any -> any any (msg:"deep, never closed"; sid:3;)')
lines.append('alert tcp any any -> any any (' + " ".join("metadata:k%d v;" % i for i in range(300)) + ' sid:4;)')
lines.append('alert tcp any any -> any any (msg:"long"; content:"' + "B" * (70 * 1024) + '"; sid:5;)')
lines.append('alert tcp any any -> any any (msg:"continued"; \\')
for i in range(2000):
    lines.append('  content:"' + "C" * 40 + '"; \\')
lines.append('  sid:6;)')
lines.append('alert tcp any any -> any any (' + 'content:"x"; ' * 200 + 'sid:7;)')
lines.append('alert tcp any any -> any any (pcre:"/' + "(" * 300 + "a" + ")" * 300 + '/"; sid:8;)')
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
EOF
run_check "huge and nested constructs" "$tmp/huge.rules" \
  "groups nested deeper than 16" "more than 256 options" "rule longer than 65536 bytes" \
  "more than 128 content matches" "rules: 1 loaded"

echo "rules-load: $pass passed, $fail failed"
[ $fail -eq 0 ]
