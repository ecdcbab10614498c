#!/usr/bin/python3
"""Writes the seed corpus of tests/fuzz/fuzz_decode.c into tests/fuzz/seeds/decode/.

Each seed is one byte choosing the link type (index into g_links of the harness, keep in step)
followed by a small, valid frame: the fuzzer starts from well-formed layers and mutates inwards.
Run from the repository root: /usr/bin/python3 tests/fuzz/make_decode_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "decode")
LINKS = ["eth", "null", "loop", "ppp", "raw", "raw12", "raw14", "ipv4", "ipv6", "sll", "sll2"]

A4, B4 = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
A6 = bytes.fromhex("20010db8000000000000000000000001")
B6 = bytes.fromhex("20010db8000000000000000000000002")


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def pseudo(src, dst, proto, n):
    if len(src) == 4:
        return src + dst + struct.pack("!BBH", 0, proto, n)
    return src + dst + struct.pack("!IxxxB", n, proto)


def tcp(src, dst, sp, dp, flags=0x02, opts=b"", payload=b""):
    hl = 20 + len(opts)
    h = struct.pack("!HHIIBBHHH", sp, dp, 1000, 0, (hl // 4) << 4, flags, 65535, 0, 0) + opts
    seg = h + payload
    c = csum(pseudo(src, dst, 6, len(seg)) + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def udp(src, dst, sp, dp, payload=b""):
    seg = struct.pack("!HHHH", sp, dp, 8 + len(payload), 0) + payload
    c = csum(pseudo(src, dst, 17, len(seg)) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", c) + seg[8:]


def icmp4(t, c, rest=b"\0\0\0\0", body=b""):
    m = struct.pack("!BBH", t, c, 0) + rest + body
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def ip4(src, dst, proto, payload, ident=1, frag=0, ttl=64, opts=b""):
    hl = 20 + len(opts)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | hl // 4, 0, hl + len(payload), ident, frag, ttl,
                    proto, 0, src, dst) + opts
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ip6(src, dst, nh, payload, hlim=64):
    return struct.pack("!IHBB", 0x60000000, len(payload), nh, hlim) + src + dst + payload


def eth(t, payload):
    return bytes.fromhex("00112233445566778899aabb") + struct.pack("!H", t) + payload


def seeds():
    C4, D4 = bytes([172, 16, 0, 1]), bytes([172, 16, 0, 2])
    opts = bytes([2, 4, 5, 0xB4, 1, 3, 3, 7, 4, 2, 8, 10]) + bytes(8)
    syn = tcp(A4, B4, 40000, 80, opts=opts)
    yield "eth_ipv4_tcp", "eth", eth(0x0800, ip4(A4, B4, 6, syn))
    u6 = udp(A6, B6, 5353, 53, b"q")
    hbh = bytes([17, 0, 5, 2, 0, 0, 0, 0])
    tag = struct.pack("!HH", 42, 0x86DD)
    yield "eth_vlan_ipv6_hbh_udp", "eth", eth(0x8100, tag + ip6(A6, B6, 0, hbh + u6))
    tags = struct.pack("!HHHH", 10, 0x8100, 20, 0x0800)
    yield "eth_qinq_ipv4_udp", "eth", eth(0x88A8, tags + ip4(A4, B4, 17, udp(A4, B4, 1, 2, b"x")))
    echo = icmp4(8, 0, struct.pack("!HH", 7, 1), b"ping")
    label = struct.pack("!I", 100 << 12 | 0x100 | 64)
    yield "eth_mpls_ipv4_icmp", "eth", eth(0x8847, label + ip4(A4, B4, 1, echo))
    ip = ip4(A4, B4, 17, udp(A4, B4, 68, 67, b"d"))
    pppoe = struct.pack("!BBHHH", 0x11, 0, 1, len(ip) + 2, 0x0021)
    yield "eth_pppoe_ipv4", "eth", eth(0x8864, pppoe + ip)
    inner = ip4(C4, D4, 6, tcp(C4, D4, 1, 2))
    gre = struct.pack("!HHI", 0x2000, 0x0800, 77)
    yield "raw_gre_key_ipv4", "raw", ip4(A4, B4, 47, gre + inner)
    vx = struct.pack("!BxxxI", 0x08, 0x123456 << 8) + eth(0x0800, inner)
    yield "eth_vxlan", "eth", eth(0x0800, ip4(A4, B4, 17, udp(A4, B4, 5555, 4789, vx)))
    dgram = udp(A4, B4, 9, 9, bytes(range(64)))
    yield "eth_ipv4_frag0", "eth", eth(0x0800, ip4(A4, B4, 17, dgram[:32], ident=9, frag=0x2000))
    yield "eth_ipv4_frag1", "eth", eth(0x0800, ip4(A4, B4, 17, dgram[32:], ident=9, frag=4))
    d6 = udp(A6, B6, 9, 9, bytes(range(48)))
    yield "raw_ipv6_frag0", "raw", ip6(A6, B6, 44, struct.pack("!BBHI", 17, 0, 1, 5) + d6[:24])
    yield "raw_ipv6_frag1", "raw", ip6(A6, B6, 44, struct.pack("!BBHI", 17, 0, 24, 5) + d6[24:])
    yield "null_ipv6_tcp", "null", struct.pack("<I", 30) + ip6(A6, B6, 6, tcp(A6, B6, 1, 22))
    yield "loop_ipv4_udp", "loop", struct.pack("!I", 2) + ip4(A4, B4, 17, udp(A4, B4, 1, 2))
    yield "ppp_ipv4", "ppp", b"\xff\x03\x00\x21" + ip4(A4, B4, 6, syn)
    mac = b"\x01\x02\x03\x04\x05\x06\0\0"
    sll = struct.pack("!HHH8sH", 0, 1, 6, mac, 0x0800)
    yield "sll_ipv4_tcp", "sll", sll + ip4(A4, B4, 6, syn)
    sll2 = struct.pack("!HHIHBB8s", 0x86DD, 0, 3, 1, 0, 6, mac)
    yield "sll2_ipv6_udp", "sll2", sll2 + ip6(A6, B6, 17, u6)
    quote = ip4(B4, A4, 17, udp(B4, A4, 53, 5353, b"abcd"))[:28]
    yield "ipv4_icmp_unreach", "ipv4", ip4(A4, B4, 1, icmp4(3, 3, b"\0\0\0\0", quote))
    yield "ipv6_in_ipv4", "raw", ip4(A4, B4, 41, ip6(A6, B6, 17, u6))
    ah = bytes([50, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1])
    yield "ipv6_ah_esp", "ipv6", ip6(A6, B6, 51, ah + bytes(16))


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, link, frame in seeds():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([LINKS.index(link)]) + frame)


if __name__ == "__main__":
    main()
