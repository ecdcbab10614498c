#!/usr/bin/env bash
# report_chromium.sh - the HTML report as a browser shows it. Runs `vigil analyze --report` on a
# corpus capture with a QUANTUM INSERT race, renders DIR/report.html in headless Chromium (a DOM
# dump with console logging: no console message; a screenshot), checks that the page needs no
# JavaScript (no script, no event handler, no external resource), and checks the expected sections: summary, timeline, the finding with both
# contestants and their differing bytes, the per-packet plots, the evidence link (whose file
# exists and holds the contestants at the numbers the alert gives).
# Prints "report_chromium: N passed, N failed". The screenshot is kept at $REPORT_SCREENSHOT when
# that is set.
# Env: VIGIL_BIN (default build/vigil), VIGIL_CORPUS (default ../shared/corpus), CHROMIUM.
set -u
cd "$(dirname "$0")/../.."
VIGIL=${VIGIL_BIN:-build/vigil}
CORPUS=${VIGIL_CORPUS:-../shared/corpus}
PY=/usr/bin/python3
CAP=$CORPUS/foxit-quantuminsert/pcaps/qi_local_SYNACK_slashdot_redirect.pcap
CHROME=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
has() { # has LABEL FILE TEXT
  if grep -qF -- "$3" "$2"; then ok; else bad "$1: '$3' not found"; fi
}

if [ -z "$CHROME" ]; then
  echo "report_chromium: chromium not found (scripts/install-deps.sh installs it)"
  echo "report_chromium: 0 passed, 1 failed"
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$work/out
shot=${REPORT_SCREENSHOT:-$work/report.png}

"$VIGIL" analyze -q --report -o "$out" "$CAP"
if [ $? -eq 0 ] && [ -s "$out/report.html" ]; then ok; else bad "vigil analyze --report"; fi

# the page is self-contained: no script, no external resource
for pat in '<script' '<link' 'src="http' "src='http" '@import' 'url(http' 'javascript:'; do
  if grep -qiF -- "$pat" "$out/report.html"; then bad "report.html contains $pat"; else ok; fi
done
if grep -qiE '<[^>]* on[a-z]+=' "$out/report.html"; then bad "report.html has an on* handler"; else ok; fi

chrome() { # chrome EXTRA-ARGS... : headless Chromium on the report, private profile, no network
  HOME=$work timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$(mktemp -d -p "$work")" --window-size=1280,2000 --hide-scrollbars "$@" \
    "file://$(cd "$out" && pwd)/report.html"
}

# 1. the DOM as the browser built it, with console logging on: no console message, no failed
# load (the page has no script; a message would mean a parse problem or an external resource)
chrome --enable-logging=stderr --v=0 --dump-dom >"$work/dom.html" 2>"$work/dom.err"
if [ -s "$work/dom.html" ]; then ok; else bad "no DOM dump (see below)"; tail -5 "$work/dom.err"; fi
if grep -E 'CONSOLE|Uncaught|Failed to load resource|net::ERR_' "$work/dom.err"; then
  bad "console messages while rendering (above)"
else ok; fi
has "summary" "$work/dom.html" 'id="summary"'
has "summary packets" "$work/dom.html" '1,313'
has "timeline" "$work/dom.html" 'id="timeline"'
has "timeline svg" "$work/dom.html" 'aria-label="findings over time"'
has "findings" "$work/dom.html" 'id="findings"'
has "the finding" "$work/dom.html" 'VIGIL TAMPER TCP injection race: sloppy injection'
has "first contestant" "$work/dom.html" 'First contestant'
has "second contestant" "$work/dom.html" 'Second contestant'
has "forged verdict" "$work/dom.html" '<span class="vd forged">forged</span>'
has "genuine verdict" "$work/dom.html" '<span class="vd genuine">genuine</span>'
has "differing bytes" "$work/dom.html" '<b>'
has "hex dump" "$work/dom.html" 'class="hex"'
has "TTL plot" "$work/dom.html" 'TTL of the sender'
has "IP ID plot" "$work/dom.html" 'aria-label="IP ID over time"'
has "talkers" "$work/dom.html" 'id="talkers"'
has "top alerts" "$work/dom.html" 'id="alerts"'

# the evidence link points at a file that exists and holds the contestants at the given numbers
link=$(grep -o 'href="evidence/[0-9]*\.pcap"' "$work/dom.html" | head -1 | sed 's/href="//; s/"$//')
if [ -n "$link" ] && [ -s "$out/$link" ]; then ok; else bad "evidence link '$link' has no file"; fi
$PY - "$out/eve.json" "$out" <<'EOF'
import json, struct, sys
ok = False
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("event_type") != "alert" or "evidence" not in e:
        continue
    data = open(sys.argv[2] + "/" + e["evidence"]["pcap"], "rb").read()
    assert struct.unpack("<I", data[:4])[0] == 0xa1b23c4d
    off, recs = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        recs.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    for c, k in zip(e["tamper"]["contestants"], e["evidence"]["packets"]):
        frame = recs[k - 1]
        ip = frame[14:]
        assert ip[8] == c["ttl"], (k, ip[8], c["ttl"])
        assert struct.unpack(">H", ip[4:6])[0] == c["ip_id"]
        assert struct.unpack(">I", ip[(ip[0] & 15) * 4 + 4:(ip[0] & 15) * 4 + 8])[0] == c["seq"]
    ok = True
sys.exit(0 if ok else 1)
EOF
if [ $? -eq 0 ]; then ok; else bad "evidence packets do not match the contestants"; fi

# 2. the screenshot (headless Chromium writes none with scriptEnabled=false, so JavaScript stays
# on here; the page has none: no <script> and no on* handler, checked above)
chrome --screenshot="$shot" >"$work/shot.out" 2>"$work/shot.err"
$PY - "$shot" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", d[16:24])
assert (w, h) == (1280, 2000), (w, h)
assert len(d) > 50000, "suspiciously small screenshot: %d bytes" % len(d)
EOF
if [ $? -eq 0 ]; then ok; else bad "screenshot $shot"; fi

echo "report_chromium: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
