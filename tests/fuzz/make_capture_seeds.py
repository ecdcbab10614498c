#!/usr/bin/python3
"""make_capture_seeds.py - writes the tiny seed files of tests/fuzz/seeds/capture/ for fuzz_capture.

Each seed exercises one reader path so that the fuzzer starts from valid structure:
  pcap_le_usec.pcap    little-endian microsecond pcap, 2 records (one caplen > snaplen)
  pcap_be_nsec.pcap    big-endian nanosecond pcap, FCS bits in the link type, 2 records
  pcapng_le.pcapng     SHB, 2 IDBs (if_tsresol 10^-9, 2^-20 with if_tsoffset), EPB, SPB, obsolete
                       PB, NRB, ISB, custom block
  pcapng_2sect.pcapng  two sections of opposite byte order, each with an IDB and an EPB

Run from anywhere: /usr/bin/python3 tests/fuzz/make_capture_seeds.py
"""
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "capture")


def data(n, seed):
    return bytes((seed + i * 7) & 0xFF for i in range(n))


def pcap(endian, nsec, snaplen, linktype, records):
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for sec, frac, caplen, wirelen in records:
        out += struct.pack(endian + "IIII", sec, frac, caplen, wirelen) + data(caplen, sec)
    return out


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def opt(endian, code, value):
    return struct.pack(endian + "HH", code, len(value)) + pad4(value)


def block(endian, btype, body):
    body = pad4(body)
    n = 12 + len(body)
    return struct.pack(endian + "II", btype, n) + body + struct.pack(endian + "I", n)


def shb(endian):
    body = struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1) + opt(endian, 4, b"seed") + b"\0" * 4
    return block(endian, 0x0A0D0D0A, body)


def idb(endian, linktype, snaplen, options=b""):
    body = struct.pack(endian + "HHI", linktype, 0, snaplen) + options
    if options:
        body += b"\0" * 4
    return block(endian, 1, body)


def epb(endian, iface, ts, payload, wirelen=None):
    body = struct.pack(endian + "IIIII", iface, ts >> 32, ts & 0xFFFFFFFF, len(payload),
                       wirelen or len(payload))
    body += pad4(payload) + opt(endian, 2, struct.pack(endian + "I", 1)) + b"\0" * 4
    return block(endian, 6, body)


def pb(endian, iface, ts, payload):
    body = struct.pack(endian + "HHIIII", iface, 0, ts >> 32, ts & 0xFFFFFFFF, len(payload),
                       len(payload))
    return block(endian, 2, body + payload)


def spb(endian, payload, wirelen):
    return block(endian, 3, struct.pack(endian + "I", wirelen) + payload)


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "pcap_le_usec.pcap": pcap("<", False, 64, 1, [(1, 5, 60, 60), (2, 999999, 70, 1514)]),
        "pcap_be_nsec.pcap": pcap(">", True, 65535, 0x30000001, [(3, 123456789, 40, 40),
                                                                 (4, 0, 0, 60)]),
    }
    le = "<"
    ng = shb(le)
    ng += idb(le, 1, 128, opt(le, 9, b"\x09"))
    ng += idb(le, 101, 0, opt(le, 9, b"\x94") + opt(le, 14, struct.pack(le + "q", 1000)))
    ng += epb(le, 0, 1500000000123456789, data(42, 1))
    ng += block(le, 4, struct.pack(le + "HH", 1, 10) + pad4(bytes([10, 0, 0, 1]) + b"host\0")
                + b"\0" * 4)
    ng += spb(le, data(20, 2), 20)
    ng += pb(le, 1, 5 << 20, data(16, 3))
    ng += block(le, 5, struct.pack(le + "III", 0, 0, 0) + b"\0" * 4)
    ng += block(le, 0xBAD, struct.pack(le + "I", 32473) + b"custom")
    seeds["pcapng_le.pcapng"] = ng
    two = shb("<") + idb("<", 1, 0) + epb("<", 0, 1000000, data(30, 4))
    two += shb(">") + idb(">", 113, 0, opt(">", 9, b"\x03")) + epb(">", 0, 2000, data(24, 5))
    seeds["pcapng_2sect.pcapng"] = two
    for name, content in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(content)


if __name__ == "__main__":
    main()
