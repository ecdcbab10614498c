#!/usr/bin/python3
"""benign_sweep.py - no tamper finding on benign traffic.

    /usr/bin/python3 tests/tools/benign_sweep.py [-v] [-j N] [--bin VIGIL] [--corpus DIR] [-k SUBSTR]

Runs `vigil analyze` over every capture file of the shared corpus (the rows of files.tsv with a
capture type; .gz files are decompressed to a temporary file first) except the attack captures
listed in ATTACKS below, and fails on every file for which vigil reports a tamper finding (an
event carrying a `tamper` object). A tamper finding on benign traffic is a false positive that a
responder would have to chase, so each one is printed with its class, subtype, flow and the
contestants' packet numbers.

Prints `benign-sweep: N passed, N failed` (and the number of excluded attack captures); exit 1
when any file failed, 2 when vigil or the corpus cannot be found. A run of vigil that dies of a
signal or with a sanitizer report on stderr fails too; exit codes other than 0 (e.g. 3, no
readable input in a deliberately broken file) are fine here - the corpus sweep judges those.

Environment: VIGIL_BIN (default build/vigil), VIGIL_CORPUS (default ../shared/corpus).
"""
import argparse
import concurrent.futures
import fnmatch
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

# Captures that contain what the tamper module looks for, on purpose. Patterns are fnmatch globs
# on the path relative to the corpus root; every entry says why it is not benign.
ATTACKS = [
    ("foxit-quantuminsert/*",
     "Fox-IT QUANTUMINSERT captures: injected responses racing the genuine ones (tests/pcap/"
     "tamper-corpus-foxit-* expect the findings)"),
    ("honeybadger-pcap-files/*",
     "HoneyBadger TCP injection captures: handshake hijack and ordered-coalesce injection "
     "(tests/pcap/tamper-corpus-honeybadger-* expect the findings)"),
    ("suricata-verify/tests/security-4710-0[12]/*",
     "RST-injection evasion (Suricata security ticket 4710): the client sends a RST and keeps "
     "sending data (suspected_rst_inject); a RST followed by its sender's data is forged_rst"),
    ("suricata-verify/tests/eve-overlap-payload-04-partial-overlap/*",
     "crafted overlap: 'XXX' sent over bytes 2-4 of 'GOOD' (different data in the same range, "
     "what an injection race looks like)"),
    ("suricata-verify/tests/eve-payload-04-partial-overlap/*",
     "the same crafted 'GOOD'/'XXX' overlap capture"),
    ("suricata-verify/tests/smtp-long-DATA-line/*",
     "hand-edited capture (frames 1 us apart): frame 22 was grown to 6458 bytes and overlaps "
     "frames 23-26, which carry other bytes for the same sequence numbers"),
    ("suricata-verify/tests/mac-eve-multiple-disabled/multi_mac.pcap",
     "synthetic MAC-logging capture: every data segment appears four times (four MAC pairs) "
     "with four different random payloads for the same sequence number"),
    ("suricata-verify/tests/bug-76/*",
     "bit-flipped capture from Suricata bug 76 (a crash report): mangled addresses, flags "
     "(FIN+URG+ECE, RST+PSH+ECE) and sequence numbers"),
    ("chrissanders-packets/arppoison.pcapng",
     "ARP cache poisoning (MITM), Practical Packet Analysis: 00:25:b3:bf:91:ee claims the gateway "
     "172.16.0.1 and asks for it as 172.16.0.105 (tests/pcap/lan-corpus-arppoison expects the "
     "arp_spoof/impersonation finding)"),
    ("suricata-verify/tests/ipv6-evasion/ipv6-kill-router-gateway/*",
     "THC kill_router6: router advertisements with lifetime 0 in the router's link-local name from "
     "another MAC (tests/pcap/lan-corpus-kill-router6 expects the nd_spoof/ra_spoof finding)"),
    ("suricata-verify/tests/issue-3341-tcphdr-01/*",
     "URGENT/11 exploit (CVE-2019-12260): crafted TCP packets with malformed headers, urgent "
     "data and RSTs"),
    ("tcpdump-tests/kday*.pcap",
     "fuzzed series (kday1-8): mutated addresses, timestamps, flags and payloads"),
    ("tcpdump-tests/bgp-as-path-oobr.pcap",
     "fuzzer-found out-of-bounds-read input: BGP segments with mutated bytes and lengths that "
     "overlap"),
    ("tcpdump-tests/bgp-shutdown-communication.pcapng",
     "printer test: one BGP segment twice (same IP ID and sequence number) with edited payload"),
    ("tcpdump-tests/bgp-shutdown-msg-variations.pcap",
     "printer test: hand-made SYNs carrying different BGP messages at the same sequence number"),
    ("tcpdump-tests/of10_inv_OFPST_FLOW.pcap",
     "printer test: one OpenFlow segment twice (same IP ID and sequence number) with edited "
     "bytes"),
]


def corpus_root(arg=None):
    c = arg or os.environ.get("VIGIL_CORPUS")
    if c:
        return os.path.abspath(c)
    return os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))


def capture_files(corpus):
    out = []
    with open(os.path.join(corpus, "files.tsv"), encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        ip, it = header.index("path"), header.index("ftype")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > it and cols[it]:
                out.append(cols[ip])
    return sorted(out)


def attack_reason(rel):
    for pat, why in ATTACKS:
        if fnmatch.fnmatch(rel, pat):
            return why
    return None


def findings(eve_path):
    out = []
    if not os.path.exists(eve_path):
        return out
    with open(eve_path, "rb") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if isinstance(ev, dict) and "tamper" in ev:
                out.append(ev)
    return out


def describe(ev):
    t = ev.get("tamper", {})
    cs = t.get("contestants", [])
    return "%s/%s %s:%s -> %s:%s pcap_cnt %s (confidence %s, count %s)" % (
        t.get("class"), t.get("subtype"), ev.get("src_ip"), ev.get("src_port"), ev.get("dest_ip"),
        ev.get("dest_port"), ",".join(str(c.get("pcap_cnt")) for c in cs), t.get("confidence"),
        t.get("count"))


def run_one(binary, corpus, rel, timeout):
    """Returns (rel, status, details) with status pass/fail."""
    tmp = tempfile.mkdtemp(prefix="vigil-benign-")
    try:
        path = os.path.join(corpus, rel)
        if rel.endswith(".gz"):
            plain = os.path.join(tmp, os.path.basename(rel)[:-3])
            with gzip.open(path, "rb") as src, open(plain, "wb") as dst:
                shutil.copyfileobj(src, dst)
            path = plain
        outdir = os.path.join(tmp, "out")
        cmd = [binary, "analyze", "-q", "--no-progress", "-o", outdir, path]
        env = dict(os.environ, TZ="UTC", LC_ALL="C")
        try:
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            return rel, "fail", ["timed out after %ds" % timeout]
        err = p.stderr.decode(errors="replace")
        if p.returncode < 0:
            return rel, "fail", ["vigil died of signal %d: %s" % (-p.returncode, err[-300:])]
        for mark in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if mark in err:  # a sanitizer build (VIGIL_BIN=build-asan/vigil)
                i = err.index(mark)
                return rel, "fail", ["sanitizer: %s" % err[max(0, i - 100):i + 300]]
        fs = findings(os.path.join(outdir, "eve.json"))
        if fs:
            return rel, "fail", [describe(ev) for ev in fs]
        return rel, "pass", []
    except OSError as e:
        return rel, "fail", ["cannot run: %s" % e]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-v", "--verbose", action="store_true", help="list excluded files too")
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("-k", dest="substr", help="only files whose path contains this")
    ap.add_argument("--bin", default=os.environ.get("VIGIL_BIN",
                                                    os.path.join(REPO, "build", "vigil")))
    ap.add_argument("--corpus")
    ap.add_argument("--timeout", type=int, default=120)
    args = ap.parse_args(argv)
    corpus = corpus_root(args.corpus)
    binary = os.path.abspath(args.bin)
    if not os.path.isfile(os.path.join(corpus, "files.tsv")):
        print("benign-sweep: SKIP (no corpus at %s)" % corpus)
        print("benign-sweep: 0 passed, 0 failed")
        return 0
    if not os.access(binary, os.X_OK):
        print("benign-sweep: vigil not found at %s (make build, or set VIGIL_BIN)" % binary,
              file=sys.stderr)
        return 2
    todo, excluded = [], []
    for rel in capture_files(corpus):
        if args.substr and args.substr not in rel:
            continue
        why = attack_reason(rel)
        if why:
            excluded.append((rel, why))
        else:
            todo.append(rel)
    if args.verbose:
        for rel, why in excluded:
            print("EXCLUDED %s: %s" % (rel, why))
    npass = nfail = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for rel, status, details in ex.map(lambda r: run_one(binary, corpus, r, args.timeout),
                                           todo):
            if status == "pass":
                npass += 1
                continue
            nfail += 1
            for d in details:
                print("FAIL %s: %s" % (rel, d))
    print("benign-sweep: %d attack captures excluded" % len(excluded))
    print("benign-sweep: %d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
