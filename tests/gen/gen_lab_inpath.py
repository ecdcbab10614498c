#!/usr/bin/python3
"""gen_lab_inpath.py - labelled lab of in-path tampering (issue #6: inpath_rewrite,
injected_redirect) and of the benign confounders that trip naive detectors.

    /usr/bin/python3 tests/gen/gen_lab_inpath.py --out DIR [--seed N]
    /usr/bin/python3 tests/gen/gen_lab_inpath.py --pcap-dir tests/pcap      (committed cases)

--out writes DIR/attack/<class>/<case>.pcap (classes inpath_rewrite, injected_redirect) and
DIR/benign/<confounder>/<case>.pcap (load_balanced, anycast_cdn, nat, route_change, df_clear,
genuine_redirect, mobile_paths, ordinary). bench/detection-eval scores by path: a capture under
attack/<class>/ is a positive for <class>; a finding of class C anywhere else is a false positive.

--pcap-dir writes a few suricata-verify style cases (tests/pcap/inpath-*/input.pcap + test.yaml):
one attack per subtype and two confounders, with the exact EVE they must produce.

The implant model: a machine on the path (a border router, a firewall, a transparent proxy)
answers or rewrites server packets with its own IP/TCP stack: its initial TTL, its IP ID
counter, its DF habit, its TCP options (timestamps or none) and its TS clock. Stacks below are
typical of Linux, Windows, FreeBSD servers and of router / crafted implants.

Every byte is a function of this file and the seed: fixed timestamps, random.Random(seed) for the
choices, captures written with struct (classic pcap, microseconds).
"""
import argparse
import os
import random
import struct
import sys

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import conf  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402
from scapy.layers.inet import IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6  # noqa: E402
from scapy.layers.dns import DNS, DNSQR, DNSRR  # noqa: E402

conf.verb = 0

T0 = 1_700_200_000 * 1_000_000_000  # ns


def pcap_bytes(records):
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    for ts_ns, data in records:
        sec, frac = divmod(ts_ns, 1_000_000_000)
        out.append(struct.pack("<IIII", sec, frac // 1000, len(data), len(data)) + data)
    return b"".join(out)


def write_pcap(path, records):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(pcap_bytes(records))


# ---- stacks ---------------------------------------------------------------------------------------

class Stack:
    """How one machine's IP/TCP stack builds packets."""

    def __init__(self, name, ittl, df, ipid, ts_hz, win, wscale, synack_id0=False, mss=1460):
        self.name, self.ittl, self.df, self.ipid_mode = name, ittl, df, ipid
        self.ts_hz, self.win, self.wscale, self.synack_id0, self.mss = ts_hz, win, wscale, synack_id0, mss


STACKS = {
    "linux": Stack("linux", 64, True, "conn", 1000, 502, 7, synack_id0=True),
    "linux250": Stack("linux250", 64, True, "conn", 250, 509, 9, synack_id0=True),
    "windows": Stack("windows", 128, True, "global", None, 1026, 8),
    "freebsd": Stack("freebsd", 64, True, "random", 1000, 1040, 6),
    "router": Stack("router", 255, False, "global", None, 4128, 0),
    "crafted": Stack("crafted", 64, False, "one", None, 8192, 0),
    "crafted_ts": Stack("crafted_ts", 255, False, "zero", 100, 8192, 0),
    "solaris": Stack("solaris", 255, True, "global", 100, 3000, 2),
}


class Host:
    """One machine: a stack, an address, the hop count to the capture point, and its counters."""

    def __init__(self, rng, stack, ip, hops, mac):
        self.rng, self.st, self.ip, self.hops, self.mac = rng, stack, ip, hops, mac
        self.gid = rng.randrange(1, 60000)
        self.ts_base = rng.randrange(1 << 20, 1 << 31)
        self.v6 = ":" in ip

    def next_id(self, conn_ids, key):
        m = self.st.ipid_mode
        if m == "zero":
            return 0
        if m == "one":
            return 1
        if m == "random":
            return self.rng.randrange(1, 65536)
        if m == "global":
            self.gid = (self.gid + self.rng.randrange(1, 9)) & 0xFFFF or 1
            return self.gid
        cur = conn_ids.get(key)
        if cur is None:
            cur = self.rng.randrange(1, 65536)
        cur = (cur + 1) & 0xFFFF or 1
        conn_ids[key] = cur
        return cur

    def tsval(self, t_ns):
        return (self.ts_base + self.st.ts_hz * t_ns // 1_000_000_000) & 0xFFFFFFFF


# ---- one capture ----------------------------------------------------------------------------------

class Cap:
    def __init__(self, t0=T0):
        self.frames = []
        self.t = t0

    def add(self, frame, dt_ms):
        self.t += int(dt_ms * 1_000_000)
        self.frames.append((self.t, frame))
        return len(self.frames)


class Conn:
    """A TCP connection between client c and server s; server packets may be built by another
    host (the implant) with `by=`. ts negotiated when both the client and the server use TS."""

    def __init__(self, cap, c, s, cport, sport=80):
        self.cap, self.c, self.s = cap, c, s
        self.cport, self.sport = cport, sport
        self.cseq = c.rng.randrange(1 << 31)
        self.sseq = s.rng.randrange(1 << 31)
        self.ids = {}
        self.ts = c.st.ts_hz is not None and s.st.ts_hz is not None
        self.last_ts = {"c": 0, "s": 0}

    def frame(self, frm, flags, payload=b"", by=None, hops=None, ttl=None, df=None, seq=None,
              synack=False):
        if frm == "c":
            me, peer, sp, dp = self.c, self.s, self.cport, self.sport
        else:
            me, peer, sp, dp = self.s, self.c, self.sport, self.cport
        builder = by or me
        st = builder.st
        h = builder.hops if hops is None else hops
        ttl = (st.ittl - h) if ttl is None else ttl
        key = (frm, id(builder))
        ipid = builder.next_id(self.ids, key)
        if synack and st.synack_id0:
            ipid = 0
        opts = []
        t = self.cap.t
        if "S" in flags:
            opts = [("MSS", st.mss if not me.v6 else st.mss - 20)]
            if st.ts_hz is not None and (frm == "c" or self.ts):
                opts += [("SAckOK", b""), ("Timestamp", (builder.tsval(t), self.last_ts["c"] if frm == "s" else 0)),
                         ("NOP", None), ("WScale", st.wscale)]
            else:
                opts += [("NOP", None), ("WScale", st.wscale), ("NOP", None), ("NOP", None), ("SAckOK", b"")]
        elif st.ts_hz is not None and (self.ts or builder is not me):
            other = "s" if frm == "c" else "c"
            opts = [("NOP", None), ("NOP", None), ("Timestamp", (builder.tsval(t), self.last_ts[other]))]
        for o in opts:
            if o[0] == "Timestamp" and builder is me:
                self.last_ts[frm] = o[1][0]
        if frm == "c":
            sq, ak = (self.cseq if seq is None else seq), self.sseq
        else:
            sq, ak = (self.sseq if seq is None else seq), self.cseq
        win = 64240 if "S" in flags else st.win
        tcp = TCP(sport=sp, dport=dp, seq=sq & 0xFFFFFFFF, ack=(ak if "A" in flags else 0) & 0xFFFFFFFF,
                  flags=flags, window=win, options=opts)
        if me.v6:
            l3 = IPv6(src=me.ip, dst=peer.ip, hlim=ttl)
        else:
            l3 = IP(src=me.ip, dst=peer.ip, ttl=ttl, id=ipid, flags="DF" if (st.df if df is None else df) else 0)
        pkt = Ether(src=me.mac, dst=peer.mac) / l3 / tcp
        if payload:
            pkt = pkt / payload
        if seq is None:
            adv = len(payload) + ("S" in flags) + ("F" in flags)
            if frm == "c":
                self.cseq = (self.cseq + adv) & 0xFFFFFFFF
            else:
                self.sseq = (self.sseq + adv) & 0xFFFFFFFF
        return bytes(pkt)

    def send(self, frm, flags, payload=b"", dt_ms=1, **kw):
        return self.cap.add(self.frame(frm, flags, payload, **kw), dt_ms)

    def handshake(self, rtt=20):
        self.send("c", "S", dt_ms=5)
        self.send("s", "SA", dt_ms=rtt, synack=True)
        self.send("c", "A", dt_ms=1)

    def server_data(self, data, by=None, mss=1400, dt_ms=1, **kw):
        nums = []
        for i in range(0, len(data), mss):
            nums.append(self.send("s", "PA" if i + mss >= len(data) else "A", data[i:i + mss],
                                  dt_ms=dt_ms, by=by, **kw))
        return nums

    def close(self, by=None, **kw):
        self.send("c", "FA", dt_ms=5)
        self.send("s", "FA", dt_ms=10, by=by, **kw)
        self.send("c", "A", dt_ms=1)


def http_req(host, path="/"):
    return ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n"
            % (path, host)).encode()


def http_resp(status=200, body=b"", server="nginx/1.24.0", extra=(), date=True, ctype="text/html",
              close=False):
    reason = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other",
              307: "Temporary Redirect", 308: "Permanent Redirect"}[status]
    h = ["HTTP/1.1 %d %s" % (status, reason)]
    if server:
        h.append("Server: " + server)
    if date:
        h.append("Date: Tue, 14 Nov 2023 10:00:00 GMT")
    if ctype:
        h.append("Content-Type: " + ctype)
    h.append("Content-Length: %d" % len(body))
    h += list(extra)
    h.append("Connection: " + ("close" if close else "keep-alive"))
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def html(rng, n=600, extra=b""):
    words = [b"news", b"weather", b"sport", b"markets", b"video", b"travel", b"science"]
    body = b"<html><head><title>Index</title></head><body>"
    while len(body) < n:
        body += b"<p>" + b" ".join(rng.choice(words) for _ in range(8)) + b"</p>"
    return body + extra + b"</body></html>"


MAC_C, MAC_S = "02:00:00:00:00:0c", "02:00:00:00:00:05"


def mk_client(rng, v6=False, stack="linux", idx=0):
    ip = ("2001:db8:1::%x" % (0x10 + idx)) if v6 else "10.9.0.%d" % (10 + idx)
    return Host(rng, STACKS[stack], ip, 0, MAC_C)


def mk_server(rng, stack, hops, v6=False, ip=None):
    if ip is None:
        ip = "2001:db8:80::%x" % rng.randrange(1, 0xffff) if v6 else "203.0.113.%d" % rng.randrange(2, 250)
    return Host(rng, STACKS[stack], ip, hops, MAC_S)


def genuine_flow(cap, rng, cl, srv, host, n_resp=1, cport=None, status=200, body=None, server="nginx/1.24.0",
                 hops_after=None, ack_first=False):
    c = Conn(cap, cl, srv, cport or rng.randrange(32768, 60999))
    c.handshake(rtt=rng.randrange(8, 60))
    for _ in range(n_resp):
        c.send("c", "PA", http_req(host), dt_ms=1)
        if ack_first:
            c.send("s", "A", dt_ms=15)
        c.server_data(http_resp(status, body if body is not None else html(rng, rng.randrange(300, 3000)),
                                server=server), dt_ms=rng.randrange(2, 30))
        c.send("c", "A", dt_ms=1)
    c.close()
    return c


# ---- attack cases ---------------------------------------------------------------------------------

# (server stack, implant stack) pairs that differ in at least two stack signals the detector reads
PAIRS = [("linux", "windows"), ("linux", "router"), ("windows", "linux"), ("windows", "crafted"),
         ("freebsd", "windows"), ("freebsd", "router"), ("linux", "crafted_ts"), ("windows", "solaris"),
         ("linux250", "router"), ("solaris", "linux"), ("linux", "crafted"), ("freebsd", "crafted")]

EVIL = ["update-cdn.cdn-example.net", "login-secure.examp1e.org", "evil.example", "dl.badsite.example",
        "track.adnet-example.info", "cdn-js.jsdelivery.biz"]
SITES = ["www.example.com", "news.example.org", "shop.example.co.uk", "portal.example.net",
         "mail.example.de", "www.example.com.au"]


def attack_inpath(rng, i):
    """inpath_rewrite: the implant rewrites the response (head or body) of a flow; no redirect to
    another domain (content changed in place)."""
    cap = Cap(T0 + i * 10**9)
    sv, im = PAIRS[i % len(PAIRS)]
    v6 = i % 4 == 0 and sv not in ("windows",) and im not in ("crafted", "crafted_ts")
    cl = mk_client(rng, v6)
    srv = mk_server(rng, sv, rng.randrange(3, 20), v6)
    imp = Host(rng, STACKS[im], srv.ip, rng.randrange(1, 4), MAC_S)
    site = SITES[i % len(SITES)]
    keep = i % 3 == 0 or im in ("crafted",) or sv == "windows"
    c = Conn(cap, cl, srv, rng.randrange(32768, 60999))
    c.handshake(rtt=rng.randrange(10, 80))
    if keep:  # a keep-alive flow: earlier genuine answers make the baseline
        for _ in range(rng.randrange(1, 3)):
            c.send("c", "PA", http_req(site), dt_ms=1)
            c.server_data(http_resp(200, html(rng, rng.randrange(400, 2500))), dt_ms=rng.randrange(5, 40))
            c.send("c", "A", dt_ms=1)
    c.send("c", "PA", http_req(site, "/app.js" if i % 2 else "/"), dt_ms=3)
    if sv == "windows" or i % 5 == 1:
        c.send("s", "A", dt_ms=12)
    mode = i % 3
    if mode == 0:  # head rewrite: the implant answers the whole response
        c.server_data(http_resp(200, html(rng, 900, b"<script src='/x.js'></script>"),
                                server="nginx/1.24.0"), by=imp, dt_ms=rng.randrange(5, 30))
    elif mode == 1:  # body rewrite: genuine head, a body segment from the implant
        body = html(rng, 2600)
        data = http_resp(200, body)
        c.server_data(data[:1400], dt_ms=rng.randrange(5, 30))
        c.server_data(data[1400:2000].replace(b"news", b"scam"), by=imp, dt_ms=1)
        c.server_data(data[2000:], dt_ms=1)
    else:  # a changed answer in one segment, then the genuine server again
        c.server_data(http_resp(200, b"<html><body>maintenance</body></html>"), by=imp, dt_ms=rng.randrange(5, 30))
    c.send("c", "A", dt_ms=1)
    c.close()
    return cap


def attack_proxy(rng, i):
    """inpath_rewrite of a whole flow: a transparent proxy on the path terminates the client's
    connection to a server whose earlier flows make its baseline, and answers with its own stack
    and its own response headers."""
    cap = Cap(T0 + (150 + i) * 10**9)
    sv, im = [("linux", "windows"), ("windows", "linux"), ("freebsd", "router"), ("linux", "solaris")][i % 4]
    cl = mk_client(rng)
    srv = mk_server(rng, sv, rng.randrange(3, 20))
    imp = Host(rng, STACKS[im], srv.ip, rng.randrange(1, 4), MAC_S)
    site = SITES[i % len(SITES)]
    for _ in range(rng.randrange(4, 7)):
        genuine_flow(cap, rng, cl, srv, site, ack_first=rng.random() < 0.5)
    c = Conn(cap, cl, imp, rng.randrange(32768, 60999))
    c.handshake(rtt=rng.randrange(2, 10))
    c.send("c", "PA", http_req(site, "/account"), dt_ms=1)
    body = html(rng, 700, b"<form action='http://203.0.113.250/collect'></form>")
    c.server_data(http_resp(200, body, server=["Apache", None, "squid/4.13", "Microsoft-IIS/10.0"][i % 4],
                            date=i % 2 == 0), dt_ms=rng.randrange(3, 20))
    c.send("c", "A", dt_ms=1)
    c.close()
    return cap


def dns_msg(qid, name, addrs=None, qr=False, ttl=300):
    if not qr:
        return bytes(DNS(id=qid, rd=1, qd=DNSQR(qname=name)))
    an = None
    for a in addrs:
        rr = DNSRR(rrname=name, type="A", ttl=ttl, rdata=a)
        an = rr if an is None else an / rr
    return bytes(DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name), an=an))


def udp_frame(src, dst, sport, dport, payload, ttl, ipid, df, smac, dmac):
    if ":" in src.ip:
        l3 = IPv6(src=src.ip, dst=dst.ip, hlim=ttl)
    else:
        l3 = IP(src=src.ip, dst=dst.ip, ttl=ttl, id=ipid, flags="DF" if df else 0)
    return bytes(Ether(src=smac, dst=dmac) / l3 / UDP(sport=sport, dport=dport) / payload)


def dns_exchange(cap, rng, cl, res, name, addrs, by=None, dt=20):
    qid = rng.randrange(1, 65535)
    sport = rng.randrange(20000, 60000)
    cap.add(udp_frame(cl, res, sport, 53, dns_msg(qid, name), 64, rng.randrange(1, 65535), False, MAC_C, MAC_S), 50)
    b = by or res
    ids = {}
    cap.add(udp_frame(res, cl, 53, sport, dns_msg(qid, name, addrs, qr=True), b.st.ittl - b.hops,
                      b.next_id(ids, "d"), b.st.df, MAC_S, MAC_C), dt)


def attack_dns(rng, i):
    """inpath_rewrite of a DNS answer: the resolver's earlier answers make its baseline."""
    cap = Cap(T0 + (100 + i) * 10**9)
    sv, im = [("linux", "router"), ("windows", "crafted"), ("linux", "crafted_ts"), ("freebsd", "router"),
              ("windows", "router")][i % 5]
    cl = mk_client(rng)
    res = mk_server(rng, sv, rng.randrange(1, 12))
    imp = Host(rng, STACKS[im], res.ip, rng.randrange(1, 3), MAC_S)
    for k in range(rng.randrange(4, 8)):
        dns_exchange(cap, rng, cl, res, "host%d.%s" % (k, SITES[k % len(SITES)]), ["93.184.216.%d" % (k + 1)])
    dns_exchange(cap, rng, cl, res, "www.bank.example", ["198.51.100.66"], by=imp)
    return cap


def redirect_payload(rng, kind, evil, status=302, shape=False, server="nginx/1.24.0"):
    url = "http://%s/%s" % (evil, rng.choice(["setup.exe", "login", "index.php?id=7", "x"]))
    if kind == "30x":
        if shape:
            return ("HTTP/1.1 %d Found\r\nLocation: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    % (status, url)).encode()
        return http_resp(status, b"", server=server, extra=["Location: " + url], ctype=None, close=True)
    if kind == "meta":
        body = ("<html><head><meta http-equiv=\"refresh\" content=\"0; url=%s\"></head></html>" % url).encode()
    else:
        body = ("<html><body><script>window.location.href = \"%s\";</script></body></html>" % url).encode()
    if shape:
        return ("HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)).encode() + body
    return http_resp(200, body, server=server, close=True)


def attack_redirect(rng, i):
    """injected_redirect: departing packets carry a cross-domain redirect (30x / meta / script),
    or (every fourth case) an in-place rewrite keeps the server's IP fields but the answer has
    the shape of an injected one."""
    cap = Cap(T0 + (200 + i) * 10**9)
    sv, im = PAIRS[(i * 5) % len(PAIRS)]
    v6 = i % 5 == 4 and sv not in ("windows",) and im not in ("crafted", "crafted_ts")
    cl = mk_client(rng, v6)
    srv = mk_server(rng, sv, rng.randrange(3, 20), v6)
    site = SITES[i % len(SITES)]
    evil = EVIL[i % len(EVIL)]
    kind = ["30x", "30x", "meta", "script"][i % 4]
    status = [301, 302, 307, 303, 308][i % 5]
    shape = i % 4 == 1
    if shape:  # the server's earlier flows make its header baseline
        for _ in range(3):
            genuine_flow(cap, rng, cl, srv, site)
        imp = srv  # rewrite in place: the server's own IP fields
    else:
        imp = Host(rng, STACKS[im], srv.ip, rng.randrange(1, 4), MAC_S)
    c = Conn(cap, cl, srv, rng.randrange(32768, 60999))
    c.handshake(rtt=rng.randrange(10, 80))
    if sv == "windows" or im == "crafted" or i % 3 == 0:
        c.send("c", "PA", http_req(site), dt_ms=1)
        c.server_data(http_resp(200, html(rng, 800)), dt_ms=10)
        c.send("c", "A", dt_ms=1)
    c.send("c", "PA", http_req(site, "/download"), dt_ms=2)
    if sv == "windows":
        c.send("s", "A", dt_ms=12)
    c.server_data(redirect_payload(rng, kind, evil, status, shape), by=None if shape else imp,
                  dt_ms=rng.randrange(5, 30))
    c.send("c", "A", dt_ms=1)
    c.close(by=None if shape else imp)
    return cap


# ---- benign confounders ---------------------------------------------------------------------------

def benign_load_balanced(rng, i):
    """One service IP, backends with different hop counts (and some with another OS): each flow
    is consistent with itself; the HTTP headers are the same everywhere."""
    cap = Cap(T0 + (1000 + i) * 10**9)
    cl = mk_client(rng)
    ip = "203.0.113.%d" % (10 + i)
    backends = [mk_server(rng, rng.choice(["linux", "linux", "windows", "freebsd"]), rng.randrange(2, 20), ip=ip)
                for _ in range(3)]
    for k in range(rng.randrange(5, 9)):
        genuine_flow(cap, rng, cl, rng.choice(backends), SITES[i % len(SITES)], n_resp=rng.randrange(1, 3),
                     server="nginx", ack_first=k % 2 == 0)
    return cap


def benign_anycast(rng, i):
    """Anycast / CDN: one address answered from different sites (hop counts differ per flow)."""
    cap = Cap(T0 + (1100 + i) * 10**9)
    cl = mk_client(rng, v6=i % 4 == 0)
    stack = ["linux", "freebsd", "linux250"][i % 3]
    ip = mk_server(rng, stack, 5, v6=i % 4 == 0).ip
    pops = [Host(rng, STACKS[stack], ip, h, MAC_S) for h in rng.sample(range(2, 25), 4)]
    if i % 2 == 0:
        for _ in range(rng.randrange(5, 9)):
            genuine_flow(cap, rng, cl, rng.choice(pops), "cdn.example.com", server="cloudflare")
    else:
        res = rng.choice(pops)
        cl4 = mk_client(rng)
        res4 = [Host(rng, STACKS[stack], "192.0.2.53", h, MAC_S) for h in rng.sample(range(2, 25), 3)]
        for k in range(rng.randrange(6, 12)):
            dns_exchange(cap, rng, cl4, rng.choice(res4), "a%d.example.com" % k, ["192.0.2.%d" % (k + 1)])
        del res
    return cap


def benign_nat(rng, i):
    """NAT: clients behind a NAT, servers behind port forwarding (TTL decremented once more, IP IDs
    rewritten by the NAT for the whole flow)."""
    cap = Cap(T0 + (1200 + i) * 10**9)
    stack = ["linux", "windows", "freebsd"][i % 3]
    srv = mk_server(rng, stack, rng.randrange(3, 15))
    nat = Host(rng, Stack("nat-" + stack, STACKS[stack].ittl, STACKS[stack].df, "random", STACKS[stack].ts_hz,
                          STACKS[stack].win, STACKS[stack].wscale), srv.ip, srv.hops + 1, MAC_S)
    for k in range(rng.randrange(4, 7)):
        cl = mk_client(rng, idx=k)
        genuine_flow(cap, rng, cl, nat if k % 2 else srv, SITES[k % len(SITES)], ack_first=True)
    return cap


def benign_route_change(rng, i):
    """A route change mid-flow: the server's TTL steps once and stays; everything else the same."""
    cap = Cap(T0 + (1300 + i) * 10**9)
    stack = ["linux", "windows", "freebsd", "linux250", "solaris"][i % 5]
    v6 = i % 4 == 1 and stack != "windows"
    cl = mk_client(rng, v6)
    srv = mk_server(rng, stack, rng.randrange(5, 20), v6)
    c = Conn(cap, cl, srv, rng.randrange(32768, 60999))
    c.handshake()
    for k in range(rng.randrange(2, 5)):
        if k == 1:
            srv.hops += rng.choice([-3, -2, -1, 1, 2, 4])
        c.send("c", "PA", http_req("www.example.com", "/p%d" % k), dt_ms=1)
        c.server_data(http_resp(200, html(rng, rng.randrange(500, 4000))), dt_ms=20)
        c.send("c", "A", dt_ms=1)
    c.close()
    return cap


def benign_df_clear(rng, i):
    """A middlebox clears DF: on every packet of some flows, on large packets only in others."""
    cap = Cap(T0 + (1400 + i) * 10**9)
    stack = ["linux", "windows", "freebsd"][i % 3]
    cl = mk_client(rng)
    srv = mk_server(rng, stack, rng.randrange(3, 15))
    c = Conn(cap, cl, srv, rng.randrange(32768, 60999))
    c.handshake()
    for k in range(rng.randrange(1, 4)):
        c.send("c", "PA", http_req("www.example.com"), dt_ms=1)
        c.send("s", "A", dt_ms=10, df=False if i % 2 else None)
        data = http_resp(200, html(rng, rng.randrange(1500, 5000)))
        for j in range(0, len(data), 1400):
            big = len(data[j:j + 1400]) > 1000
            c.send("s", "A", data[j:j + 1400], dt_ms=1, df=False if (i % 2 or big) else None)
        c.send("c", "A", dt_ms=1)
    c.close()
    return cap


def benign_genuine_redirect(rng, i):
    """The server itself redirects to another registrable domain (30x, meta refresh, script),
    with its own stack and headers; sometimes on the first contact (no baseline)."""
    cap = Cap(T0 + (1500 + i) * 10**9)
    stack = ["linux", "windows", "freebsd"][i % 3]
    cl = mk_client(rng)
    srv = mk_server(rng, stack, rng.randrange(3, 15))
    site = SITES[i % len(SITES)]
    if i % 2:
        for _ in range(3):
            genuine_flow(cap, rng, cl, srv, site)
    c = Conn(cap, cl, srv, rng.randrange(32768, 60999))
    c.handshake()
    c.send("c", "PA", http_req(site, "/out"), dt_ms=1)
    kind = ["30x", "meta", "script"][i % 3]
    c.server_data(redirect_payload(rng, kind, "accounts.example-partner.com", [301, 302, 307][i % 3]),
                  dt_ms=10)
    c.send("c", "A", dt_ms=1)
    c.close()
    return cap


def benign_mobile(rng, i):
    """Mobile networks: the path changes several times within a flow (TTL goes up and down), the
    server's stack stays; long flows with pauses."""
    cap = Cap(T0 + (1600 + i) * 10**9)
    stack = ["linux", "windows", "freebsd", "linux250"][i % 4]
    v6 = i % 3 == 2 and stack != "windows"
    cl = mk_client(rng, v6)
    srv = mk_server(rng, stack, 10, v6)
    c = Conn(cap, cl, srv, rng.randrange(32768, 60999))
    c.handshake(rtt=120)
    base = srv.hops
    for k in range(rng.randrange(3, 6)):
        c.send("c", "PA", http_req("m.example.com", "/feed%d" % k), dt_ms=rng.randrange(100, 3000))
        data = http_resp(200, html(rng, rng.randrange(500, 6000)))
        for j in range(0, len(data), 1400):
            srv.hops = base + rng.choice([-2, -1, 0, 0, 1, 3])
            c.send("s", "A", data[j:j + 1400], dt_ms=rng.randrange(1, 80))
        c.send("c", "A", dt_ms=1)
    srv.hops = base
    c.close()
    return cap


def benign_ordinary(rng, i):
    """Ordinary traffic: HTTP keep-alive and DNS, several OSes."""
    cap = Cap(T0 + (1700 + i) * 10**9)
    cl = mk_client(rng, stack=["linux", "windows"][i % 2])
    for k in range(rng.randrange(2, 5)):
        srv = mk_server(rng, rng.choice(["linux", "windows", "freebsd", "solaris"]), rng.randrange(2, 25))
        genuine_flow(cap, rng, cl, srv, SITES[(i + k) % len(SITES)], n_resp=rng.randrange(1, 4),
                     ack_first=k % 2 == 1)
    res = mk_server(rng, "linux", 1, ip="192.168.1.1")
    for k in range(rng.randrange(3, 8)):
        dns_exchange(cap, rng, cl, res, "www%d.example.com" % k, ["198.51.100.%d" % (k + 1)])
    return cap


ATTACKS = {"inpath_rewrite": [attack_inpath] * 20 + [attack_dns] * 5 + [attack_proxy] * 4,
           "injected_redirect": [attack_redirect] * 24}
BENIGN = {"load_balanced": (benign_load_balanced, 13), "anycast_cdn": (benign_anycast, 13),
          "nat": (benign_nat, 13), "route_change": (benign_route_change, 13),
          "df_clear": (benign_df_clear, 13), "genuine_redirect": (benign_genuine_redirect, 13),
          "mobile_paths": (benign_mobile, 13), "ordinary": (benign_ordinary, 13)}


def gen_lab(out, seed):
    n = 0
    for cls, fns in ATTACKS.items():
        counters = {}
        for fn in fns:
            k = counters.get(fn, 0)
            counters[fn] = k + 1
            rng = random.Random("%d/%s/%s/%d" % (seed, cls, fn.__name__, k))
            cap = fn(rng, k)
            write_pcap(os.path.join(out, "attack", cls, "%s-%02d.pcap" % (fn.__name__, k)), cap.frames)
            n += 1
    for conf_name, (fn, count) in BENIGN.items():
        for k in range(count):
            rng = random.Random("%d/%s/%d" % (seed, conf_name, k))
            cap = fn(rng, k)
            write_pcap(os.path.join(out, "benign", conf_name, "%s-%02d.pcap" % (conf_name, k)), cap.frames)
            n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="lab folder (attack/<class>/, benign/<confounder>/)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pcap-dir", help="write the committed pcap test cases here")
    a = ap.parse_args()
    if not a.out and not a.pcap_dir:
        ap.error("--out or --pcap-dir")
    if a.out:
        n = gen_lab(a.out, a.seed)
        print("gen_lab_inpath: %d captures in %s" % (n, a.out))
    if a.pcap_dir:
        import gen_inpath_cases
        gen_inpath_cases.write_cases(a.pcap_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
