#!/usr/bin/env python3
"""pcap_pace.py - write a classic pcap to OUT (a FIFO, usually) at a paced rate, so that a vigil
run reading OUT lasts about SECONDS: the slowed replay that the output tests (Redis outages,
time-based rotation) need. Records are copied byte for byte; only the pacing is added.

    pcap_pace.py --seconds 5 OUT IN.pcap
"""
import argparse
import struct
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("out")
    ap.add_argument("input")
    a = ap.parse_args()
    data = open(a.input, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        sys.exit("pcap_pace: %s: not a classic pcap" % a.input)
    recs = []
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        end = off + 16 + incl
        if end > len(data):
            break
        recs.append((off, end))
        off = end
    step = max(1, len(recs) // 200)  # about 200 pauses
    pause = a.seconds / max(1, len(recs) / step)
    with open(a.out, "wb", buffering=0) as out:
        out.write(data[:24])
        for i in range(0, len(recs), step):
            chunk = recs[i:i + step]
            out.write(data[chunk[0][0]:chunk[-1][1]])
            time.sleep(pause)


if __name__ == "__main__":
    main()
