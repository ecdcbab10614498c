#!/usr/bin/env bash
# config_test.sh - `vigil config check` and `vigil analyze -c`: the OK line and the exit codes,
# file:line:column errors and warnings, and that the file's values reach the pipeline (HOME_NET
# changes which packets a rule alerts on in tests/sample/demo.pcap) with flags winning over them;
# the capture section of `vigil run` (checked, and run -c's errors before any capture is opened).
# Prints "config cli: N passed, N failed".
set -u
cd "$(dirname "$0")/../.."
V=${VIGIL_BIN:-build/vigil}
PCAP=tests/sample/demo.pcap
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect DESC CODE CMD...: runs CMD, keeps stdout/stderr in $T/out, $T/err, checks the exit code
expect() {
  local desc=$1 code=$2; shift 2
  "$@" >"$T/out" 2>"$T/err"; local rc=$?
  if [ $rc -eq "$code" ]; then ok; else bad "$desc: exit $rc, expected $code"; sed 's/^/  | /' "$T/err" | head -5; fi
}
# has DESC FILE REGEX
has() { if grep -Eq -- "$3" "$2"; then ok; else bad "$1: no line matching '$3' in:"; sed 's/^/  | /' "$2" | head -8; fi; }
hasnt() { if grep -Eq -- "$3" "$2"; then bad "$1: unexpected '$3'"; else ok; fi; }

# ---- config check ----
expect "sample config" 0 "$V" config check dist/vigil.yaml
has "sample OK line" "$T/out" '^OK dist/vigil\.yaml: 9 address and 6 port variable\(s\), 0 rule file\(s\)'
expect "help" 0 "$V" config check --help
has "help text" "$T/out" '^usage: vigil config check'
expect "no file" 2 "$V" config check
expect "two files" 2 "$V" config check a b
expect "unknown subcommand" 2 "$V" config validate x
expect "missing file" 1 "$V" config check "$T/none.yaml"
has "missing file message" "$T/err" "^vigil: error: $T/none.yaml: cannot open: No such file"

printf 'flow:\n  memcapp: 64mb\nstream:\n  memcap: 64zb\nworkers: lots\n' >"$T/bad.yaml"
expect "broken file" 1 "$V" config check "$T/bad.yaml"
has "unknown key at 2:3" "$T/err" "^vigil: error: $T/bad.yaml:2:3: unknown key 'memcapp' in flow \(did you mean 'memcap'\?\)$"
has "bad size at 4:11" "$T/err" "^vigil: error: $T/bad.yaml:4:11: memcap: expected a size"
has "wrong type at 5:10" "$T/err" "^vigil: error: $T/bad.yaml:5:10: workers: expected a whole number, not 'lots'$"
has "error count" "$T/err" "^vigil: $T/bad.yaml: 3 error\(s\)$"
hasnt "no OK line" "$T/out" '^OK'

printf 'a: &x 1\n' >"$T/alias.yaml"
expect "alias" 1 "$V" config check "$T/alias.yaml"
has "alias message" "$T/err" "$T/alias.yaml:1:4: anchors \(&x\) and aliases are not supported"
printf 'flow:\n\tmax-flows: 1\n' >"$T/tab.yaml"
expect "tab" 1 "$V" config check "$T/tab.yaml"
has "tab message" "$T/err" "$T/tab.yaml:2:1: tab character"
head -c 2000 /bin/sh >"$T/bin.yaml"
expect "binary" 1 "$V" config check "$T/bin.yaml"

printf 'flow:\n  hash-size: 65536\nrule-files: [missing.rules]\n' >"$T/warn.yaml"
expect "warnings only" 0 "$V" config check "$T/warn.yaml"
has "ignored key warning" "$T/err" "^vigil: warning: $T/warn.yaml:2:3: hash-size: not used by vigil"
has "missing rule file warning" "$T/err" "^vigil: warning: $T/warn.yaml:3:14: rule file $T/missing.rules: No such file"
has "OK with warnings" "$T/out" "^OK $T/warn.yaml: .*; 2 warning\(s\)$"
expect "quiet" 0 "$V" config check -q "$T/warn.yaml"
if [ ! -s "$T/out" ] && [ ! -s "$T/err" ]; then ok; else bad "-q printed something"; fi

# ---- analyze -c: HOME_NET reaches the rules ----
echo 'alert tcp any any -> $HOME_NET any (msg:"syn to home"; flags:S; sid:1000001; rev:1;)' >"$T/home.rules"
cat >"$T/home.yaml" <<'Y'
vars:
  address-groups:
    HOME_NET: "[93.184.216.34,203.0.113.10]"
rule-files:
  - home.rules
rule-cache:
  dir: cache
default-log-dir: out-config
outputs:
  - eve-log:
      filename: events.json
      types: [dns]
Y
alerts() { grep '"signature_id":1000001' "$1" | grep -o '"dest_ip":"[^"]*"' | sort | tr '\n' ' '; }
expect "analyze -c" 0 "$V" analyze -c "$T/home.yaml" --no-progress -q $PCAP
f=$T/out-config/events.json
if [ -f "$f" ]; then ok; else bad "default-log-dir + filename: $f not written"; fi
got=$(alerts "$f")
[ "$got" = '"dest_ip":"203.0.113.10" "dest_ip":"93.184.216.34" ' ] && ok || bad "HOME_NET from the file: alerts on '$got'"
has "types from the file: dns written" "$f" '"event_type":"dns"'
hasnt "types from the file: no flow events" "$f" '"event_type":"flow"'
# the same rule without the file: the default HOME_NET (RFC 1918) is never the destination of a SYN
expect "analyze without -c" 0 "$V" analyze --rules "$T/home.rules" --rules-cache "$T/cache" -o "$T/out-plain" --no-progress -q $PCAP
got=$(alerts "$T/out-plain/eve.json")
[ -z "$got" ] && ok || bad "default HOME_NET: alerts on '$got'"
# flags win: -o over default-log-dir, --eve-types over types; -c may come anywhere (here: -qc)
expect "flags over the file" 0 "$V" analyze --no-progress $PCAP -o "$T/out-flags" --eve-types flow -qc "$T/home.yaml"
f=$T/out-flags/events.json
if [ -f "$f" ]; then ok; else bad "-o did not win over default-log-dir"; fi
has "--eve-types over types: flow written" "$f" '"event_type":"flow"'
hasnt "--eve-types over types: no dns" "$f" '"event_type":"dns"'
got=$(alerts "$f")
[ -n "$got" ] && ok || bad "rules from the file lost when flags are given"
# --rules adds to the file's rule-files
echo 'alert udp any any -> any 53 (msg:"dns"; sid:1000002; rev:1;)' >"$T/dns.rules"
expect "--rules adds" 0 "$V" analyze -c "$T/home.yaml" --rules "$T/dns.rules" -o "$T/out-add" --no-progress -q $PCAP
has "file rule kept" "$T/out-add/events.json" '"signature_id":1000001'
has "flag rule added" "$T/out-add/events.json" '"signature_id":1000002'

# ---- analyze -c with a bad file ----
expect "analyze -c broken" 2 "$V" analyze -c "$T/bad.yaml" -o "$T/o2" $PCAP
has "analyze prints the position" "$T/err" "$T/bad.yaml:2:3: unknown key 'memcapp'"
if [ ! -e "$T/o2" ]; then ok; else bad "output written despite a broken config"; fi
printf 'rule-files: [nothere.rules]\n' >"$T/norules.yaml"
expect "analyze -c missing rule file" 2 "$V" analyze -c "$T/norules.yaml" -o "$T/o3" $PCAP
has "missing rule file names the config line" "$T/err" "$T/norules.yaml:1:14: rule-files $T/nothere.rules: "
expect "analyze --help with a broken -c" 0 "$V" analyze -c "$T/bad.yaml" --help
has "analyze help mentions -c" "$T/out" '^  -c, --config FILE'
expect "analyze -c without FILE" 2 "$V" analyze $PCAP -c
expect "analyze -c missing" 2 "$V" analyze -c "$T/none.yaml" $PCAP

# ---- the capture section (vigil run): config check, and run -c errors before any capture ----
printf 'capture:\n  interfaces: [eth0, eth1]\n  method: pcap\n  snaplen: 1500\n  bpf: "tcp port 80"\n  promisc: no\n  user: nobody\nworkers: 1\nstats-interval: 30s\n' >"$T/cap.yaml"
expect "capture section" 0 "$V" config check "$T/cap.yaml"
has "capture section OK line" "$T/out" "^OK $T/cap.yaml: .*1 worker\(s\)$"
printf 'capture:\n  interfaces: [eth0]\n  method: netmap\n  snaplen: 10\n  promisc: maybe\nstats-interval: 2d\n' >"$T/capbad.yaml"
expect "broken capture section" 1 "$V" config check "$T/capbad.yaml"
has "capture.method at 3:11" "$T/err" "$T/capbad.yaml:3:11: method: expected afpacket, pcap or auto, not 'netmap'$"
has "capture.snaplen at 4:12" "$T/err" "$T/capbad.yaml:4:12: snaplen: 10 is out of range \(64 to 262144\)$"
has "capture.promisc at 5:12" "$T/err" "$T/capbad.yaml:5:12: promisc: expected yes or no"
has "stats-interval at 6:17" "$T/err" "$T/capbad.yaml:6:17: stats-interval: 2d is out of range"
expect "run -c broken" 2 "$V" run -c "$T/capbad.yaml" -o "$T/o4"
has "run prints the position" "$T/err" "$T/capbad.yaml:3:11: method"
if [ ! -e "$T/o4" ]; then ok; else bad "run: output written despite a broken config"; fi
expect "run --help with a broken -c" 0 "$V" run -c "$T/capbad.yaml" --help
has "run help mentions -c" "$T/out" '^  -c, --config FILE'
printf 'workers: 2\n' >"$T/noif.yaml"
expect "run -c without interfaces" 2 "$V" run -c "$T/noif.yaml" -o "$T/o5"
has "run names capture.interfaces" "$T/err" "capture.interfaces in the configuration"
printf 'workers: 2\ncapture:\n  interfaces: [lo]\n  method: pcap\n' >"$T/pcap2.yaml"
expect "run -c pcap with 2 workers" 2 "$V" run -c "$T/pcap2.yaml" -o "$T/o6"
has "pcap runs one worker" "$T/err" "runs one worker"
printf 'rule-files: [nothere.rules]\ncapture:\n  interfaces: [lo]\n' >"$T/runnorules.yaml"
expect "run -c missing rule file" 2 "$V" run -c "$T/runnorules.yaml" -o "$T/o7"
has "run: missing rule file names the config line" "$T/err" "$T/runnorules.yaml:1:14: rule-files $T/nothere.rules: "
expect "run -c without FILE" 2 "$V" run -i lo -c

echo "config cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
