#!/usr/bin/python3
"""gen_lab_lan.py - the labelled LAN spoofing lab: ARP and IPv6 Neighbor Discovery attacks and the
benign look-alikes that trip naive detectors.

    /usr/bin/python3 tests/gen/gen_lab_lan.py --out DIR [--seed N]
    /usr/bin/python3 tests/gen/gen_lab_lan.py --pcap-dir tests/pcap   # the committed pcap cases

--out writes DIR/attack/arp_spoof/<case>.pcap, DIR/attack/nd_spoof/<case>.pcap and
DIR/benign/<confounder>/<case>.pcap (the layout bench/detection-eval scores by path). Cases vary
addresses, MACs, timings and counts with a seeded random.Random; the same --seed gives the same
bytes (classic pcap, microseconds, little-endian, written with struct; every field set).

--pcap-dir writes the few committed cases tests/pcap/lan-<case>/{input.pcap,test.yaml} (fixed
seed) asserting the exact EVE of one attack per subtype and two failover confounders.

Attacks (arp_spoof): gateway poisoning with repeated unsolicited replies (arpspoof -t), the same
sent to broadcast, victim-only poisoning of a server address, MITM both ways, poisoning that
flip-flops with the genuine gateway's answers, gratuitous-ARP poisoning, gratuitous storms.
Attacks (nd_spoof): rogue RA with a new prefix (SLAAC attack), rogue RA for the same prefix with
high preference (default-route hijack), RA floods (flood_router26), RAs from the router's
link-local with another MAC and lifetime 0 (kill_router6), NA override of the router and of a host
(unicast, parasite6-style multicast).
Benign: ordinary LAN chatter, a DHCP address reused after silence, VRRP/CARP/HSRP failover with
virtual MACs, keepalived failover without virtual MAC (real MACs, preempt back minutes later),
gratuitous ARPs at boot, a replaced NIC, proxy ARP (router and host both answer), bonding
failover, a second router from the start, a router replaced, IPv6 DAD and a MAC change announced
with unsolicited NAs.
"""
import argparse
import json
import os
import random
import struct
import sys
import zlib

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import conf  # noqa: E402
from scapy.layers.l2 import Ether, ARP, Dot1Q  # noqa: E402
from scapy.layers.inet import IP, UDP, TCP  # noqa: E402
from scapy.layers.inet6 import (IPv6, ICMPv6ND_RA, ICMPv6ND_NS, ICMPv6ND_NA,  # noqa: E402
                                ICMPv6NDOptSrcLLAddr, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptPrefixInfo, ICMPv6EchoRequest)

conf.verb = 0
BCAST = "ff:ff:ff:ff:ff:ff"
T0 = 1_700_300_000.0


class Cap:
    """Frames with timestamps; written sorted by time (stable)."""

    def __init__(self, t0):
        self.t0 = t0
        self.frames = []
        self.marks = {}  # name -> insertion indexes of the frames that carry it
        self.expect = {}  # EVE fields a committed case asserts

    def add(self, t, pkt, mark=None):
        self.frames.append((round((self.t0 + t) * 1e6), len(self.frames), bytes(pkt)))
        if mark:
            self.marks.setdefault(mark, []).append(len(self.frames) - 1)

    def first(self, mark):
        """pcap_cnt (1-based position in the written file) of the earliest frame with mark."""
        order = sorted(self.frames)
        pos = {idx: i + 1 for i, (_, idx, _) in enumerate(order)}
        return min(pos[i] for i in self.marks[mark])

    def write(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 262144, 1))
            for us, _, b in sorted(self.frames):
                f.write(struct.pack("<IIII", us // 1_000_000, us % 1_000_000, len(b), len(b)))
                f.write(b)
        return [us for us, _, _ in sorted(self.frames)]


def mac(r, oui="02"):
    return oui + ":" + ":".join("%02x" % r.randrange(256) for _ in range(5))


def ll_of(m):
    b = bytes.fromhex(m.replace(":", ""))
    e = bytes([b[0] ^ 2]) + b[1:3] + b"\xff\xfe" + b[3:]
    return "fe80::" + ":".join("%x" % int.from_bytes(e[i:i + 2], "big") for i in range(0, 8, 2))


class Lan:
    """One Ethernet segment: an IPv4 /24 with a gateway, hosts, a router for IPv6."""

    def __init__(self, r):
        self.r = r
        a, b = r.randrange(1, 250), r.randrange(0, 250)
        self.net = "10.%d.%d." % (a, b)
        self.gw_ip = self.net + "1"
        self.gw_mac = mac(r, "00")
        self.hosts = [(self.net + str(10 + i), mac(r)) for i in range(r.randrange(4, 8))]
        self.internet = ["%d.%d.%d.%d" % (r.choice([93, 151, 142, 104, 23]), r.randrange(256),
                                          r.randrange(256), r.randrange(1, 255))
                         for _ in range(6)]
        self.pfx = "2001:db8:%x:%x::" % (r.randrange(65536), r.randrange(65536))
        self.rtr_mac = self.gw_mac
        self.rtr_ll = ll_of(self.rtr_mac)
        self.h6 = [(self.pfx + "%x" % (0x100 + i), ll_of(m), m) for i, (_, m) in enumerate(self.hosts)]


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def _macb(m):
    return bytes.fromhex(m.replace(":", ""))


def _ip4b(a):
    return bytes(int(x) for x in a.split("."))


def tcp_pkt(src_mac, dst_mac, sip, dip, r, dport=443):
    """Ethernet/IPv4/TCP ACK built with struct (scapy is too slow for the lab's background)."""
    payload = b"x" * r.randrange(0, 200)
    sp, seq, ack, ipid = r.randrange(1024, 65535), r.randrange(1 << 32), r.randrange(1 << 32), r.randrange(65536)
    tcp = struct.pack("!HHIIBBHHH", sp, dport, seq, ack, 5 << 4, 0x10, 502, 0, 0) + payload
    ps = _ip4b(sip) + _ip4b(dip) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", _csum(ps + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ipid, 0, 64, 6, 0, _ip4b(sip), _ip4b(dip))
    ip = ip[:10] + struct.pack("!H", _csum(ip)) + ip[12:]
    return _macb(dst_mac) + _macb(src_mac) + b"\x08\x00" + ip + tcp


def arp(src_mac, dst_mac, op, sha, spa, tha, tpa):
    return Ether(src=src_mac, dst=dst_mac) / ARP(hwtype=1, ptype=0x0800, hwlen=6, plen=4, op=op,
                                                 hwsrc=sha, psrc=spa, hwdst=tha, pdst=tpa)


def ra(src_mac, ll, pfx, lifetime=1800, prf=0, m=None, plen=64):
    p = (Ether(src=src_mac, dst="33:33:00:00:00:01") / IPv6(src=ll, dst="ff02::1", hlim=255) /
         ICMPv6ND_RA(chlim=64, M=0, O=0, prf=prf, routerlifetime=lifetime, reachabletime=0,
                     retranstimer=0) / ICMPv6NDOptSrcLLAddr(lladdr=m or src_mac))
    if pfx:
        p = p / ICMPv6NDOptPrefixInfo(prefixlen=plen, L=1, A=1, validlifetime=86400,
                                      preferredlifetime=14400, prefix=pfx)
    return p


def na(src_mac, dst_mac, sip, dip, tgt, tll, R=0, S=0, O=1):
    return (Ether(src=src_mac, dst=dst_mac) / IPv6(src=sip, dst=dip, hlim=255) /
            ICMPv6ND_NA(R=R, S=S, O=O, tgt=tgt) / ICMPv6NDOptDstLLAddr(lladdr=tll))


def ns(src_mac, sip, tgt, sll):
    p = (Ether(src=src_mac, dst="33:33:ff:00:00:01") / IPv6(src=sip, dst="ff02::1:ff00:1", hlim=255) /
         ICMPv6ND_NS(tgt=tgt))
    if sll:
        p = p / ICMPv6NDOptSrcLLAddr(lladdr=sll)
    return p


def background(c, lan, t_end, r, v6=False, gw_alive_until=None):
    """Ordinary traffic: hosts ARP for the gateway, the gateway forwards Internet traffic, hosts
    talk out through it; with v6, the router advertises every ~10 s and hosts do NS/NA."""
    end_gw = t_end if gw_alive_until is None else gw_alive_until
    for ip, m in lan.hosts:
        t = r.uniform(0.0, 2.0)
        c.add(t, arp(m, BCAST, 1, m, ip, "00:00:00:00:00:00", lan.gw_ip))
        c.add(t + 0.0004, arp(lan.gw_mac, m, 2, lan.gw_mac, lan.gw_ip, m, ip), "gw_claim")
    t = 0.5
    while t < t_end:
        ip, m = r.choice(lan.hosts)
        inet = r.choice(lan.internet)
        c.add(t, tcp_pkt(m, lan.gw_mac, ip, inet, r))
        if t < end_gw:
            c.add(t + 0.01, tcp_pkt(lan.gw_mac, m, inet, ip, r))
        t += r.uniform(0.3, 1.2)
    if v6:
        t = r.uniform(0, 1)
        while t < min(t_end, end_gw):
            c.add(t, ra(lan.rtr_mac, lan.rtr_ll, lan.pfx), "rtr_ra")
            t += r.uniform(8, 12)
        for g, ll, m in lan.h6:
            tt = r.uniform(1, min(t_end, end_gw))
            c.add(tt, ns(m, g, lan.rtr_ll, m))
            c.add(tt + 0.0005, na(lan.rtr_mac, m, lan.rtr_ll, g, lan.rtr_ll, lan.rtr_mac, R=1, S=1))


# ---------------------------------------------------------------- attacks: arp_spoof

def a_gw_poison(r, c, bcast=False):
    lan = Lan(r)
    T = r.uniform(50, 80)
    background(c, lan, T, r)
    vip, vmac = lan.hosts[0]
    att = mac(r)
    t = r.uniform(8, 15)
    for _ in range(r.randrange(6, 16)):
        if bcast:
            c.add(t, arp(att, BCAST, 2, att, lan.gw_ip, BCAST, "0.0.0.0"), "att")
        else:
            c.add(t, arp(att, vmac, 2, att, lan.gw_ip, vmac, vip), "att")
        t += r.uniform(1.5, 2.5)
    c.expect = {"src_ip": lan.gw_ip, "tamper.lan.ip": lan.gw_ip, "tamper.lan.old_mac": lan.gw_mac,
                "tamper.lan.new_mac": att, "tamper.lan.gateway": True,
                "tamper.contestants.0.pcap_cnt": c.first("gw_claim"),
                "tamper.contestants.1.pcap_cnt": c.first("att")}


def a_victim_only(r, c):
    lan = Lan(r)
    T = r.uniform(50, 80)
    background(c, lan, T, r)
    vip, vmac = lan.hosts[0]
    sip, smac = lan.hosts[1]
    att = mac(r)
    # the server talks to the victim all along (alive)
    t = 0.3
    while t < T:
        c.add(t, tcp_pkt(smac, vmac, sip, vip, r, 445))
        t += r.uniform(0.5, 2)
    t = r.uniform(8, 15)
    for _ in range(r.randrange(7, 14)):
        c.add(t, arp(att, vmac, 2, att, sip, vmac, vip))
        t += r.uniform(1.5, 3)


def a_mitm(r, c):
    lan = Lan(r)
    T = r.uniform(50, 80)
    background(c, lan, T, r)
    vip, vmac = lan.hosts[0]
    att = mac(r)
    t = r.uniform(8, 15)
    for _ in range(r.randrange(5, 12)):
        c.add(t, arp(att, vmac, 2, att, lan.gw_ip, vmac, vip))
        c.add(t + 0.001, arp(att, lan.gw_mac, 2, att, vip, lan.gw_mac, lan.gw_ip))
        # the attacker forwards the victim's traffic
        c.add(t + 0.3, tcp_pkt(att, lan.gw_mac, vip, lan.internet[0], r))
        t += r.uniform(1.5, 2.5)


def a_flipflop(r, c):
    lan = Lan(r)
    T = r.uniform(50, 80)
    background(c, lan, T, r)
    vip, vmac = lan.hosts[0]
    att = mac(r)
    t = r.uniform(8, 12)
    for i in range(r.randrange(4, 10)):
        c.add(t, arp(att, vmac, 2, att, lan.gw_ip, vmac, vip))
        if i % 2 == 1:  # the victim's cache expires: it asks, the gateway answers
            c.add(t + 1.0, arp(vmac, BCAST, 1, vmac, vip, "00:00:00:00:00:00", lan.gw_ip))
            c.add(t + 1.0003, arp(lan.gw_mac, vmac, 2, lan.gw_mac, lan.gw_ip, vmac, vip))
        t += r.uniform(2, 4)


def a_garp_poison(r, c):
    lan = Lan(r)
    T = r.uniform(50, 80)
    background(c, lan, T, r)
    att = mac(r)
    t = r.uniform(8, 15)
    for _ in range(r.randrange(9, 20)):
        c.add(t, arp(att, BCAST, r.choice([1, 2]), att, lan.gw_ip,
                     r.choice(["00:00:00:00:00:00", BCAST]), lan.gw_ip))
        t += r.uniform(1.2, 2.5)


def a_storm(r, c):
    lan = Lan(r)
    T = r.uniform(30, 50)
    background(c, lan, T, r)
    att = mac(r)
    t = r.uniform(5, 15)
    n = r.randrange(25, 120)
    many = r.random() < 0.5
    for i in range(n):
        ip = lan.net + str(r.randrange(2, 254)) if many else lan.hosts[2][0]
        c.add(t, arp(att, BCAST, r.choice([1, 2]), att, ip, BCAST, ip), "att")
        t += r.uniform(0.01, 0.3)
    c.expect = {"tamper.lan.new_mac": att, "tamper.lan.frames": 20,
                "tamper.contestants.0.pcap_cnt": c.first("att")}


def a_claim_ask(r, c):
    """The attacker claims the gateway to the victim, then resolves the genuine gateway (as its own
    address) to relay what it diverts; on the victim's port the gateway's answer is not seen."""
    lan = Lan(r)
    T = r.uniform(40, 70)
    quiet_gw = r.random() < 0.5
    if quiet_gw:  # captured at the victim's port: the gateway's ARP is not in the capture
        lan.hosts = lan.hosts[:1]
    background(c, lan, T, r)
    vip, vmac = lan.hosts[0]
    att, aip = mac(r), lan.net + str(r.randrange(100, 200))
    t = r.uniform(8, 15)
    for _ in range(r.randrange(1, 4)):
        c.add(t, arp(att, vmac, 2, att, lan.gw_ip, vmac, vip))
        t += r.uniform(1, 3)
    c.add(t + r.uniform(1, 20), arp(att, BCAST, 1, att, aip, "00:00:00:00:00:00", lan.gw_ip))


ARP_ATTACKS = [("claim_ask", a_claim_ask), ("gw_poison", a_gw_poison), ("gw_poison_bcast", lambda r, c: a_gw_poison(r, c, True)),
               ("victim_only", a_victim_only), ("mitm", a_mitm), ("flipflop", a_flipflop),
               ("garp_poison", a_garp_poison), ("storm", a_storm)]

# ---------------------------------------------------------------- attacks: nd_spoof


def a_rogue_ra(r, c, new_prefix=True):
    lan = Lan(r)
    T = r.uniform(70, 100)
    background(c, lan, T, r, v6=True)
    att = mac(r)
    all_ = ll_of(att)
    pfx = "2001:db8:%x:%x::" % (r.randrange(65536), r.randrange(65536)) if new_prefix else lan.pfx
    t = r.uniform(35, 50)
    for _ in range(r.randrange(2, 6)):
        c.add(t, ra(att, all_, pfx, lifetime=r.choice([1800, 9000, 65535]),
                    prf=1 if (not new_prefix or r.random() < 0.5) else 0), "att")
        t += r.uniform(3, 8)
    c.expect = {"src_ip": all_, "tamper.lan.new_mac": att, "tamper.lan.old_mac": lan.rtr_mac,
                "tamper.lan.prefix": pfx + "/64", "tamper.lan.prefix_new": new_prefix,
                "tamper.contestants.0.pcap_cnt": c.first("rtr_ra"),
                "tamper.contestants.1.pcap_cnt": c.first("att")}


def a_ra_flood(r, c):
    lan = Lan(r)
    T = r.uniform(60, 80)
    background(c, lan, T, r, v6=True)
    t = r.uniform(35, 45)
    for _ in range(r.randrange(20, 80)):
        m = mac(r)
        pfx = "2001:db8:%x:%x::" % (r.randrange(65536), r.randrange(65536))
        c.add(t, ra(m, ll_of(m), pfx, lifetime=65535, prf=1))
        t += r.uniform(0.005, 0.1)


def a_ra_kill(r, c):
    lan = Lan(r)
    T = r.uniform(60, 80)
    background(c, lan, T, r, v6=True)
    att = mac(r)
    t = r.uniform(35, 45)
    for _ in range(r.randrange(1, 5)):
        c.add(t, ra(att, lan.rtr_ll, lan.pfx if r.random() < 0.5 else None, lifetime=0,
                    m=r.choice([att, lan.rtr_mac])), "att")
        t += r.uniform(2, 5)
    c.expect = {"src_ip": lan.rtr_ll, "tamper.lan.old_mac": lan.rtr_mac,
                "tamper.lan.router_lifetime": 0, "tamper.lan.old_router_lifetime": 1800,
                "tamper.contestants.0.pcap_cnt": c.first("rtr_ra"),
                "tamper.contestants.1.pcap_cnt": c.first("att")}


def a_na_router(r, c, multicast=False):
    lan = Lan(r)
    T = r.uniform(60, 90)
    background(c, lan, T, r, v6=True)
    g, ll, vm = lan.h6[0]
    att = mac(r)
    t = r.uniform(15, 25)
    for _ in range(r.randrange(7, 15)):
        if multicast:
            c.add(t, na(att, "33:33:00:00:00:01", ll_of(att), "ff02::1", lan.rtr_ll, att, R=1, O=1), "att")
        else:
            c.add(t, na(att, vm, ll_of(att), g, lan.rtr_ll, att, R=1, O=1), "att")
        t += r.uniform(1.5, 3)
    c.expect = {"src_ip": lan.rtr_ll, "tamper.lan.ip": lan.rtr_ll, "tamper.lan.old_mac": lan.rtr_mac,
                "tamper.lan.new_mac": att, "tamper.lan.gateway": True,
                "tamper.contestants.0.pcap_cnt": c.first("rtr_ra"),
                "tamper.contestants.1.pcap_cnt": c.first("att")}


def a_na_host(r, c):
    lan = Lan(r)
    T = r.uniform(60, 90)
    background(c, lan, T, r, v6=True)
    g, ll, vm = lan.h6[0]
    g2, ll2, m2 = lan.h6[1]
    att = mac(r)
    # host 2 announces itself, then talks to host 1 all along
    c.add(0.2, ns(m2, g2, g, m2))
    c.add(0.2003, na(vm, m2, g, g2, g, vm, S=1))
    t = 0.5
    while t < T:
        c.add(t, Ether(src=m2, dst=vm) / IPv6(src=g2, dst=g, hlim=64) / ICMPv6EchoRequest(id=7, seq=int(t)))
        t += r.uniform(0.5, 2)
    t = r.uniform(15, 25)
    for _ in range(r.randrange(7, 14)):
        c.add(t, na(att, vm, ll_of(att), g, g2, att, O=1))
        t += r.uniform(1.5, 3)


ND_ATTACKS = [("rogue_ra_slaac", a_rogue_ra), ("rogue_ra_hijack", lambda r, c: a_rogue_ra(r, c, False)),
              ("ra_flood", a_ra_flood), ("ra_kill", a_ra_kill), ("na_router", a_na_router),
              ("na_router_mcast", lambda r, c: a_na_router(r, c, True)), ("na_host", a_na_host)]

# ---------------------------------------------------------------- benign confounders


def b_chatter(r, c):
    lan = Lan(r)
    T = r.uniform(60, 120)
    background(c, lan, T, r, v6=r.random() < 0.6)
    t = 1.0
    while t < T:
        (ip1, m1), (ip2, m2) = r.sample(lan.hosts, 2)
        c.add(t, arp(m1, BCAST, 1, m1, ip1, "00:00:00:00:00:00", ip2))
        c.add(t + 0.0003, arp(m2, m1, 2, m2, ip2, m1, ip1))
        t += r.uniform(2, 8)


def b_dhcp_reassign(r, c):
    lan = Lan(r)
    T = r.uniform(400, 700)
    background(c, lan, T, r)
    ip = lan.net + "77"
    a, b = mac(r), mac(r)
    c.add(1.0, arp(a, BCAST, 1, a, ip, "00:00:00:00:00:00", lan.gw_ip))
    t = 1.5
    off = r.uniform(20, 60)
    while t < off:
        c.add(t, tcp_pkt(a, lan.gw_mac, ip, lan.internet[1], r))
        t += r.uniform(1, 3)
    t = off + r.uniform(120, 300)  # the lease lapses; another machine gets the address
    c.add(t, arp(b, BCAST, 1, b, "0.0.0.0", "00:00:00:00:00:00", ip))
    c.add(t + 1, arp(b, BCAST, 1, b, ip, "00:00:00:00:00:00", ip))
    c.add(t + 2, arp(b, BCAST, 1, b, ip, "00:00:00:00:00:00", lan.gw_ip))
    while t < T:
        c.add(t + 3, tcp_pkt(b, lan.gw_mac, ip, lan.internet[2], r))
        t += r.uniform(1, 3)


def b_vmac_failover(r, c, kind):
    lan = Lan(r)
    T = r.uniform(60, 150)
    vip = lan.net + "254"
    vm = {"vrrp": "00:00:5e:00:01:%02x", "carp": "00:00:5e:00:01:%02x",
          "hsrp": "00:00:0c:07:ac:%02x"}[kind] % r.randrange(1, 255)
    m1, m2 = mac(r, "00"), mac(r, "00")
    background(c, lan, T, r)
    c.add(0.1, arp(vm, BCAST, 1, vm, vip, "00:00:00:00:00:00", vip))
    fo = r.uniform(20, T - 20)
    t = 0.2
    while t < T:  # adverts: VRRP (112) / HSRP (UDP 1985) from the master
        master = m1 if t < fo else m2
        if kind == "hsrp":
            c.add(t, Ether(src=master, dst="01:00:5e:00:00:02") / IP(src=lan.net + ("2" if t < fo else "3"), dst="224.0.0.2", ttl=1, id=0) / UDP(sport=1985, dport=1985) / (b"\x00" * 20))
        else:
            c.add(t, Ether(src=vm, dst="01:00:5e:00:00:12") / IP(src=lan.net + ("2" if t < fo else "3"), dst="224.0.0.18", ttl=255, proto=112, id=0) / (b"\x31\x01\x64\x01\x00\x01\x00\x00" + bytes(map(int, vip.split(".")))))
        t += 1.0
    for k in range(r.randrange(1, 6)):  # the new master announces the VIP
        c.add(fo + 0.1 + k, arp(vm, BCAST, r.choice([1, 2]), vm, vip, BCAST, vip))
    # some deployments answer with the physical MAC before the virtual one takes over
    if r.random() < 0.5:
        c.add(fo + 0.05, arp(m2, BCAST, 2, m2, vip, BCAST, vip))
        c.add(fo + 0.06, arp(vm, BCAST, 2, vm, vip, BCAST, vip))


def b_keepalived(r, c):
    """keepalived without use_vmac: the VIP moves between the routers' real MACs."""
    lan = Lan(r)
    T = r.uniform(300, 500)
    vip = lan.gw_ip
    m1, m2 = lan.gw_mac, mac(r, "00")
    background(c, lan, T, r)
    fo = r.uniform(30, 80)
    back = fo + r.uniform(120, 200)
    refresh = r.choice([0, 60, 90])  # garp_master_refresh (0: off)
    for when, new, until in ((fo, m2, back), (back, m1, T)):
        for k in range(5):  # garp_master_repeat 5, then again after garp_master_delay 5 s
            c.add(when + k * 0.01, arp(new, BCAST, 2, new, vip, BCAST, vip))
            c.add(when + 5 + k * 0.01, arp(new, BCAST, 2, new, vip, BCAST, vip))
        t = when + refresh
        while refresh and t < until:
            for k in range(r.choice([1, 5])):  # garp_master_refresh_repeat
                c.add(t + k * 0.01, arp(new, BCAST, 2, new, vip, BCAST, vip))
            t += refresh
    t = 0.2
    while t < T:  # both routers stay up (a priority change), the old master still adverts
        c.add(t, Ether(src=m1, dst="01:00:5e:00:00:12") / IP(src=lan.net + "2", dst="224.0.0.18", ttl=255, proto=112, id=0) / (b"\x31\x01\x64\x01\x00\x01\x00\x00"))
        t += 1.0


def b_boot(r, c):
    lan = Lan(r)
    T = r.uniform(30, 60)
    background(c, lan, T, r)
    for i in range(r.randrange(1, 4)):
        ip, m = lan.net + str(100 + i), mac(r)
        t = r.uniform(3, T - 5)
        for k in range(3):
            c.add(t + k * r.uniform(1, 2), arp(m, BCAST, 1, m, "0.0.0.0", "00:00:00:00:00:00", ip))
        for k in range(r.randrange(1, 4)):
            c.add(t + 6 + k * 2, arp(m, BCAST, r.choice([1, 2]), m, ip, r.choice(["00:00:00:00:00:00", BCAST]), ip))
        c.add(t + 12, arp(m, BCAST, 1, m, ip, "00:00:00:00:00:00", lan.gw_ip))
        c.add(t + 12.0003, arp(lan.gw_mac, m, 2, lan.gw_mac, lan.gw_ip, m, ip))


def b_nic_replaced(r, c, bonding=False):
    lan = Lan(r)
    gap = r.uniform(0.5, 3) if bonding else r.uniform(70, 300)
    T = r.uniform(100, 200) + gap
    background(c, lan, T, r)
    ip = lan.hosts[3][0]
    a = lan.hosts[3][1]
    b = mac(r)
    t = 0.4
    down = r.uniform(20, 40)
    while t < down:
        c.add(t, tcp_pkt(a, lan.gw_mac, ip, lan.internet[3], r))
        t += r.uniform(0.5, 2)
    up = down + gap
    for k in range(r.randrange(1, 4)):
        c.add(up + k * 0.5, arp(b, BCAST, r.choice([1, 2]), b, ip, BCAST, ip))
    t = up + 2
    while t < T:
        c.add(t, tcp_pkt(b, lan.gw_mac, ip, lan.internet[3], r))
        t += r.uniform(0.5, 2)
    if not bonding:
        c.add(up + 3, arp(lan.gw_mac, BCAST, 1, lan.gw_mac, lan.gw_ip, "00:00:00:00:00:00", ip))
        c.add(up + 3.0003, arp(b, lan.gw_mac, 2, b, ip, lan.gw_mac, lan.gw_ip))


def b_proxy_arp(r, c):
    lan = Lan(r)
    T = r.uniform(60, 120)
    background(c, lan, T, r)
    t = 1.0
    remote = [lan.net + str(r.randrange(100, 200)) for _ in range(r.randrange(3, 10))]
    local_ip, local_mac = lan.hosts[1]
    while t < T:
        ip, m = lan.hosts[0]
        if r.random() < 0.4:
            tgt = local_ip  # the host itself and the router both answer
            c.add(t, arp(m, BCAST, 1, m, ip, "00:00:00:00:00:00", tgt))
            first, second = (local_mac, lan.gw_mac) if r.random() < 0.5 else (lan.gw_mac, local_mac)
            c.add(t + 0.0002, arp(first, m, 2, first, tgt, m, ip))
            c.add(t + 0.0005, arp(second, m, 2, second, tgt, m, ip))
        else:
            tgt = r.choice(remote)
            c.add(t, arp(m, BCAST, 1, m, ip, "00:00:00:00:00:00", tgt))
            c.add(t + 0.0004, arp(lan.gw_mac, m, 2, lan.gw_mac, tgt, m, ip))
        t += r.uniform(3, 10)


def b_second_router(r, c):
    lan = Lan(r)
    T = r.uniform(60, 120)
    background(c, lan, T, r, v6=True)
    m2 = mac(r, "00")
    pfx2 = lan.pfx if r.random() < 0.5 else "2001:db8:%x:1::" % r.randrange(65536)
    t = r.uniform(0, 5)
    while t < T:
        c.add(t, ra(m2, ll_of(m2), pfx2, lifetime=r.choice([0, 1800]), prf=r.choice([0, 3])))
        t += r.uniform(8, 15)


def b_router_replaced(r, c):
    lan = Lan(r)
    down = r.uniform(40, 60)
    T = down + r.uniform(150, 250)
    background(c, lan, T, r, v6=True, gw_alive_until=down)
    m2 = mac(r, "00")
    t = down + r.uniform(90, 120)
    while t < T:
        c.add(t, ra(m2, ll_of(m2), lan.pfx))
        t += r.uniform(8, 12)


def b_ipv6_dad(r, c):
    lan = Lan(r)
    T = r.uniform(60, 100)
    background(c, lan, T, r, v6=True)
    for i in range(r.randrange(1, 4)):
        m = mac(r)
        g = lan.pfx + "%x" % (0x900 + i)
        t = r.uniform(5, T - 10)
        c.add(t, ns(m, "::", g, None))  # DAD: no source link-layer option
        for k in range(r.randrange(1, 4)):  # then up to 3 unsolicited NAs to all-nodes
            c.add(t + 1 + k, na(m, "33:33:00:00:00:01", g, "ff02::1", g, m, O=1))


def b_v6_mac_change(r, c):
    lan = Lan(r)
    T = r.uniform(200, 300)
    background(c, lan, T, r, v6=True)
    g, ll, a = lan.h6[2]
    b = mac(r)
    c.add(1, na(a, "33:33:00:00:00:01", g, "ff02::1", g, a, O=1))
    t = 2
    down = r.uniform(20, 40)
    while t < down:
        c.add(t, Ether(src=a, dst=lan.rtr_mac) / IPv6(src=g, dst="2001:db8::53", hlim=64) / UDP(sport=5353, dport=53))
        t += r.uniform(1, 3)
    up = down + r.uniform(65, 120)
    for k in range(3):  # RFC 4861 7.2.6: up to 3 unsolicited NAs with the new address
        c.add(up + k, na(b, "33:33:00:00:00:01", g, "ff02::1", g, b, O=1))


def b_lease_moved(r, c):
    """A host's lease moved to another address; minutes later it asks for its old address (now
    someone else's)."""
    lan = Lan(r)
    T = r.uniform(300, 500)
    background(c, lan, T, r)
    m = mac(r)
    old, new = lan.net + "150", lan.net + "151"
    c.add(1, arp(m, BCAST, 1, m, old, "00:00:00:00:00:00", lan.gw_ip))
    c.add(1.0003, arp(lan.gw_mac, m, 2, lan.gw_mac, lan.gw_ip, m, old))
    t = r.uniform(150, 250)
    c.add(t, arp(m, BCAST, 1, m, new, "00:00:00:00:00:00", new))
    c.add(t + r.uniform(1, 60), arp(m, BCAST, 1, m, new, "00:00:00:00:00:00", old))


def b_vlan_trunk(r, c):
    """A trunk port: the same addresses on two VLANs (overlapping subnets), each VLAN with its own
    gateway and hosts; ARP tagged per VLAN."""
    net = "192.168.%d." % r.randrange(0, 5)
    T = r.uniform(40, 80)
    vlans = [(r.randrange(2, 4000), mac(r, "00"), [mac(r) for _ in range(4)]) for _ in range(2)]
    t = 0.0
    while t < T:
        vid, gw, hosts = r.choice(vlans)
        i = r.randrange(len(hosts))
        hip = net + str(10 + i)
        c.add(t, Ether(src=hosts[i], dst=BCAST) / Dot1Q(vlan=vid) /
              ARP(op=1, hwsrc=hosts[i], psrc=hip, hwdst="00:00:00:00:00:00", pdst=net + "1"))
        c.add(t + 0.0004, Ether(src=gw, dst=hosts[i]) / Dot1Q(vlan=vid) /
              ARP(op=2, hwsrc=gw, psrc=net + "1", hwdst=hosts[i], pdst=hip))
        c.add(t + 0.01, Ether(src=gw, dst=hosts[i]) / Dot1Q(vlan=vid) /
              IP(src=r.choice(["93.184.216.34", "151.101.1.69", "142.250.74.46"]), dst=hip) /
              UDP(sport=53, dport=r.randrange(1024, 65535)))
        t += r.uniform(0.2, 2)


BENIGN = [("lan_chatter", b_chatter), ("lease_moved", b_lease_moved), ("vlan_trunk", b_vlan_trunk), ("dhcp_reassign", b_dhcp_reassign),
          ("vrrp_failover", lambda r, c: b_vmac_failover(r, c, "vrrp")),
          ("carp_failover", lambda r, c: b_vmac_failover(r, c, "carp")),
          ("hsrp_failover", lambda r, c: b_vmac_failover(r, c, "hsrp")),
          ("keepalived_failover", b_keepalived), ("boot_garp", b_boot),
          ("nic_replaced", b_nic_replaced), ("bonding_failover", lambda r, c: b_nic_replaced(r, c, True)),
          ("proxy_arp", b_proxy_arp), ("second_router", b_second_router),
          ("router_replaced", b_router_replaced), ("ipv6_dad", b_ipv6_dad),
          ("ipv6_mac_change", b_v6_mac_change)]


def gen_case(seed, name, fn, idx):
    r = random.Random("%d/%s/%d" % (seed, name, idx))
    c = Cap(T0 + zlib.crc32(name.encode()) % 100000 + idx * 1000)
    fn(r, c)
    return c


def write_lab(out, seed):
    n = 0
    for cls, attacks, per in (("arp_spoof", ARP_ATTACKS, 3), ("nd_spoof", ND_ATTACKS, 3)):
        for name, fn in attacks:
            for i in range(per):
                gen_case(seed, name, fn, i).write(os.path.join(out, "attack", cls, "%s-%d.pcap" % (name, i)))
                n += 1
    for name, fn in BENIGN:
        for i in range(5):
            gen_case(seed, name, fn, i).write(os.path.join(out, "benign", name, "%s-%d.pcap" % (name, i)))
            n += 1
    return n


# ---------------------------------------------------------------- committed pcap cases

GENERATED_MARK = "# GENERATED by tests/gen/gen_lab_lan.py - edit the generator, not this file."
PCAP_CASES = [
    ("lan-arp-gw-poison", "arp_spoof", "gw_poison", a_gw_poison, "mac_change", 8800040,
     "Classic arpspoof -t: repeated unsolicited ARP replies tell the victim that the gateway is at"
     " the attacker's MAC while the genuine gateway keeps forwarding traffic."),
    ("lan-arp-storm", "arp_spoof", "storm", a_storm, "gratuitous_storm", 8800041,
     "A burst of gratuitous ARPs from one MAC (a storm)."),
    ("lan-nd-rogue-ra", "nd_spoof", "rogue_ra_slaac", a_rogue_ra, "rogue_ra", 8800045,
     "A new router advertises a new prefix after the established router (SLAAC attack)."),
    ("lan-nd-ra-kill", "nd_spoof", "ra_kill", a_ra_kill, "ra_spoof", 8800046,
     "An RA from the router's link-local address but another MAC withdraws the default route"
     " (router lifetime 0)."),
    ("lan-nd-na-override", "nd_spoof", "na_router", a_na_router, "na_override", 8800047,
     "Unsolicited neighbor advertisements with the Override flag bind the router's link-local"
     " to the attacker's MAC."),
]
PCAP_BENIGN = [
    ("lan-benign-keepalived-failover", b_keepalived,
     "keepalived failover without virtual MAC: the gateway address moves to the backup's real MAC"
     " with 2x5 gratuitous ARPs, and back minutes later. Must stay silent."),
    ("lan-benign-vrrp-failover", lambda r, c: b_vmac_failover(r, c, "vrrp"),
     "VRRP failover with the virtual MAC 00:00:5e:00:01:xx. Must stay silent."),
]


def write_pcap_cases(pcap_dir):
    for case, cls, name, fn, sub, sid, text in PCAP_CASES:
        c = gen_case(1, name, fn, 0)
        d = os.path.join(pcap_dir, case)
        c.write(os.path.join(d, "input.pcap"))
        m = {"event_type": "alert", "tamper.class": cls, "tamper.subtype": sub,
             "alert.signature_id": sid, "alert.gid": 1, "alert.category": "Traffic tampering",
             "tamper.contestants.1.verdict": "forged", "evidence.packets_in_file": 2}
        if sub != "gratuitous_storm":
            m["tamper.contestants.0.verdict"] = "genuine"
        m.update(c.expect)
        with open(os.path.join(d, "test.yaml"), "w") as f:
            f.write(GENERATED_MARK + "\n# " + text + "\npcap: input.pcap\nargs: [--evidence]\nchecks:\n")
            f.write("  - filter: {count: 1, match: {%s}}\n" % ", ".join(
                "%s: %s" % (k, json.dumps(v)) for k, v in m.items()))
            f.write("  - filter: {count: 1, match: {event_type: alert, tamper.class: %s}}\n" % cls)
            other = "nd_spoof" if cls == "arp_spoof" else "arp_spoof"
            f.write("  - filter: {count: 0, match: {event_type: alert, tamper.class: %s}}\n" % other)
    for case, fn, text in PCAP_BENIGN:
        c = gen_case(1, case, fn, 0)
        d = os.path.join(pcap_dir, case)
        c.write(os.path.join(d, "input.pcap"))
        with open(os.path.join(d, "test.yaml"), "w") as f:
            f.write(GENERATED_MARK + "\n# " + text + "\npcap: input.pcap\nchecks:\n")
            f.write("  - filter: {count: 0, match: {event_type: alert}}\n")
            f.write("  - filter: {count: 1, match: {event_type: stats}}\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pcap-dir")
    a = ap.parse_args()
    if not a.out and not a.pcap_dir:
        ap.error("--out or --pcap-dir")
    if a.out:
        print("gen_lab_lan: %d captures under %s" % (write_lab(a.out, a.seed), a.out))
    if a.pcap_dir:
        write_pcap_cases(a.pcap_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
