#!/usr/bin/python3
"""crosscheck_tshark.py - compare vigil's TCP/UDP flow events with tshark's conversations.

    /usr/bin/python3 tests/tools/crosscheck_tshark.py [-v] [--tshark-only] [CAPTURE...]

For each capture (default: the CAPTURES list below, paths under $VIGIL_CORPUS, default
../shared/corpus from the repo root) it runs
    tshark -r CAPTURE -q -z conv,tcp -z conv,udp       (the conversation tables)
    tshark -r CAPTURE -T fields -e frame.len ...         (exact per-frame bytes; the tables print
                                                          large byte counts as "1236 kB")
    $VIGIL_BIN analyze -o TMP CAPTURE                    (default build/vigil)
and requires, direction-insensitively:
  * the same set of TCP and UDP conversations (proto, {addr:port, addr:port});
  * per conversation the same total packets and total bytes. vigil's flows are summed per
    conversation first, so a conversation that vigil splits in time (flow timeout, a new SYN
    reusing the ports after a close) still compares equal, and the number of such splits is shown.
tshark's own two views are checked against each other first (table frames == field-pass frames,
table bytes == field-pass bytes within the table's rounding), so a parsing slip here cannot pass
silently.

Preconditions for a capture to be comparable at all (checked with tshark, a violation is a
failure unless the capture is in EXCLUDED with the reason):
  * no frame cut by the snaplen: tshark's bytes are the original length, vigil counts captured
    bytes (the contract: bytes are the captured frame length);
  * no IP fragments: tshark counts a reassembled datagram on its last fragment with that
    fragment's frame length; vigil counts one reassembled packet with its full length;
  * no ICMP/ICMPv6 error quoting TCP/UDP: vigil (like Suricata) counts the error on the quoted
    flow, tshark's conversation tap ignores the quote;
  * no VLAN/MPLS/PPPoE/tunnel layer: vigil keys flows by VLAN ids and tunnel, tshark does not.

Prints one line per capture and `crosscheck: N passed, N failed` (plus excluded); exit 1 on any
unexplained disagreement, 2 when vigil/tshark are missing. --tshark-only checks the tshark side
and the preconditions without running vigil.
"""
import argparse
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep the source tree free of __pycache__
import eve_schema  # noqa: E402

# Captures compared (paths under the corpus root): TCP and UDP, IPv4 and IPv6, pcap and pcapng,
# a few packets to tens of thousands, clean handshakes, resets/scans, injection races, long idle
# gaps.
CAPTURES = [
    "chrissanders-packets/tcp_handshake.pcapng",          # 1 TCP, handshake only
    "chrissanders-packets/dns.pcap",                      # 7 one-packet UDP responses
    "chrissanders-packets/http_ip4and6.pcapng",           # TCP over IPv4 and IPv6
    "chrissanders-packets/dns_tcp.pcapng",                # DNS over TCP
    "chrissanders-packets/tickedoffdeveloper.pcapng",     # web browsing, several TCP flows
    "chrissanders-packets/http_google.pcapng",            # HTTP + DNS
    "chrissanders-packets/synscan.pcapng",                # SYN scan: ~2000 tiny flows, RSTs
    "chrissanders-packets/ratinfected.pcapng",            # RAT C2 session
    "foxit-quantuminsert/pcaps/qi_local_SYNACK_putty_dl.pcap",   # injected segments race genuine
    "foxit-quantuminsert/presentations/brocon2015/pcaps/bro.org-harlemshake-inject.pcap",
    "honeybadger-pcap-files/ordered_coalesce_netcat2.pcap",
    "elcabezzonn-pcaps/new-jscript-poshc2.pcap",          # HTTPS C2 beaconing
    "zeek/testing/btest/Traces/ticks-dns-1hr.pcap",       # DNS spread over an hour
    "zeek/testing/btest/Traces/var-services-std-ports.pcap",
    "zeek/testing/btest/Traces/udp-multiple-source-ports.pcap",
]

# Captures where vigil and tshark must differ, with the reason. They are listed (so the reason
# is on record) and reported as "excluded", never silently dropped.
EXCLUDED = {
    "chrissanders-packets/ip_frag_source.pcapng":
        "IPv4 fragments: tshark counts the reassembled datagram once, on the last fragment with "
        "that fragment's frame length; vigil counts one reassembled packet of full length",
    "chrissanders-packets/ipv6_fragments.pcapng":
        "IPv6 fragments (same reason as ip_frag_source)",
    "zeek/testing/btest/Traces/tunnels/gre-sample.pcap":
        "GRE tunnel: vigil keys the inner flows by tunnel and counts the inner packet; tshark's "
        "conversation is keyed by the inner addresses only and counts outer frame bytes; it also "
        "holds ICMP port-unreachables quoting the DNS flow",
    "zeek/testing/btest/Traces/http-vlan-0.pcap":
        "VLAN: vigil keys flows by VLAN id, tshark's conversation table ignores VLANs",
}

TCP_UDP = ("tcp", "udp")


def corpus_root():
    return eve_schema.corpus_root()


def vigil_bin():
    b = os.environ.get("VIGIL_BIN")
    return os.path.abspath(b) if b else os.path.join(REPO, "build", "vigil")


def norm_ip(a):
    try:
        return str(ipaddress.ip_address(a.strip("[]")))
    except ValueError:
        return a


def conv_key(proto, a_ip, a_port, b_ip, b_port):
    return (proto, frozenset([(norm_ip(a_ip), int(a_port)), (norm_ip(b_ip), int(b_port))]))


def key_str(k):
    proto, ends = k
    e = sorted(ends)
    if len(e) == 1:
        e = e * 2
    return "%s %s:%d <-> %s:%d" % (proto.upper(), e[0][0], e[0][1], e[1][0], e[1][1])


def tshark(args):
    p = subprocess.run(["tshark"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, LC_ALL="C"))
    if p.returncode != 0:
        raise RuntimeError("tshark %s failed: %s" % (" ".join(args), p.stderr.decode()[-300:]))
    return p.stdout.decode("utf-8", errors="replace")


UNIT = {"bytes": 1, "kB": 1000, "MB": 1000 ** 2, "GB": 1000 ** 3}
ROW = re.compile(r"^(\S+)\s+<->\s+(\S+)\s+(\d+)\s+([\d,]+)\s+(bytes|kB|MB|GB)\s+(\d+)\s+([\d,]+)\s+"
                 r"(bytes|kB|MB|GB)\s+(\d+)\s+([\d,]+)\s+(bytes|kB|MB|GB)\s")


def parse_conv_tables(text):
    """-> {key: {"frames": n, "bytes": (value, unit)}} summed per key (tshark may list one
    address/port pair more than once)."""
    out = {}
    proto = None
    for line in text.splitlines():
        if line.startswith("TCP Conversations"):
            proto = "tcp"
        elif line.startswith("UDP Conversations"):
            proto = "udp"
        m = ROW.match(line)
        if not m or proto is None:
            continue
        a, b = m.group(1), m.group(2)
        a_ip, a_port = a.rsplit(":", 1)
        b_ip, b_port = b.rsplit(":", 1)
        k = conv_key(proto, a_ip, a_port, b_ip, b_port)
        frames = int(m.group(9))
        val, unit = int(m.group(10).replace(",", "")), m.group(11)
        e = out.setdefault(k, {"frames": 0, "bytes_lo": 0, "bytes_hi": 0, "rows": 0})
        e["frames"] += frames
        e["rows"] += 1
        # "1236 kB": the exact count lies within one unit of the printed value either way
        e["bytes_lo"] += max(0, (val - 1) * UNIT[unit]) if unit != "bytes" else val
        e["bytes_hi"] += (val + 1) * UNIT[unit] if unit != "bytes" else val
    return out


FIELDS = ["frame.len", "frame.cap_len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
          "tcp.dstport", "udp.srcport", "udp.dstport", "ip.flags.mf", "ip.frag_offset",
          "ipv6.fraghdr.offset", "icmp.type", "icmpv6.type", "vlan.id",
          "mpls.label", "pppoe.session_id", "gre.proto", "vxlan.vni", "geneve.vni", "frame.protocols"]


def field_pass(path):
    """Exact per-conversation frames/bytes from a per-frame field dump, plus precondition
    violations."""
    text = tshark(["-r", path, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a",
                   "-E", "aggregator=,"] + sum([["-e", f] for f in FIELDS], []))
    convs = defaultdict(lambda: {"frames": 0, "bytes": 0})
    issues = defaultdict(int)
    nframes = 0
    for line in text.splitlines():
        v = dict(zip(FIELDS, line.split("\t")))
        nframes += 1
        first = {k: (x.split(",")[0] if x else "") for k, x in v.items()}
        if v.get("frame.len") != v.get("frame.cap_len"):
            issues["frames cut by the snaplen"] += 1
        if first["ip.flags.mf"] in ("1", "True") or first["ip.frag_offset"] not in ("", "0") or \
                v.get("ipv6.fraghdr.offset"):
            issues["IP fragments"] += 1
        if first["icmp.type"] in ("3", "4", "5", "11", "12") or \
                first["icmpv6.type"] in ("1", "2", "3", "4"):
            issues["ICMP errors (may quote TCP/UDP)"] += 1
        for f, what in (("vlan.id", "VLAN"), ("mpls.label", "MPLS"), ("pppoe.session_id", "PPPoE"),
                        ("gre.proto", "GRE"), ("vxlan.vni", "VXLAN"), ("geneve.vni", "Geneve")):
            if v.get(f):
                issues[what + " frames"] += 1
        if "," in v.get("ip.src", "") or "," in v.get("ipv6.src", "") or \
                ("ip:" in v.get("frame.protocols", "") and "ipv6" in v.get("frame.protocols", "")):
            issues["IP-in-IP"] += 1
        src = first["ip.src"] or first["ipv6.src"]
        dst = first["ip.dst"] or first["ipv6.dst"]
        for proto in TCP_UDP:
            sp, dp = first[proto + ".srcport"], first[proto + ".dstport"]
            if sp and dp and src and dst:
                c = convs[conv_key(proto, src, sp, dst, dp)]
                c["frames"] += 1
                c["bytes"] += int(v["frame.len"])
                break
    return dict(convs), dict(issues), nframes


def vigil_flows(path, binary, timeout=600):
    tmp = tempfile.mkdtemp(prefix="vigil-crosscheck-")
    try:
        p = subprocess.run([binary, "analyze", "-o", tmp, path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, env=dict(os.environ, TZ="UTC"))
        if p.returncode != 0:
            raise RuntimeError("vigil exit %d: %s" % (p.returncode, p.stderr.decode()[-300:]))
        flows = defaultdict(lambda: {"pkts": 0, "bytes": 0, "flows": 0})
        with open(os.path.join(tmp, "eve.json")) as f:
            for line in f:
                ev = json.loads(line)
                if ev.get("event_type") != "flow" or ev.get("proto") not in ("TCP", "UDP"):
                    continue
                k = conv_key(ev["proto"].lower(), ev["src_ip"], ev["src_port"], ev["dest_ip"],
                             ev["dest_port"])
                fl = ev["flow"]
                e = flows[k]
                e["pkts"] += fl["pkts_toserver"] + fl["pkts_toclient"]
                e["bytes"] += fl["bytes_toserver"] + fl["bytes_toclient"]
                e["flows"] += 1
        return dict(flows)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def check_capture(rel, corpus, binary, tshark_only=False, verbose=False):
    """-> (status, message, details) with status pass/fail/excluded."""
    if rel in EXCLUDED:
        return "excluded", EXCLUDED[rel], []
    path = os.path.join(corpus, rel) if not os.path.isabs(rel) else rel
    if not os.path.exists(path):
        return "fail", "capture not found: %s" % path, []
    try:
        table = parse_conv_tables(tshark(["-r", path, "-q", "-z", "conv,tcp", "-z", "conv,udp"]))
        exact, issues, nframes = field_pass(path)
    except RuntimeError as e:
        return "fail", str(e), []
    if issues:
        return "fail", "not comparable (%s) and not in EXCLUDED" % ", ".join(
            "%s: %d" % i for i in sorted(issues.items())), []
    details = []
    # tshark's two views must agree with each other
    for k in sorted(set(table) | set(exact), key=key_str):
        t, x = table.get(k), exact.get(k)
        if t is None or x is None:
            details.append("tshark self-check: %s only in the %s" %
                           (key_str(k), "table" if x is None else "field pass"))
        elif t["frames"] != x["frames"] or not t["bytes_lo"] <= x["bytes"] <= t["bytes_hi"]:
            details.append("tshark self-check: %s table %d frames %d..%d bytes, fields %d frames "
                           "%d bytes" % (key_str(k), t["frames"], t["bytes_lo"], t["bytes_hi"],
                                         x["frames"], x["bytes"]))
    if details:
        return "fail", "tshark's table and field pass disagree", details
    summary = "%d frames, %d TCP + %d UDP conversations" % (
        nframes, sum(1 for k in exact if k[0] == "tcp"), sum(1 for k in exact if k[0] == "udp"))
    if tshark_only:
        return "pass", summary + " (tshark side only)", []
    try:
        vf = vigil_flows(path, binary)
    except (RuntimeError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as e:
        return "fail", "vigil: %s" % e, []
    for k in sorted(set(exact) | set(vf), key=key_str):
        x, v = exact.get(k), vf.get(k)
        if v is None:
            details.append("%s: in tshark (%d pkts, %d bytes), no vigil flow" %
                           (key_str(k), x["frames"], x["bytes"]))
        elif x is None:
            details.append("%s: vigil flow (%d pkts, %d bytes), not in tshark" %
                           (key_str(k), v["pkts"], v["bytes"]))
        elif (x["frames"], x["bytes"]) != (v["pkts"], v["bytes"]):
            details.append("%s: tshark %d pkts %d bytes, vigil %d pkts %d bytes (%d flows)" %
                           (key_str(k), x["frames"], x["bytes"], v["pkts"], v["bytes"], v["flows"]))
    splits = sum(v["flows"] - 1 for v in vf.values())
    if details:
        return "fail", "%s; %d disagreements" % (summary, len(details)), details
    return "pass", summary + (", %d conversations split by vigil into several flows" % splits
                              if splits else ""), []


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("captures", nargs="*", help="paths under the corpus root (default: built-in list)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--max-details", type=int, default=8)
    ap.add_argument("--tshark-only", action="store_true",
                    help="check tshark parsing and preconditions only (no vigil)")
    args = ap.parse_args(argv)
    if not shutil.which("tshark"):
        print("crosscheck: tshark not installed", file=sys.stderr)
        return 2
    corpus = corpus_root()
    if not os.path.isdir(corpus):
        print("crosscheck: corpus not found at %s: nothing to compare (skipped)" % corpus)
        return 0
    binary = vigil_bin()
    if not args.tshark_only and not os.access(binary, os.X_OK):
        print("crosscheck: vigil binary not found at %s (set VIGIL_BIN)" % binary, file=sys.stderr)
        return 2
    caps = args.captures or CAPTURES + sorted(EXCLUDED)
    npass = nfail = nexcl = 0
    for rel in caps:
        status, msg, details = check_capture(rel, corpus, binary, args.tshark_only, args.verbose)
        if status == "pass":
            npass += 1
            print("agree     %s: %s" % (rel, msg))
        elif status == "excluded":
            nexcl += 1
            print("excluded  %s: %s" % (rel, msg))
        else:
            nfail += 1
            print("DISAGREE  %s: %s" % (rel, msg))
            for d in details[:args.max_details]:
                print("    " + d)
            if len(details) > args.max_details:
                print("    ... %d more" % (len(details) - args.max_details))
    print("crosscheck: %d passed, %d failed%s" % (npass, nfail,
                                                  ", %d excluded" % nexcl if nexcl else ""))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
