#!/usr/bin/python3
"""Writes the seed inputs of tests/fuzz/fuzz_stream.c into tests/fuzz/seeds/stream/.

The format is described at the top of fuzz_stream.c: an 8-byte configuration header, then 8-byte
segment records, each followed by its payload bytes. The seeds are small scenarios that reach the
interesting paths (handshake, out-of-order, overlaps with different bytes, SYN/ACK race, gaps,
queue and memory caps, wrap-around), so that the fuzzer starts from deep states.
Deterministic: running it twice gives the same files.
"""
import os
import struct

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "stream")


def header(memcap=0x3F, flow_memcap=0x7F, retain=10, maxq=16, midstream=True, isn=(0x00, 0x00)):
    """memcap/flow_memcap/retain/maxq are the raw header fields (see fuzz_stream.c)."""
    return bytes([memcap, flow_memcap, retain, maxq | (0 if midstream else 0x80),
                  isn[0], isn[1], 0x12, 0x34])


def seg(flow=0, d=0, flags=ACK, sd=0, ad=0, payload=b"", resend=False, win=0xFF, cls=0,
        lenbyte=None):
    """One record. Payloads up to 255 bytes are carried in the input (cls 0); larger classes take
    their bytes from the harness's pattern (lenbyte gives the length field then)."""
    b0 = (flow & 3) | (d << 2) | (8 if resend else 0) | (cls << 4)
    n = len(payload) & 0xFF if lenbyte is None else lenbyte
    rec = struct.pack("<BBhhBB", b0, flags, sd, ad, n, win)
    return rec + (b"" if resend else payload)


def handshake(flow=0):
    return (seg(flow, 0, SYN, win=0x81) + seg(flow, 1, SYN | ACK, win=0x81) +
            seg(flow, 0, ACK))


def seeds():
    s = {}
    s["inorder"] = header() + handshake() + \
        seg(0, 0, ACK | PSH, payload=b"GET / HTTP/1.1\r\n\r\n") + \
        seg(0, 1, ACK | PSH, payload=b"HTTP/1.1 200 OK\r\n\r\nbody") + seg(0, 0, ACK | FIN) + \
        seg(0, 1, ACK | FIN)
    # Out of order: the second segment first (seq delta +10 beyond the highest sent so far).
    s["ooo"] = header() + handshake() + seg(0, 0, ACK, sd=10, payload=b"B" * 10) + \
        seg(0, 0, ACK, sd=-20, payload=b"A" * 10)
    # Injection race: same sequence numbers, other bytes.
    s["overlap"] = header() + handshake() + seg(0, 1, ACK, payload=b"HTTP/1.1 302 Found\r\n") + \
        seg(0, 1, ACK, sd=-20, payload=b"HTTP/1.1 200 OK\r\nXY\r\n", win=0x40)
    # The injected segment is queued out of order, then the genuine one covers it.
    s["coalesce"] = header() + handshake() + seg(0, 1, ACK, sd=10, payload=b"F" * 10) + \
        seg(0, 1, ACK, sd=-20, payload=b"g" * 22)
    s["synack_race"] = header() + seg(0, 0, SYN) + seg(0, 1, SYN | ACK) + \
        seg(0, 1, SYN | ACK, sd=5000) + seg(0, 1, SYN | ACK, resend=True) + seg(0, 0, ACK)
    # A hole ACKed by the receiver, then a late filler.
    s["gap_acked"] = header() + handshake() + seg(0, 0, ACK, payload=b"a" * 100) + \
        seg(0, 0, ACK, sd=100, payload=b"c" * 100) + seg(0, 1, ACK) + seg(0, 0, ACK) + \
        seg(0, 0, ACK, sd=-200, payload=b"b" * 100)
    # Queue cap 2: the third out-of-order segment forces a skip.
    s["queue_cap"] = header(maxq=2) + handshake() + b"".join(
        seg(0, 0, ACK, sd=10, payload=bytes([0x41 + i]) * 10) for i in range(5))
    # Small memcaps: retention stops, data flows from the packets.
    s["memcap"] = header(memcap=1, flow_memcap=1, retain=6) + handshake() + b"".join(
        seg(0, 0, ACK, sd=300 if i % 3 else 0, payload=bytes([i]) * 200) for i in range(12))
    # Sequence numbers that wrap within a few segments.
    s["wrap"] = header(isn=(0xFF, 0xFF)) + handshake() + b"".join(
        seg(0, 0, ACK, payload=bytes([i]) * 255) for i in range(4)) + \
        seg(0, 0, ACK, sd=-300, payload=b"\x00" * 200)
    # Mid-stream on two flows, keep-alive and zero-window probe, RST then data.
    s["midstream"] = header() + seg(1, 0, ACK | PSH, payload=b"hello") + \
        seg(1, 1, ACK | PSH, payload=b"world") + seg(1, 0, ACK, sd=-1, payload=b"\x00") + \
        seg(1, 1, ACK, win=0x00) + seg(1, 0, ACK, payload=b"z") + seg(1, 0, RST | ACK) + \
        seg(1, 0, ACK, payload=b"after") + seg(2, 1, ACK, payload=b"other flow")
    # Offload-sized segments (class 12: length byte * 257 = 65535 bytes), then 4080-byte ones.
    s["offload"] = header() + handshake() + seg(0, 1, ACK) + \
        seg(0, 0, ACK, cls=12, lenbyte=0xFF) + \
        seg(0, 0, ACK, cls=12, lenbyte=0xFF) + seg(0, 0, ACK, cls=8, lenbyte=0xFF) + \
        seg(0, 0, ACK, cls=8, lenbyte=0xFF, sd=-2000)
    # Every packet twice (the second copy is a "resend" of the same record).
    s["span_dup"] = header() + b"".join(
        seg(0, d, fl, payload=pl) + seg(0, d, fl, resend=True)
        for d, fl, pl in [(0, SYN, b""), (1, SYN | ACK, b""), (0, ACK, b""), (0, ACK, b"dup"),
                          (1, ACK, b"response"), (0, ACK | FIN, b""), (1, ACK | FIN, b"")])
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(seeds().items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(seeds()), OUT))


if __name__ == "__main__":
    main()
