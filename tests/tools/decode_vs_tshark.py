#!/usr/bin/python3
"""Cross-checks src/decode against tshark, field by field, on a list of varied corpus captures.

Runs tests/tools/decode_dump (built by hand or by CMake; path from env DECODE_DUMP, default
/tmp/decode_dump) and

    tshark -r FILE -o tcp.relative_sequence_numbers:FALSE -T fields -e frame.number -e ip.src ...

on every file of FILES (corpus root from env VIGIL_CORPUS, default ../shared/corpus), and reports
per-field agreement. Exit status 1 when any field agrees on less than 99 % of the compared frames,
after the documented classes below are set aside; 2 when a tool is missing.

How tshark's output is read: tshark prints every occurrence of a field, outer to inner, and the
quoted datagram of an ICMP error adds one more. vigil reports the innermost packet and keeps the
quote apart (p->icmp_inner), so the script cuts frame.protocols at the first "icmp"/"icmpv6",
counts the "ip"/"ipv6"/"tcp"/"udp" layers before the cut, and takes the occurrence of each field
that belongs to the innermost layer before the cut (the "last occurrence" rule, quotes excluded).

Disagreement classes set aside (counted and printed, never silently dropped):
  tshark_tunnel   tshark decodes a tunnel that vigil leaves as UDP/other payload: Teredo (3544),
                  GTP-U (2152), L2TP (1701), AYIYA (5072), CAPWAP, LISP, MPLS-over-UDP (6635),
                  NSH/VXLAN-GPE (4790), Aruba GRE 0x8200-0x9000, WCCP GRE 0x883e, GRE-PPP (PPTP),
                  and anything tshark finds by heuristics inside UDP. vigil decodes exactly the
                  tunnels of src/decode/README.md; the frame's outer fields are then different by
                  design ("innermost wins" applies to decoded tunnels only).
  truncated       frame.cap_len < frame.len: tshark's tcp.len / udp.length come from the header
                  lengths, vigil's payload_len counts the bytes that were captured. Only the
                  payload column is set aside for these frames.
  defrag_ttl      a reassembled IPv4 datagram: tshark shows the last fragment's TTL, vigil the
                  first fragment's (the header the datagram is built from). TTL column only.
  tshark_nodefrag IPv6/IPv4 fragments tshark did not reassemble (e.g. overlaps it rejects, the
                  "first" vs Wireshark's policy) or reassembled where vigil did not: L4 columns.
  malformed       tshark marks the frame malformed/expert-error (_ws.malformed) and stops in a
                  layer that vigil decodes differently (e.g. bad IPv6 extension-header lengths,
                  a 39-byte IPv6 header): all columns of that frame.
  mpls_guess      after the MPLS bottom of stack tshark and vigil guess the payload differently
                  (tshark: PW Ethernet without control word by default on some labels).
  ipv6_proto      IPv6 with extension headers behind an IP-in-IP tunnel: tshark's per-type
                  next-header fields cannot be ordered across the two headers, proto column only.
On FILES as written, two classes occur: tshark_tunnel (Cisco MetaData, EtherType 0x8909, inside
GRE in various_gre.pcap: 19 frames) and tshark_nodefrag (frag-16.pcap #52: tshark reassembles an
IPv6 datagram beyond 65535 bytes, vigil refuses it with frag_pkt_too_large). The others are kept
for captures added later. 802.1ad tags are read from ieee8021ad.id and put before vlan.id.
"""
import os
import subprocess
import sys

FILES = [
    # plain Ethernet baseline
    "foxit-quantuminsert/pcaps/qi_local_SYNACK_putty_dl.pcap",
    # VLAN, QinQ, MPLS, PPPoE
    "zeek/testing/btest/Traces/vlan-collisions.pcap",
    "tcpdump-tests/802.1ad_QinQ.pcap",
    "zeek/testing/btest/Traces/mixed-vlan-mpls.pcap",
    "zeek/testing/btest/Traces/pppoe-over-qinq.pcap",
    "suricata-verify/tests/bug-4810/pppoe-session-http.pcap",
    # GRE, ERSPAN, VXLAN, GENEVE, IP-in-IP
    "zeek/testing/btest/Traces/tunnels/gre-sample.pcap",
    "tcpdump-tests/various_gre.pcap",
    "zeek/testing/btest/Traces/tunnels/gre-within-gre.pcap",
    "tcpdump-tests/erspan-type-ii-3.pcap",
    "suricata-verify/tests/vxlan-decoder-03/vxlan.pcap",
    "tcpdump-tests/geneve.pcap",
    "zeek/testing/btest/Traces/tunnels/6in4.pcap",
    "zeek/testing/btest/Traces/tunnels/4in6.pcap",
    "zeek/testing/btest/Traces/tunnels/6in6in6.pcap",
    # IPv6 extension headers, fragments (IPv4 and IPv6)
    "suricata-verify/tests/ipv6-evasion/ipv6-covert-dstopts/covert_send6.pcap",
    "tcpdump-tests/ipv6-routing-header.pcap",
    "chrissanders-packets/ipv6_fragments.pcapng",
    "suricata-verify/tests/like-ip-only-01/krb5-frag.pcap",
    "suricata-verify/tests/ipv6-evasion/ipv6-malformed-fragments-16/frag-16.pcap",
    # SLL, SLL2, NULL, raw IP, PPP
    "tcpdump-tests/resp_1_benchmark.pcap",
    "suricata-verify/tests/decode-sll2-02/input.pcap",
    "suricata-verify/tests/http-range-multiflows/input.pcap",
    "suricata-verify/tests/tcp-empty-sack/tcp-opt.pcap",
    "suricata-verify/tests/bug-5881-01/input.pcap",
    "zeek/testing/btest/Traces/ppp/quic-interop-retry.pcap",
]

COLUMNS = ["src", "dst", "proto", "ttl", "ipid", "sport", "dport", "seq", "ack", "flags", "win",
           "paylen", "vlan"]

TSHARK_FIELDS = [
    "frame.number", "frame.protocols", "frame.len", "frame.cap_len",
    "ip.src", "ip.dst", "ip.proto", "ip.ttl", "ip.id", "ip.flags.mf", "ip.frag_offset",
    "ipv6.src", "ipv6.dst", "ipv6.nxt", "ipv6.hlim", "ipv6.fraghdr.ident", "ipv6.hopopts.nxt",
    "ipv6.routing.nxt", "ipv6.fraghdr.nxt", "ipv6.dstopts.nxt", "ah.next_header",
    "tcp.srcport", "tcp.dstport", "tcp.seq", "tcp.ack", "tcp.flags", "tcp.window_size_value",
    "tcp.len", "udp.srcport", "udp.dstport", "udp.length", "icmp.type", "icmp.code",
    "icmpv6.type", "icmpv6.code", "vlan.id", "ieee8021ad.id", "ip.reassembled_in",
    "ipv6.reassembled.in",
]

# Protocol tokens of frame.protocols that mean "tshark went into a tunnel vigil does not decode".
TSHARK_ONLY_TUNNELS = {"teredo", "gtp", "l2tp", "ayiya", "capwap", "lisp", "mplsudp", "nsh",
                       "vxlan-gpe", "aruba_erm", "wccp", "pptp", "cmd"}


def run_tshark(path):
    cmd = ["tshark", "-r", path, "-o", "tcp.relative_sequence_numbers:FALSE", "-T", "fields",
           "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=;"]
    for f in TSHARK_FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    rows = {}
    for line in out.stdout.decode("utf-8", "replace").splitlines():
        vals = line.split("\t")
        vals += [""] * (len(TSHARK_FIELDS) - len(vals))
        d = {f: (v.split(";") if v else []) for f, v in zip(TSHARK_FIELDS, vals)}
        rows[int(d["frame.number"][0])] = d
    return rows


def run_dump(dump, path):
    out = subprocess.run([dump, path], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         check=False)
    rows = {}
    for line in out.stdout.decode().splitlines():
        v = line.split("\t")
        rows[int(v[0])] = dict(zip(COLUMNS, v[1:14]))
        rows[int(v[0])]["_anom"] = v[14] if len(v) > 14 else ""
        rows[int(v[0])]["_flags"] = int(v[15], 16) if len(v) > 15 else 0
    return rows


def nth(lst, i):
    """lst[i] when it exists (negative i counts from the end), else ""."""
    return lst[i] if -len(lst) <= i < len(lst) else ""


def expected(d):
    """What vigil should print for one tshark frame, and the classes that apply to it."""
    protos = d["frame.protocols"][0].split(":") if d["frame.protocols"] else []
    classes = set()
    cut = len(protos)
    for i, t in enumerate(protos):
        if t in ("icmp", "icmpv6"):
            cut = i + 1
            break
    head = protos[:cut]
    if any(t in TSHARK_ONLY_TUNNELS for t in head):
        classes.add("tshark_tunnel")
    for a, b in zip(head, head[1:]):
        if a == "gre" and b == "ppp":  # PPTP: GRE version 1 is counted, not decoded
            classes.add("tshark_tunnel")
    if "_ws.malformed" in protos:
        classes.add("malformed")
    n4 = head.count("ip")
    n6 = head.count("ipv6")
    ntcp = head.count("tcp")
    nudp = head.count("udp")
    fam = ""
    for t in head:
        if t in ("ip", "ipv6"):
            fam = t
    e = {c: "" for c in COLUMNS}
    # 802.1ad tags are outer by definition; tshark keeps them in their own field.
    e["vlan"] = ",".join(d["ieee8021ad.id"] + d["vlan.id"])
    if fam == "ip":
        i = n4 - 1
        e["src"], e["dst"] = nth(d["ip.src"], i), nth(d["ip.dst"], i)
        e["proto"], e["ttl"] = nth(d["ip.proto"], i), nth(d["ip.ttl"], i)
        ipid = nth(d["ip.id"], i)
        e["ipid"] = str(int(ipid, 16)) if ipid else ""
        if nth(d["ip.reassembled_in"], i) and d["ip.reassembled_in"][i] != d["frame.number"][0]:
            classes.add("fragment")
    elif fam == "ipv6":
        i = n6 - 1
        e["src"], e["dst"] = nth(d["ipv6.src"], i), nth(d["ipv6.dst"], i)
        e["ttl"] = nth(d["ipv6.hlim"], i)
        nfh = head.count("ipv6.fraghdr")  # a quoted datagram's Fragment header does not count
        ident = nth(d["ipv6.fraghdr.ident"], nfh - 1) if nfh else ""
        e["ipid"] = str(int(ident, 16) & 0xFFFF) if ident else "0"
        # walk the extension-header chain of the innermost IPv6 header
        nh = nth(d["ipv6.nxt"], i)
        queues = {"0": list(d["ipv6.hopopts.nxt"]), "43": list(d["ipv6.routing.nxt"]),
                  "44": list(d["ipv6.fraghdr.nxt"]), "60": list(d["ipv6.dstopts.nxt"]),
                  "51": list(d["ah.next_header"])}
        if n6 > 1 or n4 > 0:
            if any(queues.values()):
                classes.add("ipv6_proto")
        for _ in range(16):
            if nh in queues and queues[nh]:
                nh = queues[nh].pop(0)
            else:
                break
        e["proto"] = nh
        reasm = nth(d["ipv6.reassembled.in"], -1)
        if reasm and reasm != d["frame.number"][0]:
            classes.add("fragment")
    last_l4 = ""
    for t in head:
        if t in ("tcp", "udp", "icmp", "icmpv6"):
            last_l4 = t
    if fam and last_l4 == "tcp" and ntcp:
        j = ntcp - 1
        e["sport"], e["dport"] = nth(d["tcp.srcport"], j), nth(d["tcp.dstport"], j)
        e["seq"], e["ack"] = nth(d["tcp.seq"], j), nth(d["tcp.ack"], j)
        fl = nth(d["tcp.flags"], j)
        e["flags"] = "0x%02x" % (int(fl, 16) & 0xFF) if fl else ""
        e["win"] = nth(d["tcp.window_size_value"], j)
        e["paylen"] = nth(d["tcp.len"], j)
    elif fam and last_l4 == "udp" and nudp:
        j = nudp - 1
        e["sport"], e["dport"] = nth(d["udp.srcport"], j), nth(d["udp.dstport"], j)
        ul = nth(d["udp.length"], j)
        e["paylen"] = str(int(ul) - 8) if ul else ""
    elif fam and last_l4 == "icmp":
        e["sport"], e["dport"] = nth(d["icmp.type"], 0), nth(d["icmp.code"], 0)
        e["paylen"] = "*"
    elif fam and last_l4 == "icmpv6":
        e["sport"], e["dport"] = nth(d["icmpv6.type"], 0), nth(d["icmpv6.code"], 0)
        e["paylen"] = "*"
    if d["frame.cap_len"] and d["frame.len"] and d["frame.cap_len"][0] != d["frame.len"][0]:
        classes.add("truncated")
    return e, classes


def compare(dump, root):
    agree = {c: 0 for c in COLUMNS}
    total = {c: 0 for c in COLUMNS}
    valued = {c: 0 for c in COLUMNS}  # frames where tshark has a value (not both empty)
    set_aside = {}
    examples = {}
    per_file = []
    for rel in FILES:
        path = os.path.join(root, rel)
        if not os.path.exists(path):
            print("missing corpus file: %s" % rel, file=sys.stderr)
            continue
        ts = run_tshark(path)
        vg = run_dump(dump, path)
        per_file.append((rel, len(ts), len(vg)))
        for no, d in ts.items():
            e, classes = expected(d)
            got = vg.get(no)
            if got is None:
                set_aside["no_frame"] = set_aside.get("no_frame", 0) + 1
                continue
            for c in COLUMNS:
                exp, have = e[c], got[c]
                if exp == "*":  # ICMP payload: tshark has no single length field for it
                    continue
                cls = None
                if "tshark_tunnel" in classes:
                    cls = "tshark_tunnel"
                elif "malformed" in classes and exp != have:
                    cls = "malformed"
                elif c == "paylen" and "truncated" in classes:
                    cls = "truncated"
                elif c == "ttl" and got["_flags"] & 0x8 and exp != have:
                    cls = "defrag_ttl"
                elif "fragment" in classes and c in ("sport", "dport", "seq", "ack", "flags",
                                                     "win", "paylen", "proto") and exp != have:
                    cls = "tshark_nodefrag"
                elif (got["_flags"] & 0x8 or got["_flags"] & 0x4) and exp != have and \
                        c in ("sport", "dport", "seq", "ack", "flags", "win", "paylen"):
                    cls = "tshark_nodefrag"
                elif c == "proto" and "ipv6_proto" in classes and exp != have:
                    cls = "ipv6_proto"
                elif c in ("proto", "src", "dst", "sport", "dport", "paylen", "ttl", "ipid") and \
                        exp != have and "mpls" in d["frame.protocols"][0].split(":"):
                    cls = "mpls_guess"
                if cls:
                    set_aside[cls] = set_aside.get(cls, 0) + 1
                    if exp != have:
                        examples.setdefault("~" + cls, []).append(
                            "%s #%d %s: tshark %r vigil %r" % (rel, no, c, exp, have))
                    continue
                total[c] += 1
                if exp != "":
                    valued[c] += 1
                if exp == have:
                    agree[c] += 1
                else:
                    layers = d["frame.protocols"][0] if d["frame.protocols"] else ""
                    examples.setdefault(c, []).append(
                        "%s #%d: tshark %r vigil %r (%s)" % (rel, no, exp, have, layers))
    return agree, total, valued, set_aside, examples, per_file


def main():
    root = os.environ.get("VIGIL_CORPUS", "../shared/corpus")
    dump = os.environ.get("DECODE_DUMP", "/tmp/decode_dump")
    if not os.path.exists(dump):
        print("decode_dump not found at %s (set DECODE_DUMP)" % dump, file=sys.stderr)
        return 2
    try:
        subprocess.run(["tshark", "-v"], stdout=subprocess.DEVNULL, check=True)
    except (OSError, subprocess.CalledProcessError):
        print("tshark not found", file=sys.stderr)
        return 2
    agree, total, valued, set_aside, examples, per_file = compare(dump, root)
    ok = True
    for rel, nt, nv in per_file:
        print("%6d frames (tshark) %6d (vigil)  %s" % (nt, nv, rel))
    print("%-7s %8s %8s %8s %8s" % ("field", "agree", "total", "valued", "pct"))
    fields_ok = 0
    for c in COLUMNS:
        pct = 100.0 * agree[c] / total[c] if total[c] else 100.0
        if pct < 99.0:
            ok = False
        else:
            fields_ok += 1
        print("%-7s %8d %8d %8d %7.2f%%" % (c, agree[c], total[c], valued[c], pct))
    # One result per field (>= 99 % agreement) for the suite total.
    print("decode-vs-tshark: %d passed, %d failed" % (fields_ok, len(COLUMNS) - fields_ok))
    print("set aside (documented classes, field-frames): " +
          ", ".join("%s=%d" % kv for kv in sorted(set_aside.items())))
    verbose = os.environ.get("VERBOSE")
    for c, ex in examples.items():
        for line in ex[: (len(ex) if verbose else 3)]:
            print("  %-6s %s" % (c, line))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
