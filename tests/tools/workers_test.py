#!/usr/bin/python3
"""workers_test.py - `vigil analyze --workers N` writes the same events as one worker.

For each capture set below, runs
    vigil analyze --no-progress [args] --workers N -o TMP FILES...     for N = 1, 2, 4
and compares the multiset of EVE lines (sorted) of N = 2 and 4 with N = 1, and the messages on
stderr (sorted: a warning about the input is printed once, not once per worker).

Normalised, and why:
  - the `stats` event is left out: it is one event with counters summed over the workers, and a
    few of its fields cannot be equal (flow.active_max / memuse_max are sums of per-worker peaks,
    vigil.stats.output.eve.events counts the events that exist when it is written). Its SHAPE is
    checked instead: the same keys as with one worker, and decoder.pkts / flow totals equal.
Nothing else is normalised: flow ids, pcap_cnt, timestamps, evidence names and every alert
must be byte-identical line by line.

Capture sets: every tests/pcap case with a capture (its args, e.g. --ioc, kept), Fox-IT QUANTUM
INSERT and HoneyBadger captures, a few chrissanders captures (tcp/http/dns/ip fragments), the
corpus bench capture, suricata-verify cases with their rules, a pipe (stdin: the ring path),
and one run with --evidence (the set of evidence file names compared too).

Environment: VIGIL_BIN (default build/vigil), VIGIL_CORPUS (default ../shared/corpus),
WORKERS_QUICK=1 for a short selection (the sanitizer runs). When build-tsan/vigil exists
(make build-tsan; or VIGIL_TSAN_BIN), three captures also run under ThreadSanitizer (a race report
is a failure).
Last line: "workers: N passed, N failed".
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("VIGIL_BIN", os.path.join(REPO, "build", "vigil"))
CORPUS = os.environ.get("VIGIL_CORPUS") or next(
    (c for c in (os.path.join(REPO, "..", "shared", "corpus"),
                 os.path.join(REPO, "..", "..", "shared", "corpus")) if os.path.isdir(c)),
    os.path.join(REPO, "..", "shared", "corpus"))
QUICK = os.environ.get("WORKERS_QUICK") == "1"
COUNTS = [int(x) for x in os.environ.get("WORKERS_COUNTS", "2,4").split(",")]


def pcap_cases():
    """(name, args, files) of tests/pcap cases that read a capture and expect success."""
    out = []
    for ty in sorted(glob.glob(os.path.join(REPO, "tests", "pcap", "*", "test.yaml"))):
        d = os.path.dirname(ty)
        with open(ty) as f:
            spec = yaml.safe_load(f) or {}
        if spec.get("exit-code", 0) not in (0, None) or spec.get("skip"):
            continue
        p = spec.get("pcap", [])
        p = [p] if isinstance(p, str) else list(p)
        files = []
        for x in p:
            if x.startswith("corpus:"):
                files.append(os.path.join(CORPUS, x[len("corpus:"):]))
            else:
                files.append(os.path.join(d, x))
        if not files or not all(os.path.isfile(x) for x in files):
            continue
        args = [str(a) for a in (spec.get("args") or [])]
        if any(a.startswith("--no-such") for a in args):
            continue
        out.append(("pcap/" + os.path.basename(d), args, files))
    return out


def corpus_cases():
    out = []
    sel = [
        "foxit-quantuminsert/pcaps/*.pcap",
        "honeybadger-pcap-files/*.pcap",
        "chrissanders-packets/ip_frag_source.pcapng",
        "chrissanders-packets/sessionhijacking.pcapng",
        "chrissanders-packets/dns_lab.pcapng",
        "chrissanders-packets/http_espn_fail.pcapng",
        "chrissanders-packets/tcp_teardown.pcapng",
        "chrissanders-packets/icmp_traceroute.pcapng",
    ]
    for pat in sel:
        for f in sorted(glob.glob(os.path.join(CORPUS, pat))):
            out.append((os.path.relpath(f, CORPUS), [], [f]))
    bench = os.path.join(CORPUS, "bench", "elcabezzonn-lab-mixed-merged.pcap")
    if os.path.isfile(bench) and not QUICK:
        out.append(("bench/elcabezzonn-lab-mixed-merged.pcap", [], [bench]))
    # suricata-verify cases with rules: the first ones (sorted) whose pcap is a single file
    sv = os.path.join(CORPUS, "suricata-verify", "tests")
    n = 0
    for rules in sorted(glob.glob(os.path.join(sv, "*", "test.rules"))):
        d = os.path.dirname(rules)
        pcaps = sorted(glob.glob(os.path.join(d, "*.pcap")))
        if len(pcaps) != 1 or os.path.getsize(pcaps[0]) > (2 << 20):
            continue
        name = os.path.basename(d)
        # a spread: tcp/http/dns/tls/frag rules
        if not any(k in name for k in ("http", "dns", "tls", "tcp", "frag", "alert", "stream")):
            continue
        out.append(("sv/" + name, ["--rules", rules], pcaps))
        n += 1
        if n >= (4 if QUICK else 25):
            break
    return out


def run(args, files, n, outdir, stdin_file=None):
    cmd = [BIN, "analyze", "--no-progress", "--workers", str(n), "-o", outdir] + args
    env = dict(os.environ, TZ="UTC")
    if stdin_file:
        # a real pipe (a file on stdin would be mapped like any file): the ring path
        cat = subprocess.Popen(["cat", stdin_file], stdout=subprocess.PIPE)
        r = subprocess.run(cmd + ["/dev/stdin"], stdin=cat.stdout, capture_output=True, env=env,
                           timeout=600)
        cat.stdout.close()
        cat.wait()
    else:
        r = subprocess.run(cmd + files, capture_output=True, env=env, timeout=600)
    lines = []
    stats = None
    eve = os.path.join(outdir, "eve.json")
    if os.path.exists(eve):
        with open(eve, "rb") as f:
            for ln in f:
                ln = ln.rstrip(b"\n")
                if b'"event_type":"stats"' in ln[:80]:
                    stats = json.loads(ln)
                    continue
                lines.append(ln)
    lines.sort()
    return r.returncode, lines, stats, r.stderr.decode(errors="replace")


def keys(o, pre=""):
    out = set()
    if isinstance(o, dict):
        for k, v in o.items():
            out.add(pre + k)
            out |= keys(v, pre + k + ".")
    return out


def compare(name, args, files, tmp, stdin_file=None, evidence=False):
    """Returns a failure message or None."""
    extra = ["--evidence"] if evidence else []
    base = os.path.join(tmp, "w1")
    rc1, l1, s1, e1 = run(args + extra, files, 1, base, stdin_file)
    for n in COUNTS:
        od = os.path.join(tmp, "w%d" % n)
        rcn, ln, sn, en = run(args + extra, files, n, od, stdin_file)
        if rcn != rc1:
            return "%d workers: exit %d, 1 worker: exit %d (%s)" % (n, rcn, rc1, en.strip()[:300])
        if "AddressSanitizer" in en or "ThreadSanitizer" in en or "runtime error" in en:
            return "%d workers: sanitizer report:\n%s" % (n, en[:3000])
        # messages about the input: the same, once each (rules compile times differ: dropped)
        m1 = sorted(x for x in e1.splitlines() if "compiled in" not in x and "cache" not in x)
        mn = sorted(x for x in en.splitlines() if "compiled in" not in x and "cache" not in x)
        if m1 != mn:
            return "%d workers: stderr differs: %s vs 1 worker: %s" % (n, mn[:4], m1[:4])
        if ln != l1:
            a, b = set(l1), set(ln)
            only1 = [x for x in l1 if x not in b][:3]
            onlyn = [x for x in ln if x not in a][:3]
            return "%d workers: %d events, 1 worker: %d; only with 1: %s; only with %d: %s" % (
                n, len(ln), len(l1), [x[:300] for x in only1], n, [x[:300] for x in onlyn])
        if (s1 is None) != (sn is None):
            return "%d workers: stats event present %s, 1 worker %s" % (n, sn is not None,
                                                                        s1 is not None)
        if s1 is not None:
            k1, kn = keys(s1), keys(sn)
            if k1 != kn:
                return "%d workers: stats keys differ: %s" % (n, sorted(k1 ^ kn)[:10])
            for path in (("decoder", "pkts"), ("decoder", "bytes"), ("flow", "total")):
                v1, vn = s1["stats"], sn["stats"]
                for p in path:
                    v1, vn = v1.get(p, {}), vn.get(p, {})
                if v1 != vn:
                    return "%d workers: stats.%s = %s, 1 worker: %s" % (n, ".".join(path), vn, v1)
        if evidence:
            ev1 = sorted(os.listdir(os.path.join(base, "evidence"))) if os.path.isdir(
                os.path.join(base, "evidence")) else []
            evn = sorted(os.listdir(os.path.join(od, "evidence"))) if os.path.isdir(
                os.path.join(od, "evidence")) else []
            if ev1 != evn:
                return "%d workers: evidence files %s, 1 worker: %s" % (n, evn[:5], ev1[:5])
        shutil.rmtree(od, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)
    return None


def main():
    global BIN
    if not os.access(BIN, os.X_OK):
        print("workers: vigil binary %s not found" % BIN)
        print("workers: 0 passed, 1 failed")
        return 1
    cases = pcap_cases() + corpus_cases()
    if QUICK:
        cases = [c for c in cases if c[0].startswith(("pcap/apprace", "pcap/ipv4-frag",
                                                       "pcap/beacon", "pcap/flow-timeouts",
                                                       "foxit", "honeybadger", "sv/"))]
    print("workers: %d capture sets (%d tests/pcap cases, %d suricata-verify cases with rules), "
          "workers %s against 1" % (len(cases), sum(c[0].startswith("pcap/") for c in cases),
                                   sum(c[0].startswith("sv/") for c in cases), COUNTS))
    npass = nfail = 0
    tmp_root = tempfile.mkdtemp(prefix="vigil-workers-")
    total_events = 0
    try:
        for name, args, files in cases:
            tmp = tempfile.mkdtemp(dir=tmp_root)
            msg = compare(name, args, files, tmp)
            if msg:
                nfail += 1
                print("FAIL %s: %s" % (name, msg))
            else:
                npass += 1
            shutil.rmtree(tmp, ignore_errors=True)
        # the pipe path (a reader thread and a ring per worker) and evidence files
        extra = [("pipe: foxit qi_local_SYNACK_putty_dl", "foxit-quantuminsert/pcaps/"
                  "qi_local_SYNACK_putty_dl.pcap", True, False),
                 ("pipe: bench capture", "bench/elcabezzonn-lab-mixed-merged.pcap", not QUICK,
                  False),
                 # LAN spoofing judges the whole link: worker 0 is told of the other workers'
                 # frames through the ring (REC_LAN)
                 ("pipe: arppoison (LAN detector)", "chrissanders-packets/arppoison.pcapng", True,
                  True),
                 ("evidence: honeybadger netcat1", "honeybadger-pcap-files/"
                  "ordered_coalesce_netcat1.pcap", False, True),
                 ("evidence: foxit qi_local_SYNACK_curl_jsonip", "foxit-quantuminsert/pcaps/"
                  "qi_local_SYNACK_curl_jsonip.pcap", False, True)]
        for name, rel, pipe, ev in extra:
            f = os.path.join(CORPUS, rel)
            if not os.path.isfile(f) or (QUICK and "bench" in rel):
                continue
            tmp = tempfile.mkdtemp(dir=tmp_root)
            msg = compare(name, [], [f], tmp, stdin_file=f if pipe else None, evidence=ev)
            if msg:
                nfail += 1
                print("FAIL %s: %s" % (name, msg))
            else:
                npass += 1
            shutil.rmtree(tmp, ignore_errors=True)
        # ThreadSanitizer build (make build-tsan), when there: a few captures, file and pipe paths
        tsan = os.environ.get("VIGIL_TSAN_BIN", os.path.join(REPO, "build-tsan", "vigil"))
        tsan_unit = os.path.join(os.path.dirname(tsan), "test_workers")
        if not QUICK and os.access(tsan_unit, os.X_OK):
            # the EVE sink with 4 concurrent writers and rotation, under ThreadSanitizer
            r = subprocess.run([tsan_unit], capture_output=True, timeout=600)
            out = (r.stdout + r.stderr).decode(errors="replace")
            if r.returncode != 0 or "ThreadSanitizer" in out:
                nfail += 1
                print("FAIL tsan: test_workers: exit %d\n%s" % (r.returncode, out[-3000:]))
            else:
                npass += 1
        if not QUICK and os.access(tsan, os.X_OK):
            BIN = tsan
            for name, rel, pipe, args in [
                    ("tsan: foxit qi_local_SYNACK_putty_dl", "foxit-quantuminsert/pcaps/"
                     "qi_local_SYNACK_putty_dl.pcap", False, []),
                    ("tsan: honeybadger netcat1 (pipe)", "honeybadger-pcap-files/"
                     "ordered_coalesce_netcat1.pcap", True, []),
                    ("tsan: bench capture", "bench/elcabezzonn-lab-mixed-merged.pcap", False,
                     ["--evidence"])]:
                f = os.path.join(CORPUS, rel)
                if not os.path.isfile(f):
                    continue
                tmp = tempfile.mkdtemp(dir=tmp_root)
                msg = compare(name, args, [f], tmp, stdin_file=f if pipe else None)
                if msg:
                    nfail += 1
                    print("FAIL %s: %s" % (name, msg))
                else:
                    npass += 1
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    print("workers: %d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
