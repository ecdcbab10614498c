#!/usr/bin/python3
"""run_pcap_tests.py - suricata-verify style runner for vigil's pcap cases.

    /usr/bin/python3 tests/tools/run_pcap_tests.py [-v] [-k SUBSTR] [-j N] [--keep] [CASE_DIR...]
    /usr/bin/python3 tests/tools/run_pcap_tests.py --selftest

Runs every tests/pcap/*/test.yaml (or only the case folders given), each twice:
    $VIGIL_BIN analyze -o TMPDIR [args...] FILE...        (TZ=UTC, default VIGIL_BIN build/vigil)
and fails a case when
  * the exit code differs from `exit-code` (default 0), or vigil died of a signal / timed out,
  * a `stderr-contains` string is missing from stderr,
  * a line of eve.json is not JSON or, minus vigil's own keys, not valid against Suricata's EVE
    schema (tests/tools/eve_schema.py),
  * an exit-0 run left no eve.json or its last event is not `stats`,
  * a check does not hold,
  * the two runs' eve.json differ (vigil must be deterministic).
A case whose capture is "corpus:<path>" is SKIPPED when the corpus ($VIGIL_CORPUS, default
../shared/corpus from the repo root) is absent.

test.yaml:
    pcap: input.pcap            # or [a.pcap, b.pcap], relative to the case folder; "corpus:<path>"
    args: []                    # extra arguments, placed before the files; "case:<file>" is a
                                #   file of the case folder (e.g. a rules file)
    exit-code: 0
    stderr-contains: ["..."]
    checks:
      - filter: {count: 1, match: {event_type: flow, "flow.pkts_toserver": 4}}
`match` keys are dotted paths into the event (list indexes allowed: "vlan.0"; a trailing ".__len"
takes a length). A value is compared for equality (strictly: true is not 1), or is an operator map:
{__exists: bool}, {__len: n}, {__lt|__le|__gt|__ge|__ne: v}. `count` is the exact number of
matching events; without it at least one must match.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
import eve_schema  # noqa: E402

CASE_KEYS = {"pcap", "args", "exit-code", "stderr-contains", "checks", "requires", "skip"}
MISSING = object()
OPS = ("__exists", "__len", "__lt", "__le", "__gt", "__ge", "__ne")


def vigil_bin():
    b = os.environ.get("VIGIL_BIN")
    return os.path.abspath(b) if b else os.path.join(REPO, "build", "vigil")


def corpus_root():
    return eve_schema.corpus_root()


# ---- matching -----------------------------------------------------------------------------------

def get_path(obj, path):
    cur = obj
    for part in path.split("."):
        if part == "__len":
            if isinstance(cur, (list, dict, str)):
                cur = len(cur)
                continue
            return MISSING
        if isinstance(cur, dict):
            if part not in cur:
                return MISSING
            cur = cur[part]
        elif isinstance(cur, list):
            try:
                cur = cur[int(part)]
            except (ValueError, IndexError):
                return MISSING
        else:
            return MISSING
    return cur


def strict_eq(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(strict_eq(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(strict_eq(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def value_ok(actual, expected):
    if isinstance(expected, dict) and expected and all(k in OPS for k in expected):
        for op, want in expected.items():
            if op == "__exists":
                if (actual is not MISSING) != bool(want):
                    return False
            elif op == "__len":
                if not isinstance(actual, (list, dict, str)) or len(actual) != want:
                    return False
            elif op == "__ne":
                if actual is MISSING or strict_eq(actual, want):
                    return False
            else:
                if not (_num(actual) and _num(want)):
                    return False
                if op == "__lt" and not actual < want:
                    return False
                if op == "__le" and not actual <= want:
                    return False
                if op == "__gt" and not actual > want:
                    return False
                if op == "__ge" and not actual >= want:
                    return False
        return True
    return actual is not MISSING and strict_eq(actual, expected)


def event_matches(ev, match):
    return all(value_ok(get_path(ev, k), v) for k, v in match.items())


def mismatches(ev, match):
    out = []
    for k, v in match.items():
        a = get_path(ev, k)
        if not value_ok(a, v):
            out.append("%s=%s (want %s)" % (k, "<missing>" if a is MISSING else json.dumps(a),
                                            json.dumps(v)))
    return out


def eval_check(events, check):
    """Returns None when the check holds, else a reason string."""
    if not isinstance(check, dict) or list(check) != ["filter"]:
        return "unsupported check %s (only 'filter' is supported)" % json.dumps(check)
    f = check["filter"]
    unknown = set(f) - {"count", "match", "comment"}
    if unknown or not isinstance(f.get("match"), dict):
        return "malformed filter %s" % json.dumps(f)
    match = f["match"]
    hits = [e for e in events if event_matches(e, match)]
    want = f.get("count")
    if want is None and hits:
        return None
    if want is not None and len(hits) == want:
        return None
    what = "count %s" % want if want is not None else "at least one"
    reason = "filter %s: want %s, got %d" % (json.dumps(match, sort_keys=False), what, len(hits))
    if not hits and (want is None or want > 0):
        # show the nearest event of the same type: the fields that differ
        same = [e for e in events if "event_type" not in match or
                e.get("event_type") == match.get("event_type")]
        if same:
            best = min(same, key=lambda e: len(mismatches(e, match)))
            reason += "; nearest differs in: " + ", ".join(mismatches(best, match))
    return reason


# ---- one case -----------------------------------------------------------------------------------

class Result:
    def __init__(self, name):
        self.name, self.status, self.reasons = name, "pass", []

    def fail(self, reason):
        self.status = "fail"
        self.reasons.append(reason)

    def skip(self, reason):
        self.status = "skip"
        self.reasons = [reason]


def load_case(case_dir):
    with open(os.path.join(case_dir, "test.yaml")) as f:
        spec = yaml.safe_load(f) or {}
    if not isinstance(spec, dict):
        raise ValueError("test.yaml is not a mapping")
    unknown = set(spec) - CASE_KEYS
    if unknown:
        raise ValueError("unknown keys in test.yaml: %s" % ", ".join(sorted(unknown)))
    return spec


def resolve_pcaps(case_dir, spec, corpus):
    """Returns (paths, skip_reason, error)."""
    p = spec.get("pcap", [])
    items = p if isinstance(p, list) else [p]
    out = []
    for item in items:
        if not isinstance(item, str):
            return None, None, "pcap entries must be strings"
        if item.startswith("corpus:"):
            if not os.path.isdir(corpus):
                return None, "corpus not found at %s" % corpus, None
            path = os.path.join(corpus, item[len("corpus:"):])
            if not os.path.exists(path):
                return None, None, "corpus file missing: %s" % path
            out.append(path)
        else:
            out.append(os.path.normpath(os.path.join(case_dir, item)))
    return out, None, None


def run_vigil(binary, outdir, args, pcaps, timeout):
    cmd = [binary, "analyze", "-o", outdir] + list(args) + list(pcaps)
    env = dict(os.environ, TZ="UTC", LC_ALL="C")
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, b"", b"timeout after %ds" % timeout, cmd
    return p.returncode, p.stdout, p.stderr, cmd


def read_eve(outdir):
    path = os.path.join(outdir, "eve.json")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        return f.read()


def run_case(case_dir, binary, corpus, validator, runs=2, timeout=120, keep=False):
    name = os.path.basename(os.path.normpath(case_dir))
    r = Result(name)
    try:
        spec = load_case(case_dir)
    except (OSError, ValueError, yaml.YAMLError) as e:
        r.fail("bad test.yaml: %s" % e)
        return r
    if spec.get("skip"):
        r.skip(str(spec["skip"]))
        return r
    pcaps, skip, err = resolve_pcaps(case_dir, spec, corpus)
    if skip:
        r.skip(skip)
        return r
    if err:
        r.fail(err)
        return r
    args = [os.path.join(case_dir, a[5:]) if isinstance(a, str) and a.startswith("case:") else a
            for a in (spec.get("args") or [])]
    want_rc = spec.get("exit-code", 0)
    outputs = []
    tmp_root = tempfile.mkdtemp(prefix="vigil-pcap-%s-" % name)
    try:
        for i in range(runs):
            outdir = os.path.join(tmp_root, "run%d" % (i + 1))
            os.makedirs(outdir)
            rc, out, errb, cmd = run_vigil(binary, outdir, args, pcaps, timeout)
            eve = read_eve(outdir)
            outputs.append(eve)
            tag = "" if i == 0 else " (run %d)" % (i + 1)
            if rc is None:
                r.fail("timed out after %ds%s: %s" % (timeout, tag, " ".join(cmd)))
                return r
            if rc < 0:
                r.fail("killed by signal %d%s: %s; stderr: %s" %
                       (-rc, tag, " ".join(cmd), errb.decode(errors="replace")[-400:].strip()))
                return r
            if rc != want_rc:
                r.fail("exit code %d, want %d%s; stderr: %s" %
                       (rc, want_rc, tag, errb.decode(errors="replace")[-400:].strip()))
            if i > 0:
                continue
            stderr = errb.decode(errors="replace")
            for s in spec.get("stderr-contains") or []:
                if s not in stderr:
                    r.fail("stderr lacks %r; stderr was: %s" % (s, stderr[-300:].strip() or "<empty>"))
            events = []
            if eve is None:
                if want_rc == 0 or spec.get("checks"):
                    r.fail("no eve.json written")
            else:
                lines = eve.decode("utf-8", errors="replace").splitlines()
                for n, line in enumerate(lines, 1):
                    try:
                        ev = json.loads(line)
                    except ValueError as e:
                        r.fail("eve.json line %d is not JSON: %s" % (n, e))
                        continue
                    if not isinstance(ev, dict):
                        r.fail("eve.json line %d is not an object" % n)
                        continue
                    events.append(ev)
                    if validator is not None:
                        errs = validator.errors(ev)
                        if errs:
                            r.fail("schema: eve.json line %d (%s): %s" %
                                   (n, ev.get("event_type", "?"), "; ".join(errs)))
                if want_rc == 0 and rc == 0:
                    if not events or events[-1].get("event_type") != "stats":
                        r.fail("the last event of eve.json is not stats")
                    elif sum(1 for e in events if e.get("event_type") == "stats") != 1:
                        r.fail("eve.json holds more than one stats event")
            for c in spec.get("checks") or []:
                reason = eval_check(events, c)
                if reason:
                    r.fail(reason)
        if runs > 1 and any(o != outputs[0] for o in outputs[1:]):
            r.fail("not deterministic: eve.json differs between two runs of the same input%s" %
                   first_diff(outputs[0], next(o for o in outputs[1:] if o != outputs[0])))
    finally:
        if keep and r.status == "fail":
            r.reasons.append("output kept in %s" % tmp_root)
        else:
            shutil.rmtree(tmp_root, ignore_errors=True)
    return r


def first_diff(a, b):
    if a is None or b is None:
        return " (eve.json missing in one run)"
    la, lb = a.splitlines(), b.splitlines()
    for n, (x, y) in enumerate(zip(la, lb), 1):
        if x != y:
            return " (first at line %d: %s | %s)" % (n, x[:160].decode(errors="replace"),
                                                     y[:160].decode(errors="replace"))
    return " (%d vs %d lines)" % (len(la), len(lb))


def discover(dirs):
    if dirs:
        return [os.path.abspath(d) for d in dirs]
    base = os.path.join(REPO, "tests", "pcap")
    return sorted(os.path.join(base, d) for d in os.listdir(base)
                  if os.path.isfile(os.path.join(base, d, "test.yaml")))


def load_validator(quiet=False):
    try:
        return eve_schema.EveValidator()
    except OSError as e:
        if not quiet:
            print("warning: EVE schema not found (%s): schema validation skipped" % e)
        return None


def run_all(dirs, binary, corpus, jobs=2, runs=2, timeout=120, keep=False, verbose=False,
            name_filter=None, out=sys.stdout):
    validator = load_validator()
    cases = [d for d in discover(dirs) if not name_filter or name_filter in os.path.basename(d)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, jobs)) as ex:
        results = list(ex.map(lambda d: run_case(d, binary, corpus, validator, runs, timeout, keep),
                              cases))
    npass = nfail = nskip = 0
    for r in results:
        if r.status == "pass":
            npass += 1
            if verbose:
                print("PASS %s" % r.name, file=out)
        elif r.status == "skip":
            nskip += 1
            print("SKIP %s: %s" % (r.name, r.reasons[0]), file=out)
        else:
            nfail += 1
            for reason in r.reasons:
                print("FAIL %s: %s" % (r.name, reason), file=out)
    print("pcap: %d passed, %d failed%s" % (npass, nfail, ", %d skipped" % nskip if nskip else ""),
          file=out)
    return results, nfail


# ---- selftest -----------------------------------------------------------------------------------

FAKE_VIGIL = r'''#!/usr/bin/python3
# fake vigil for run_pcap_tests.py --selftest: behaviour comes from fake.json next to the input
import json, os, sys
a = sys.argv[1:]
if not a or a[0] != "analyze":
    sys.exit(2)
a = a[1:]
out = "vigil-out"
files = []
i = 0
while i < len(a):
    if a[i] == "-o":
        out = a[i + 1]; i += 2; continue
    files.append(a[i]); i += 1
spec = json.load(open(os.path.join(os.path.dirname(files[0]), "fake.json")))
os.makedirs(out, exist_ok=True)
lines = [json.dumps(e, separators=(",", ":")) for e in spec.get("eve", [])]
if spec.get("nondet"):
    cnt = os.path.join(os.path.dirname(files[0]), "counter")
    n = int(open(cnt).read()) + 1 if os.path.exists(cnt) else 1
    open(cnt, "w").write(str(n))
    lines.insert(0, json.dumps({"timestamp": "2023-11-14T22:13:20.%06d+0000" % n,
                                "event_type": "anomaly", "anomaly": {"type": "decode", "event": "x"}}))
if not spec.get("no_eve"):
    open(os.path.join(out, "eve.json"), "w").write("".join(l + "\n" for l in lines))
sys.stderr.write(spec.get("stderr", ""))
sys.exit(spec.get("exit", 0))
'''

TS = "2023-11-14T22:13:20.000000+0000"
FAKE_FLOW = {"timestamp": TS, "flow_id": 7, "event_type": "flow", "src_ip": "10.0.0.1",
             "src_port": 40000, "dest_ip": "10.0.0.2", "dest_port": 80, "proto": "TCP",
             "vlan": [100, 200],
             "flow": {"pkts_toserver": 5, "pkts_toclient": 3, "bytes_toserver": 292,
                      "bytes_toclient": 209, "start": TS, "end": TS, "age": 0, "state": "closed",
                      "reason": "shutdown", "alerted": False},
             "tcp": {"tcp_flags": "1b", "syn": True, "fin": True, "state": "closed"},
             "tamper": {"class": "forged_rst"}, "vigil": {"x": 1}}
FAKE_ANOM = {"timestamp": TS, "pcap_cnt": 3, "event_type": "anomaly",
             "anomaly": {"type": "decode", "event": "decoder.ipv4.trunc_pkt"}}
FAKE_STATS = {"timestamp": TS, "event_type": "stats",
              "stats": {"decoder": {"pkts": 10, "bytes": 670}, "flow": {"tcp": 1}},
              "vigil": {"anomalies": {}}}


def selftest():
    failures = []

    def expect(cond, what):
        if not cond:
            failures.append(what)

    # 1. matching logic
    ev = FAKE_FLOW
    expect(event_matches(ev, {"event_type": "flow", "flow.pkts_toserver": 5}), "dotted equality")
    expect(not event_matches(ev, {"flow.pkts_toserver": 4}), "dotted inequality")
    expect(not event_matches(ev, {"flow.nope": 4}), "missing key never equals")
    expect(event_matches(ev, {"flow.alerted": False}), "false equals false")
    expect(not event_matches(ev, {"flow.alerted": 0}), "0 is not false")
    expect(not event_matches(ev, {"tcp.syn": 1}), "1 is not true")
    expect(event_matches(ev, {"vlan": [100, 200]}), "list equality")
    expect(not event_matches(ev, {"vlan": [100]}), "list inequality")
    expect(event_matches(ev, {"vlan.1": 200, "vlan.__len": 2}), "list index and .__len")
    expect(event_matches(ev, {"vlan": {"__len": 2}}), "__len operator")
    expect(event_matches(ev, {"tcp.rst": {"__exists": False}}), "__exists false")
    expect(not event_matches(ev, {"tcp.syn": {"__exists": False}}), "__exists false on present key")
    expect(event_matches(ev, {"flow_id": {"__exists": True}}), "__exists true")
    expect(event_matches(ev, {"flow.bytes_toserver": {"__gt": 291, "__lt": 293}}), "__gt/__lt")
    expect(not event_matches(ev, {"flow.bytes_toserver": {"__gt": 292}}), "__gt strict")
    expect(event_matches(ev, {"flow.bytes_toserver": {"__ge": 292, "__le": 292}}), "__ge/__le")
    expect(not event_matches(ev, {"flow.state": {"__gt": 1}}), "comparison needs numbers")
    expect(event_matches(ev, {"flow.state": {"__ne": "new"}}), "__ne")
    expect(event_matches(ev, {"tcp": {"tcp_flags": "1b", "syn": True, "fin": True,
                                      "state": "closed"}}), "whole-object equality")
    evs = [FAKE_FLOW, FAKE_ANOM, FAKE_STATS]
    expect(eval_check(evs, {"filter": {"count": 1, "match": {"event_type": "flow"}}}) is None,
           "count 1 holds")
    expect(eval_check(evs, {"filter": {"count": 0, "match": {"event_type": "alert"}}}) is None,
           "count 0 holds")
    r = eval_check(evs, {"filter": {"count": 1, "match": {"event_type": "flow",
                                                          "flow.pkts_toserver": 4}}})
    expect(r and "want count 1, got 0" in r and "flow.pkts_toserver=5 (want 4)" in r,
           "count mismatch explains the nearest event: %s" % r)
    expect(eval_check(evs, {"filter": {"match": {"pcap_cnt": 3}}}) is None, "no count = at least one")
    expect(eval_check(evs, {"filter": {"match": {"pcap_cnt": 4}}}) is not None, "no count, no match")
    expect(eval_check(evs, {"shell": "true"}) is not None, "unsupported check type fails")
    expect(eval_check(evs, {"filter": {"count": 1}}) is not None, "filter without match fails")

    # 2. schema validation (needs the corpus schema)
    v = load_validator(quiet=True)
    if v is None:
        print("selftest: schema not found, schema checks skipped")
    else:
        expect(v.errors(FAKE_FLOW) == [], "valid flow (with vigil keys) passes: %s" % v.errors(FAKE_FLOW))
        expect(v.errors(FAKE_STATS) == [], "stats with top-level vigil passes")
        bad = dict(FAKE_FLOW, bogus=1)
        expect(any("bogus" in e for e in v.errors(bad)), "unknown top-level key fails")
        bad = json.loads(json.dumps(FAKE_FLOW))
        bad["flow"]["pkts_toserver"] = "5"
        expect(any("pkts_toserver" in e for e in v.errors(bad)), "wrong type fails")
        bad = dict(FAKE_STATS, stats={"decoder": {"pkts": 1}, "vigil": {}})
        expect(v.errors(bad) != [], "vigil under stats fails (it must be top-level)")
        expect(v.errors({"event_type": "flow"}) != [], "missing timestamp fails")

    # 3. whole-runner behaviour with a fake binary
    tmp = tempfile.mkdtemp(prefix="vigil-runner-selftest-")
    try:
        fake = os.path.join(tmp, "fake-vigil")
        with open(fake, "w") as f:
            f.write(FAKE_VIGIL)
        os.chmod(fake, 0o755)
        good_eve = [FAKE_FLOW, FAKE_ANOM, FAKE_STATS]
        good_checks = [{"filter": {"count": 1, "match": {"event_type": "flow", "src_port": 40000,
                                                         "flow.pkts_toserver": 5}}},
                       {"filter": {"count": 1, "match": {"event_type": "anomaly", "pcap_cnt": 3}}}]
        cases = {
            # name: (fake.json, test.yaml, expected status, expected reason substring)
            "ok": ({"eve": good_eve, "stderr": "vigil: warning: x: packet 2: short\n"},
                   {"pcap": "input.pcap", "stderr-contains": ["packet 2"], "checks": good_checks},
                   "pass", None),
            "count-mismatch": ({"eve": good_eve},
                               {"pcap": "input.pcap", "checks": [{"filter": {
                                   "count": 2, "match": {"event_type": "flow"}}}]},
                               "fail", "want count 2, got 1"),
            "exit-code": ({"eve": good_eve, "exit": 3}, {"pcap": "input.pcap"}, "fail",
                          "exit code 3, want 0"),
            "expected-exit-3": ({"no_eve": True, "exit": 3, "stderr": "vigil: error: f: bad magic"},
                                {"pcap": "input.pcap", "exit-code": 3,
                                 "stderr-contains": ["bad magic"]}, "pass", None),
            "stderr-missing": ({"eve": good_eve}, {"pcap": "input.pcap",
                                                   "stderr-contains": ["bad magic"]},
                               "fail", "stderr lacks 'bad magic'"),
            "nondeterministic": ({"eve": good_eve, "nondet": True}, {"pcap": "input.pcap"},
                                 "fail", "not deterministic"),
            "schema-invalid": ({"eve": [dict(FAKE_FLOW, bogus=1), FAKE_STATS]},
                               {"pcap": "input.pcap"}, "fail", "schema: eve.json line 1"),
            "stats-not-last": ({"eve": [FAKE_STATS, FAKE_FLOW]}, {"pcap": "input.pcap"}, "fail",
                               "last event of eve.json is not stats"),
            "no-eve": ({"no_eve": True}, {"pcap": "input.pcap"}, "fail", "no eve.json"),
            "bad-yaml-key": ({"eve": good_eve}, {"pcap": "input.pcap", "chekcs": []}, "fail",
                             "unknown keys"),
            "corpus-missing": ({"eve": good_eve}, {"pcap": "corpus:nope/x.pcap"}, "skip",
                               "corpus not found"),
        }
        for name, (fake_spec, yml, _, _) in cases.items():
            d = os.path.join(tmp, "cases", name)
            os.makedirs(d)
            with open(os.path.join(d, "input.pcap"), "wb") as f:
                f.write(b"")
            with open(os.path.join(d, "fake.json"), "w") as f:
                json.dump(fake_spec, f)
            with open(os.path.join(d, "test.yaml"), "w") as f:
                yaml.safe_dump(yml, f)
        dirs = [os.path.join(tmp, "cases", n) for n in cases]
        results = {r.name: r for r in (run_case(d, fake, os.path.join(tmp, "no-corpus"), v)
                                       for d in dirs)}
        for name, (_, _, status, sub) in cases.items():
            r = results[name]
            expect(r.status == status, "runner verdict for %s: %s, want %s (%s)" %
                   (name, r.status, status, r.reasons))
            if sub:
                expect(any(sub in x for x in r.reasons), "runner reason for %s mentions %r: %s" %
                       (name, sub, r.reasons))
        import io
        buf = io.StringIO()
        _, nfail = run_all(dirs[:3], fake, os.path.join(tmp, "no-corpus"), out=buf)
        expect(nfail == 2 and "pcap: 1 passed, 2 failed" in buf.getvalue(),
               "summary line: %r" % buf.getvalue())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL selftest: %s" % f)
    print("selftest: %s" % ("ok" if not failures else "%d failures" % len(failures)))
    return 1 if failures else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dirs", nargs="*", help="case folders (default: tests/pcap/*)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passing cases too")
    ap.add_argument("-k", dest="name_filter", help="only cases whose folder name contains this")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--runs", type=int, default=2, help="runs per case for the determinism check")
    ap.add_argument("--timeout", type=int, default=int(os.environ.get("VIGIL_TEST_TIMEOUT", 120)))
    ap.add_argument("--keep", action="store_true", help="keep the output of failing cases")
    ap.add_argument("--selftest", action="store_true", help="test this runner's own logic")
    args = ap.parse_args(argv)
    if args.selftest:
        return selftest()
    binary = vigil_bin()
    if not os.access(binary, os.X_OK):
        print("run_pcap_tests: vigil binary not found at %s (set VIGIL_BIN or run make build)"
              % binary, file=sys.stderr)
        return 2
    _, nfail = run_all(args.dirs, binary, corpus_root(), args.jobs, args.runs, args.timeout,
                       args.keep, args.verbose, args.name_filter)
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
