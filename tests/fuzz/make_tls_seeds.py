#!/usr/bin/python3
"""make_tls_seeds.py - writes the seed corpora of tests/fuzz/fuzz_tls.c and tests/fuzz/fuzz_ssh.c
into tests/fuzz/seeds/tls/ and tests/fuzz/seeds/ssh/.

Seed layout (both harnesses): one control byte (schedule and configuration), the client bytes,
b"\\xff\\xfe", the server bytes. The certificate is the test certificate of tests/unit/
test_tls_cert.h (read from that file). Run from anywhere:
    /usr/bin/python3 tests/fuzz/make_tls_seeds.py
"""
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT_TLS = os.path.join(HERE, "seeds", "tls")
OUT_SSH = os.path.join(HERE, "seeds", "ssh")
SEP = b"\xff\xfe"


def test_cert():
    text = open(os.path.join(REPO, "tests", "unit", "test_tls_cert.h")).read()
    body = text[text.index("g_test_cert_der"):]
    body = body[body.index("{") + 1:body.index("}")]
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", body))


CERT = test_cert()


def u8(v):
    return struct.pack(">B", v)


def u16(v):
    return struct.pack(">H", v)


def u24(v):
    return struct.pack(">I", v)[1:]


def v8(b):
    return u8(len(b)) + b


def v16(b):
    return u16(len(b)) + b


def v24(b):
    return u24(len(b)) + b


def hs(t, body):
    return u8(t) + v24(body)


def records(ctype, data, frag=16384, version=0x0303):
    out = b""
    i = 0
    while True:
        part = data[i:i + frag]
        out += u8(ctype) + u16(version) + v16(part)
        i += frag
        if i >= len(data):
            return out


def ext(t, body):
    return u16(t) + v16(body)


CCS = records(20, b"\x01")


def enc(n, seed=1, ctype=23):
    return records(ctype, bytes((seed * 37 + i * 11) & 0xff for i in range(n)))


def client_hello(sni=b"www.example.com", tls13=True, alpn=(b"h2", b"http/1.1"), grease=True,
                 extra=b"", rnd=0x30):
    ciphers = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013,
               0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
    if grease:
        ciphers = [0x0a0a] + ciphers
    exts = b""
    if grease:
        exts += ext(0x0a0a, b"")
    if sni is not None:
        exts += ext(0x0000, v16(u8(0) + v16(sni)))
    exts += ext(0x0017, b"") + ext(0xff01, b"\x00")
    exts += ext(0x000a, v16(b"".join(u16(g) for g in ([0x2a2a] if grease else []) + [0x1d, 0x17, 0x18])))
    exts += ext(0x000b, v8(b"\x00"))
    exts += ext(0x0023, b"")
    if alpn:
        exts += ext(0x0010, v16(b"".join(v8(a) for a in alpn)))
    exts += ext(0x0005, b"\x01\x00\x00\x00\x00")
    exts += ext(0x000d, v16(b"".join(u16(s) for s in [0x0403, 0x0804, 0x0401, 0x0503, 0x0805,
                                                      0x0501, 0x0806, 0x0601])))
    exts += ext(0x0012, b"")
    if tls13:
        exts += ext(0x0033, v16(u16(0x1d) + v16(b"\x11" * 32)))
        exts += ext(0x002d, v8(b"\x01"))
        exts += ext(0x002b, v8(b"".join(u16(v) for v in ([0x1a1a] if grease else []) + [0x0304, 0x0303])))
    exts += ext(0x001b, v16(b"\x00\x02"))
    exts += extra
    if grease:
        exts += ext(0x3a3a, b"\x00")
    body = (u16(0x0303) + bytes(range(rnd, rnd + 32)) + v8(b"\x55" * 32) +
            v16(b"".join(u16(c) for c in ciphers)) + v8(b"\x00") + v16(exts))
    return hs(1, body)


HRR_RANDOM = bytes.fromhex("cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def server_hello12(cipher=0xc02f, sid=b"\x66" * 32):
    exts = ext(0xff01, b"\x00") + ext(0x0000, b"") + ext(0x000b, v8(b"\x00")) + \
        ext(0x0010, v16(v8(b"h2"))) + ext(0x0017, b"")
    return hs(2, u16(0x0303) + bytes(range(0xa0, 0xc0)) + v8(sid) + u16(cipher) + b"\x00" + v16(exts))


def server_hello13(hrr=False):
    ks = u16(0x17) if hrr else u16(0x1d) + v16(b"\x22" * 32)
    exts = ext(0x002b, u16(0x0304)) + ext(0x0033, ks)
    rnd = HRR_RANDOM if hrr else bytes(range(0x10, 0x30))
    return hs(2, u16(0x0303) + rnd + v8(b"\x55" * 32) + u16(0x1301) + b"\x00" + v16(exts))


def certificate(*ders):
    return hs(11, v24(b"".join(v24(d) for d in ders)))


def seed_tls12(frag=16384, client_cert=False):
    c = records(22, client_hello(tls13=False), frag, 0x0301)
    s_msgs = server_hello12() + certificate(CERT, b"\x30\x03\x02\x01\x01")
    if client_cert:
        s_msgs += hs(13, v8(b"\x01\x40") + v16(u16(0x0401)) + v16(b""))
    s_msgs += hs(14, b"")
    s = records(22, s_msgs, frag)
    c_msgs = b""
    if client_cert:
        c_msgs += certificate(CERT)
    c_msgs += hs(16, v8(b"\x77" * 32))
    c += records(22, c_msgs, frag) + CCS + enc(40, 2, 22) + enc(30, 3)
    s += CCS + enc(40, 4, 22) + enc(60, 5)
    return c, s


def seed_tls13_hrr():
    c = records(22, client_hello(rnd=1), 16384, 0x0301) + CCS + records(22, client_hello(rnd=2))
    c += enc(53, 6)
    s = records(22, server_hello13(True)) + CCS + records(22, server_hello13(False)) + enc(100, 7)
    return c, s


def seed_tls13():
    return (records(22, client_hello(sni=b"quic.example", alpn=(b"\xab\xcd",)), 16384, 0x0301) +
            enc(60, 8), records(22, server_hello13()) + CCS + enc(200, 9) + enc(20, 10))


def sslv2_client_hello():
    specs = b"\x00\x00\x2f\x00\x00\x35\x07\x00\xc0\x01\x00\x80"
    body = b"\x01" + u16(0x0301) + u16(len(specs)) + u16(0) + u16(16) + specs + bytes(range(16))
    return u16(0x8000 | len(body)) + body


def sslv2_server_hello():
    specs = b"\x07\x00\xc0"
    body = (b"\x04\x00\x01" + u16(0x0002) + u16(len(CERT)) + u16(len(specs)) + u16(16) + CERT +
            specs + bytes(range(16)))
    return u16(0x8000 | len(body)) + body


def draft14_server_hello():
    exts = ext(40, u16(0x17) + v16(b"\x04" + b"\x33" * 64))
    return records(22, hs(2, u16(0x7f0e) + bytes(range(32)) + u16(0xc02b) + v16(exts)))


def bad_sni():
    long_sni = ext(0x0000, v16(u8(0) + v16(b"a" * 300)))
    two = ext(0x0000, v16(u8(1) + v16(b"b")))
    return records(22, client_hello(sni=None, extra=long_sni + two), 16384, 0x0301)


def heartbeat_alert():
    c = records(22, client_hello(tls13=False), 16384, 0x0301)
    c += records(24, b"\x01\x40\x00" + b"\x00" * 16)  # heartbleed-style
    c += records(21, b"\x02\x28\x00")
    s = records(22, server_hello12()) + records(21, b"\x02\x28") + records(24, b"\x02\x00\x01x" + b"\x00" * 16)
    return c, s


TLS_SEEDS = {
    "tls12_full": (0x00,) + seed_tls12(),
    "tls12_frag7": (0x01,) + seed_tls12(7),
    "tls12_frag1_bytes": (0x20,) + seed_tls12(1),
    "tls12_client_cert": (0x02,) + seed_tls12(client_cert=True),
    "tls12_small_msgmax": (0x83,) + seed_tls12(),
    "tls13_hrr": (0x03,) + seed_tls13_hrr(),
    "tls13_plain": (0x22,) + seed_tls13(),
    "sslv2_to_tls": (0x00, sslv2_client_hello(), records(22, server_hello12(), 16384, 0x0301)),
    "sslv2_server": (0x01, sslv2_client_hello(), sslv2_server_hello()),
    "tls13_draft14": (0x02, records(22, client_hello(), 16384, 0x0301), draft14_server_hello()),
    "bad_sni": (0x00, bad_sni(), b""),
    "heartbeat_alert": (0x01,) + heartbeat_alert(),
    "gaps": (0x43,) + seed_tls12(100),
    "not_tls": (0x00, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"HTTP/1.1 200 OK\r\n\r\n"),
}


# ---------------------------------------------------------------- SSH

def name_list(s):
    return struct.pack(">I", len(s)) + s


def ssh_packet(payload):
    pad = 8 - (5 + len(payload)) % 8
    if pad < 4:
        pad += 8
    return struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + b"\x00" * pad


def kexinit(kex, lists=10):
    names = [kex, b"ssh-ed25519,rsa-sha2-512",
             b"chacha20-poly1305@openssh.com,aes128-ctr,aes256-gcm@openssh.com",
             b"chacha20-poly1305@openssh.com,aes128-ctr",
             b"umac-64-etm@openssh.com,hmac-sha2-256", b"hmac-sha2-512",
             b"none,zlib@openssh.com", b"none", b"", b""]
    p = b"\x14" + bytes(range(16)) + b"".join(name_list(n) for n in names[:lists])
    if lists == 10:
        p += b"\x00" + b"\x00" * 4
    return ssh_packet(p)


KEX_C = b"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ext-info-c"
KEX_S = b"curve25519-sha256,diffie-hellman-group16-sha512"

SSH_SEEDS = {
    "openssh": (0x00, b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n" + kexinit(KEX_C) + ssh_packet(b"\x1e" + b"\x07" * 36),
                b"SSH-2.0-OpenSSH_7.4\r\n" + ssh_packet(b"\x02" + name_list(b"abc")) + kexinit(KEX_S)),
    "pre_banner": (0x01, b"SSH-2.0-PuTTY_Release_0.78\r\n" + kexinit(KEX_C),
                   b"Welcome\r\nlegal notice\r\nSSH-1.99-Cisco-1.25\r\n" + kexinit(KEX_S)),
    "bytes": (0x20, b"SSH-2.0-libssh_0.9.6\n" + kexinit(KEX_C), b"SSH-2.0-dropbear_2022.83\r\n" + kexinit(KEX_S)),
    "ssh1": (0x02, b"SSH-1.5-OpenSSH_3.1\n\x00\x00\x01\x2c\x00\x00", b"SSH-1.5-x\r\n"),
    "long_banner": (0x03, b"SSH-2.0-" + b"x" * 300 + b" c\r\n" + kexinit(KEX_C), b""),
    "big_packet": (0x80, b"SSH-2.0-a\r\n" + ssh_packet(b"\x02" + b"\x01" * 1000) + kexinit(KEX_C), b""),
    "bad_kexinit": (0x00, b"SSH-2.0-a\r\n" + kexinit(KEX_C, 7), b"SSH-2.0-b\r\n\x7f\xff\xff\xff\x04"),
    "newkeys": (0x01, b"SSH-2.0-a\r\n" + ssh_packet(b"\x15") + kexinit(KEX_C), b""),
    "gaps": (0x41, b"SSH-2.0-OpenSSH_9.6\r\n" + kexinit(KEX_C), b"SSH-2.0-OpenSSH_9.6\r\n" + kexinit(KEX_S)),
}


def write(out, seeds):
    os.makedirs(out, exist_ok=True)
    for name, (ctrl, c, s) in sorted(seeds.items()):
        data = bytes([ctrl]) + c + (SEP + s if s else b"")
        assert SEP not in c, name  # the separator must not occur inside the client bytes
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(data)


def main():
    write(OUT_TLS, TLS_SEEDS)
    write(OUT_SSH, SSH_SEEDS)
    print("wrote %d tls seeds to %s, %d ssh seeds to %s" % (len(TLS_SEEDS), OUT_TLS, len(SSH_SEEDS), OUT_SSH))


if __name__ == "__main__":
    main()
