#!/usr/bin/python3
"""lan_vs_tshark.py - the ARP / Neighbor Discovery fields vigil decodes, against tshark.

    /usr/bin/python3 tests/tools/lan_vs_tshark.py [--bin VIGIL] [-v]

Generates the LAN lab (tests/gen/gen_lab_lan.py, seed 1) into a temporary folder, runs
`vigil analyze` on every attack capture, and for every contestant of every arp_spoof / nd_spoof
alert compares what vigil decoded from that frame (tamper.contestants[i]: src_mac, dest_mac,
claimed_mac, message, sender_ip, target_ip, router_lifetime, override_flag, solicited_flag) with
tshark's arp.* / icmpv6.* fields of the same frame number. The kill_router6 capture of the corpus
(an RA without a link-layer option) is checked too when the corpus is there.

Prints one line per disagreement and "lan vs tshark: N passed, N failed" (N = fields compared);
exit 1 on any disagreement, 2 when vigil or tshark is missing.
Environment: VIGIL_BIN (default build/vigil), VIGIL_CORPUS (default ../shared/corpus).
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FIELDS = ["frame.number", "eth.src", "eth.dst", "arp.opcode", "arp.src.hw_mac",
          "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "icmpv6.type", "ipv6.src",
          "icmpv6.nd.na.target_address", "icmpv6.opt.linkaddr", "icmpv6.nd.ra.router_lifetime",
          "icmpv6.nd.na.flag.o", "icmpv6.nd.na.flag.s"]
ND_TYPES = {"router_advertisement": "134", "neighbor_solicitation": "135",
            "neighbor_advertisement": "136", "router_solicitation": "133"}


def tshark_frames(path, numbers):
    flt = " || ".join("frame.number == %d" % n for n in sorted(numbers))
    cmd = ["tshark", "-r", path, "-Y", flt, "-T", "fields", "-E", "occurrence=f"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL).stdout.decode()
    rows = {}
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(FIELDS) - len(cols))
        rows[int(cols[0])] = dict(zip(FIELDS, cols))
    return rows


def flag(v):
    return {"True": True, "1": True, "False": False, "0": False}.get(v, None)


def compare(c, t):
    """Yields (field, vigil value, tshark value) pairs."""
    yield "src_mac", c["src_mac"], t["eth.src"]
    yield "dest_mac", c["dest_mac"], t["eth.dst"]
    msg = c["message"]
    if msg.startswith("arp_"):
        yield "arp opcode", "1" if msg == "arp_request" else "2", t["arp.opcode"]
        yield "claimed_mac", c["claimed_mac"], t["arp.src.hw_mac"]
        yield "sender_ip", c.get("sender_ip"), t["arp.src.proto_ipv4"]
        yield "target_ip", c.get("target_ip"), t["arp.dst.proto_ipv4"]
    else:
        yield "icmpv6 type", ND_TYPES.get(msg), t["icmpv6.type"]
        yield "sender_ip", c.get("sender_ip"), t["ipv6.src"]
        yield "claimed_mac", c["claimed_mac"], t["icmpv6.opt.linkaddr"] or t["eth.src"]
        if msg == "neighbor_advertisement":
            yield "target_ip", c.get("target_ip"), t["icmpv6.nd.na.target_address"]
            yield "override_flag", c.get("override_flag"), flag(t["icmpv6.nd.na.flag.o"])
            yield "solicited_flag", c.get("solicited_flag"), flag(t["icmpv6.nd.na.flag.s"])
        if msg == "router_advertisement":
            yield "router_lifetime", str(c.get("router_lifetime")), t["icmpv6.nd.ra.router_lifetime"]


def check_file(binary, path, verbose):
    tmp = tempfile.mkdtemp(prefix="vigil-lan-ts-")
    npass = nfail = 0
    try:
        subprocess.run([binary, "analyze", "-q", "--no-progress", "-o", tmp, path],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, TZ="UTC"))
        cs = []
        with open(os.path.join(tmp, "eve.json")) as f:
            for line in f:
                ev = json.loads(line)
                t = ev.get("tamper") or {}
                if t.get("class") in ("arp_spoof", "nd_spoof"):
                    cs += t.get("contestants", [])
        if not cs:
            print("no LAN finding in %s" % path)
            return 0, 1
        rows = tshark_frames(path, {c["pcap_cnt"] for c in cs})
        for c in cs:
            t = rows.get(c["pcap_cnt"])
            if t is None:
                print("%s: tshark has no frame %s" % (path, c["pcap_cnt"]))
                nfail += 1
                continue
            for name, v, tv in compare(c, t):
                if str(v).lower() == str(tv).lower():
                    npass += 1
                else:
                    nfail += 1
                    print("%s frame %s: %s vigil %r tshark %r" % (os.path.basename(path),
                                                                  c["pcap_cnt"], name, v, tv))
        if verbose:
            print("%s: %d contestants" % (os.path.basename(path), len(cs)))
        return npass, nfail
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default=os.environ.get("VIGIL_BIN", os.path.join(REPO, "build", "vigil")))
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args(argv)
    if not os.access(a.bin, os.X_OK) or not shutil.which("tshark"):
        print("lan_vs_tshark: vigil or tshark missing", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="vigil-lan-lab-")
    try:
        subprocess.run(["/usr/bin/python3", os.path.join(REPO, "tests", "gen", "gen_lab_lan.py"),
                        "--out", tmp, "--seed", "1"], check=True, stdout=subprocess.DEVNULL)
        files = sorted(glob.glob(os.path.join(tmp, "attack", "*", "*.pcap")))
        corpus = os.environ.get("VIGIL_CORPUS") or os.path.join(REPO, "..", "shared", "corpus")
        kr = os.path.join(corpus, "suricata-verify/tests/ipv6-evasion/ipv6-kill-router-gateway/"
                          "kill_router6.pcap")
        if os.path.exists(kr):
            files.append(kr)
        tp = tf = 0
        for f in files:
            p, fl = check_file(a.bin, f, a.verbose)
            tp += p
            tf += fl
        print("lan vs tshark: %d captures" % len(files))
        print("lan vs tshark: %d passed, %d failed" % (tp, tf))
        return 1 if tf else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
