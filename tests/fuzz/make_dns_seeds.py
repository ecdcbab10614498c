#!/usr/bin/python3
"""make_dns_seeds.py - writes the seed corpus of tests/fuzz/fuzz_dns.c into tests/fuzz/seeds/dns/.

    /usr/bin/python3 tests/fuzz/make_dns_seeds.py [OUTDIR]

Deterministic (fixed ids, no randomness): running it twice gives the same files. Seeds:
  - scapy-built queries and responses for every type the parser decodes (A, AAAA, CNAME, NS, PTR,
    MX, TXT, SOA, SRV, SSHFP, NULL, OPT with options, HTTPS/SVCB built by hand since scapy 2.5
    has no SVCB layer), NXDOMAIN with SOA authority, many answers;
  - hand-built hostile messages: compression loop, self/forward pointer, pointer chain, label
    type 0x40/0xc0 misuse, 255+ byte names, counts larger than the message, a truncated message;
  - TCP streams (2-byte length prefix): one message, two messages back to back, zero length.
"""
import os
import struct
import sys

from scapy.all import DNS, DNSQR, DNSRR  # noqa: E402
from scapy.layers.dns import DNSRRMX, DNSRROPT, DNSRRSOA, DNSRRSRV, EDNS0TLV  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "seeds", "dns")


def name(s):
    out = b""
    for lab in s.split(".") if s else []:
        out += bytes([len(lab)]) + lab.encode()
    return out + b"\0"


def header(id_, flags, qd, an, ns, ar):
    return struct.pack(">HHHHHH", id_, flags, qd, an, ns, ar)


def rr(owner, rtype, rdata, ttl=300, rclass=1):
    return owner + struct.pack(">HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def svcb_rdata(prio, target, params):
    out = struct.pack(">H", prio) + name(target)
    for key, val in params:
        out += struct.pack(">HH", key, len(val)) + val
    return out


def scapy_seeds():
    s = {}
    s["query_a"] = DNS(id=0x1a2b, rd=1, qd=DNSQR(qname="www.example.com", qtype="A"))
    s["query_aaaa_edns"] = DNS(id=0x1a2c, rd=1, qd=DNSQR(qname="www.example.com", qtype="AAAA"),
                               ar=DNSRROPT(rclass=1232, z=0x8000,
                                           rdata=[EDNS0TLV(optcode=10, optdata=b"\x01" * 8)]))
    s["resp_a_cname"] = DNS(id=0x1a2b, qr=1, rd=1, ra=1,
                            qd=DNSQR(qname="www.example.com", qtype="A"),
                            an=DNSRR(rrname="www.example.com", type="CNAME", ttl=60,
                                     rdata="cdn.example.net")
                            / DNSRR(rrname="cdn.example.net", type="A", ttl=20, rdata="192.0.2.1")
                            / DNSRR(rrname="cdn.example.net", type="A", ttl=20, rdata="192.0.2.2"))
    s["resp_aaaa"] = DNS(id=0x1a2c, qr=1, rd=1, ra=1,
                         qd=DNSQR(qname="www.example.com", qtype="AAAA"),
                         an=DNSRR(rrname="www.example.com", type="AAAA", rdata="2001:db8::1"))
    s["resp_mx_txt"] = DNS(id=3, qr=1, rd=1, ra=1, qd=DNSQR(qname="example.com", qtype="MX"),
                           an=DNSRRMX(rrname="example.com", type="MX", preference=10,
                                      exchange="mail.example.com")
                           / DNSRR(rrname="example.com", type="TXT",
                                   rdata=["v=spf1 -all", "second \"string\""]),
                           ar=DNSRROPT(rclass=4096))
    s["resp_ns_ptr"] = DNS(id=4, qr=1, aa=1, qd=DNSQR(qname="1.2.0.192.in-addr.arpa", qtype="PTR"),
                           an=DNSRR(rrname="1.2.0.192.in-addr.arpa", type="PTR",
                                    rdata="host.example.com"),
                           ns=DNSRR(rrname="2.0.192.in-addr.arpa", type="NS",
                                    rdata="ns1.example.com"))
    s["resp_nxdomain_soa"] = DNS(id=5, qr=1, rd=1, ra=1, rcode=3,
                                 qd=DNSQR(qname="dne.oisf.net", qtype="A"),
                                 ns=DNSRRSOA(rrname="oisf.net", ttl=899,
                                             mname="ns-110.awsdns-13.com",
                                             rname="awsdns-hostmaster.amazon.com", serial=1,
                                             refresh=7200, retry=900, expire=1209600,
                                             minimum=86400))
    s["resp_srv"] = DNS(id=6, qr=1, qd=DNSQR(qname="_sip._udp.example.com", qtype="SRV"),
                        an=DNSRRSRV(rrname="_sip._udp.example.com", priority=10, weight=60,
                                    port=5060, target="sip.example.com"))
    many = None
    for i in range(40):
        r = DNSRR(rrname="many.example", type="A", rdata="10.0.%d.%d" % (i // 256, i % 256))
        many = r if many is None else many / r
    s["resp_many"] = DNS(id=7, qr=1, qd=DNSQR(qname="many.example", qtype="A"), an=many)
    return {k: bytes(v) for k, v in s.items()}


def hand_seeds():
    s = {}
    q = name("www.example.com") + struct.pack(">HH", 65, 1)
    https = svcb_rdata(1, "", [(1, b"\x02h2\x02h3"), (3, struct.pack(">H", 443)),
                               (4, bytes([1, 2, 3, 4, 5, 6, 7, 8])), (5, b"\x00\x01\x02"),
                               (6, bytes.fromhex("20010db8000000000000000000000001")),
                               (2, b""), (9999, b"\xab\xcd")])
    s["resp_https"] = (header(8, 0x8180, 1, 2, 0, 0) + q + rr(b"\xc0\x0c", 65, https)
                       + rr(b"\xc0\x0c", 64, svcb_rdata(0, "svc.example.net", [])))
    s["resp_sshfp_null_unknown"] = (
        header(9, 0x8180, 1, 4, 0, 0) + name("anoncvs.netbsd.org") + struct.pack(">HH", 44, 1)
        + rr(b"\xc0\x0c", 44, b"\x01\x01" + bytes.fromhex("198c34a92fc0b2ab1da52b688c2f191d2d960c09"))
        + rr(b"\xc0\x0c", 10, b"VACKD\x03\xc5\xe9\x01")
        + rr(b"\xc0\x0c", 65280, b"\xde\xad\xbe\xef")
        + rr(b"\xc0\x0c", 39, name("example.org")))
    base = header(10, 0x8180, 1, 1, 0, 0) + name("a.b") + struct.pack(">HH", 1, 1)
    # owner "x" + pointer to itself (offset 21): a loop
    s["bad_loop"] = base + b"\x01x\xc0\x15" + struct.pack(">HHIH", 1, 1, 1, 4) + b"\x01\x02\x03\x04"
    s["bad_self_pointer"] = header(11, 0, 1, 0, 0, 0) + b"\xc0\x0c" + struct.pack(">HH", 1, 1)
    s["bad_forward_pointer"] = (header(12, 0, 1, 0, 0, 0) + b"\x01a\xc0\x14"
                                + struct.pack(">HH", 1, 1) + b"\x01b\x00")
    chain = b""
    prev = 12
    start = 12 + len(name("q.example")) + 4 + 2 + 10
    for i in range(70):
        chain += struct.pack(">H", 0xC000 | prev)
        prev = start + 2 * i
    s["bad_pointer_chain"] = (header(13, 0x8180, 1, 2, 0, 0) + name("q.example")
                              + struct.pack(">HH", 1, 1) + rr(b"\xc0\x0c", 65280, chain)
                              + rr(b"\xc0\x0c", 5, struct.pack(">H", 0xC000 | prev)))
    s["bad_label_types"] = (header(14, 0, 1, 0, 0, 0) + b"\x41abc\x00" + struct.pack(">HH", 1, 1))
    s["bad_long_name"] = (header(15, 0, 1, 0, 0, 0) + (b"\x3f" + b"a" * 63) * 5 + b"\0"
                          + struct.pack(">HH", 1, 1))
    s["bad_counts"] = header(16, 0x8180, 1, 65535, 65535, 65535) + name("x.y") + b"\0\1\0\1"
    full = scapy_seeds()["resp_a_cname"]
    s["bad_truncated"] = full[: len(full) - 5]
    s["bad_escapes"] = (header(17, 0x8180, 1, 1, 0, 0) + b"\x03a.b\x04x y\xff\x00"
                        + struct.pack(">HH", 16, 1)
                        + rr(b"\xc0\x0c", 16, b"\x05a\"b\\c\x02\x01\xff"))
    s["bad_opt_twice"] = (header(18, 0x8000, 1, 0, 0, 2) + name("x.y") + b"\0\1\0\1"
                          + rr(b"\0", 41, b"", ttl=0x01000000, rclass=512)
                          + rr(b"\xc0\x0c", 41, b"\x00\x0a\x00\x02ab", ttl=0, rclass=512))
    return s


def tcp(*msgs):
    return b"".join(struct.pack(">H", len(m)) + m for m in msgs)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = scapy_seeds()
    seeds.update(hand_seeds())
    seeds["tcp_query_response"] = tcp(seeds["query_a"], seeds["resp_a_cname"])
    seeds["tcp_three"] = tcp(seeds["query_aaaa_edns"], seeds["resp_aaaa"], seeds["resp_https"])
    seeds["tcp_zero_len"] = b"\0\0" + tcp(seeds["query_a"])
    for k in sorted(seeds):
        with open(os.path.join(OUT, k + ".bin"), "wb") as f:
            f.write(seeds[k])
    print("wrote %d seeds to %s" % (len(seeds), OUT))


if __name__ == "__main__":
    main()
