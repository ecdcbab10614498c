#!/usr/bin/python3
"""inpath_lab.py - recall and precision of the in-path detectors over the labelled lab.

    /usr/bin/python3 tests/tools/inpath_lab.py [--bin VIGIL] [--seed N] [--keep DIR] [-v]

Generates the lab with tests/gen/gen_lab_inpath.py (attack/<class>/*.pcap, benign/<confounder>/
*.pcap) into a temporary folder, runs `vigil analyze` on every capture and scores by path, as
bench/detection-eval does: a capture under attack/<class>/ is a positive for <class> (found when
vigil reports a finding of that class); a finding of class C in any other capture is a false
positive for C. Prints recall per class, the false positives per class and the benign captures
flagged, then `inpath-lab: N passed, N failed` where the checks are: recall >= 95 % for
inpath_rewrite and injected_redirect, and at most 1 % of the benign captures with any finding.
Exit 1 when a check fails, 2 when vigil or the generator cannot run.

Environment: VIGIL_BIN (default build/vigil).
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CLASSES = ["inpath_rewrite", "injected_redirect"]


def findings(vigil, pcap, tmp):
    out = tempfile.mkdtemp(dir=tmp)
    r = subprocess.run([vigil, "analyze", "-q", "--no-progress", "-o", out, pcap],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
    if r.returncode < 0:
        raise RuntimeError("%s: vigil died of signal %d" % (pcap, -r.returncode))
    got = []
    with open(os.path.join(out, "eve.json")) as f:
        for line in f:
            e = json.loads(line)
            t = e.get("tamper")
            if e.get("event_type") == "alert" and t:
                got.append((t["class"], t["subtype"], t["confidence"]))
    return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("VIGIL_BIN", os.path.join(REPO, "build", "vigil")))
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", help="generate the lab here and keep it")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if not os.access(a.bin, os.X_OK):
        print("inpath-lab: no vigil at %s" % a.bin)
        print("inpath-lab: 0 passed, 1 failed")
        return 2
    with tempfile.TemporaryDirectory(prefix="vigil-inpath-lab.") as tmp:
        lab = a.keep or os.path.join(tmp, "lab")
        r = subprocess.run(["/usr/bin/python3", os.path.join(REPO, "tests", "gen", "gen_lab_inpath.py"),
                            "--out", lab, "--seed", str(a.seed)], capture_output=True, text=True)
        if r.returncode != 0:
            print(r.stderr)
            print("inpath-lab: 0 passed, 1 failed")
            return 2
        pcaps = []
        for root, _, files in os.walk(lab):
            pcaps += [os.path.join(root, f) for f in files if f.endswith(".pcap")]
        pcaps.sort()
        with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
            res = dict(zip(pcaps, ex.map(lambda p: findings(a.bin, p, tmp), pcaps)))
    pos = {c: 0 for c in CLASSES}
    tp = {c: 0 for c in CLASSES}
    fp = {c: 0 for c in CLASSES}
    benign_n = benign_flagged = 0
    for p, got in res.items():
        rel = os.path.relpath(p, lab).split(os.sep)
        classes = {g[0] for g in got}
        label = rel[1] if rel[0] == "attack" else None
        if label in pos:
            pos[label] += 1
            if label in classes:
                tp[label] += 1
            else:
                print("  missed %s: %s" % (label, "/".join(rel)))
        else:
            benign_n += 1
            if got:
                benign_flagged += 1
                print("  benign flagged: %s %s" % ("/".join(rel), got))
        for c in classes:
            if c in fp and c != label:
                fp[c] += 1
                if label:
                    print("  false positive %s in %s" % (c, "/".join(rel)))
        if a.verbose and got:
            print("  %s: %s" % ("/".join(rel), got))
    passed = failed = 0
    for c in CLASSES:
        rec = 100.0 * tp[c] / pos[c] if pos[c] else 0.0
        prec = 100.0 * tp[c] / (tp[c] + fp[c]) if tp[c] + fp[c] else 100.0
        ok = pos[c] > 0 and rec >= 95.0
        print("inpath-lab: %-18s recall %5.1f %% (%d/%d), precision %5.1f %% (%d false positives)"
              % (c, rec, tp[c], pos[c], prec, fp[c]))
        passed, failed = passed + ok, failed + (not ok)
    share = 100.0 * benign_flagged / benign_n if benign_n else 100.0
    ok = benign_n >= 100 and share <= 1.0
    print("inpath-lab: benign captures flagged: %d of %d (%.1f %%)" % (benign_flagged, benign_n, share))
    passed, failed = passed + ok, failed + (not ok)
    print("inpath-lab: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
