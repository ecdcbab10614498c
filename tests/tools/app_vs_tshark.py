#!/usr/bin/python3
"""app_vs_tshark.py - field agreement of vigil's `http` and `dns` events with tshark.

    /usr/bin/python3 tests/tools/app_vs_tshark.py [-v] [-j N] [--max-files N] [CAPTURE...]

Captures (default: picked mechanically from the corpus, $VIGIL_CORPUS, default ../shared/corpus):
every row of files.tsv with a capture type (ftype set), not .gz, at most MAX_BYTES, whose bytes
could hold HTTP/1 or DNS at all (contain "HTTP/1." or the port bytes of 53, 5353 or 5355: a cheap
pre-filter that only skips files that cannot qualify), taken round-robin over the corpus' top-level
folders (each folder in sha256 order, so the sample is spread and stable), until --max-files (150)
captures qualified: tshark reads them without error and shows at least one HTTP request/response
or DNS message (`-Y "http or dns or mdns or llmnr"`). Captures tshark cannot read (nonzero exit)
are skipped and counted.

Per capture:
    tshark -r F -n -Y "http or dns or mdns or llmnr" -T json -J "frame ip ipv6 tcp udp http dns mdns llmnr"
    $VIGIL_BIN analyze -o TMP F                           (default build/vigil)
The JSON form carries the same fields as `tshark -T fields -e http.host -e http.request.uri
-e http.request.method -e http.response.code -e http.user_agent` and `-e dns.qry.name
-e dns.qry.type -e dns.a -e dns.aaaa -e dns.cname -e dns.flags.response -e dns.id`, but keeps them
per message and per DNS section (-T fields aggregates all occurrences of a frame into one list,
which cannot be split back when a frame holds two messages or a record sits in the authority or
additional section).

HTTP: a transaction is a request and its response (tshark links them with http.request_in; 1xx
interim responses are not final responses, see RULES). tshark's and vigil's transactions are paired
per connection (client ip:port -> server ip:port) in order (difflib alignment on method + uri, so one
missing transaction does not shift the rest). Fields: hostname, url, http_method, status,
http_user_agent.
DNS: a message is one DNS message of a frame; vigil's are paired with tshark's by frame number
(vigil's pcap_cnt) and order in the frame. Fields: id, qr (dns.flags.response), rrname and rrtype
of the queries, and the rdata of the answer section's A, AAAA and CNAME records, in order.

Every disagreement class that is understood is excluded by a rule (RULES below: a predicate on the
transaction, never a file name) and printed with its count; everything else is a disagreement.
Prints a per-field table (compared, agree, excluded, disagree, %), then one result per field:
a field passes when at least 99 % of the transactions compared on it agree, and
`app-vs-tshark: N passed, N failed`. The share of transactions that agree on every field must be
at least 99 % too (one more result, "transactions"). Exit 1 on any failed result, 2 when tshark,
vigil or the corpus is missing.
"""
import argparse
import concurrent.futures
import difflib
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

MAX_FILES = 150
MAX_BYTES = 16 << 20  # keeps one capture's tshark JSON bounded; the corpus files are far smaller
CAPTURE_TYPES = ("pcap", "pcapng", "nsecpcap", "pcap (raw read)")
PREFILTER = (b"HTTP/1.", b"\x00\x35", b"\x14\xe9", b"\x14\xeb")  # "HTTP/1.", ports 53/5353/5355
HTTP_FIELDS = ("hostname", "url", "http_method", "status", "http_user_agent")
DNS_FIELDS = ("id", "qr", "rrname", "rrtype", "A", "AAAA", "CNAME")
THRESHOLD = 0.99

# RFC 1035 / IANA type numbers of the names vigil writes (app/dns: dns_rrtype_str, Suricata's
# names); an unnamed type is written as its number.
RRTYPES = {"A": 1, "NS": 2, "MD": 3, "MF": 4, "CNAME": 5, "SOA": 6, "MB": 7, "MG": 8, "MR": 9,
           "NULL": 10, "WKS": 11, "PTR": 12, "HINFO": 13, "MINFO": 14, "MX": 15, "TXT": 16,
           "RP": 17, "AFSDB": 18, "X25": 19, "ISDN": 20, "RT": 21, "NSAP": 22, "NSAPPTR": 23,
           "SIG": 24, "KEY": 25, "PX": 26, "GPOS": 27, "AAAA": 28, "LOC": 29, "NXT": 30,
           "SRV": 33, "ATMA": 34, "NAPTR": 35, "KX": 36, "CERT": 37, "A6": 38, "DNAME": 39,
           "OPT": 41, "APL": 42, "DS": 43, "SSHFP": 44, "IPSECKEY": 45, "RRSIG": 46, "NSEC": 47,
           "DNSKEY": 48, "DHCID": 49, "NSEC3": 50, "NSEC3PARAM": 51, "TLSA": 52, "HIP": 55,
           "CDS": 59, "CDNSKEY": 60, "SVCB": 64, "HTTPS": 65, "SPF": 99, "TKEY": 249,
           "TSIG": 250, "IXFR": 251, "AXFR": 252, "MAILB": 253, "MAILA": 254, "ANY": 255,
           "URI": 256, "CAA": 257, "TA": 32768, "DLV": 32769}


def corpus_root():
    c = os.environ.get("VIGIL_CORPUS")
    if c:
        return os.path.abspath(c)
    return os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))


def vigil_bin():
    b = os.environ.get("VIGIL_BIN")
    return os.path.abspath(b) if b else os.path.join(REPO, "build", "vigil")


# ---- tshark's JSON, duplicate keys kept ----------------------------------------------------------

class Obj(list):
    """A JSON object as its (key, value) pairs in order: tshark repeats keys (two Host headers, two
    identical DNS records, several `http` layers in one frame)."""


def load_json(text):
    return json.loads(text, object_pairs_hook=Obj)


def get_all(node, key):
    """Every value of `key` in node's subtree, in document order (depth first)."""
    out = []
    if isinstance(node, Obj):
        for k, v in node:
            if k == key:
                out.append(v)
            out.extend(get_all(v, key))
    elif isinstance(node, list):
        for v in node:
            out.extend(get_all(v, key))
    return out


def get1(node, key, default=None):
    vals = get_all(node, key)
    return vals[0] if vals else default


def children(node, key):
    """The direct values of `key` in an Obj (a layer may appear several times, or as an array)."""
    out = []
    if isinstance(node, Obj):
        for k, v in node:
            if k == key:
                out.extend(v if isinstance(v, list) and not isinstance(v, Obj) else [v])
    return out


def norm_ip(a):
    try:
        return str(ipaddress.ip_address(a.strip("[]")))
    except (ValueError, AttributeError):
        return a


# tshark shows bytes it cannot print in a string field as \xNN (and \r, \n, \t, \\, \" as C
# escapes); vigil's JSON carries the bytes themselves. Both are brought to one form: the string
# with tshark's escapes undone.
TSHARK_ESC = re.compile(r"\\(x[0-9a-fA-F]{2}|[rnt\\\"abfv0])")
ESC_CHAR = {"r": "\r", "n": "\n", "t": "\t", "\\": "\\", '"': '"', "a": "\a", "b": "\b",
            "f": "\f", "v": "\v", "0": "\0"}


def unescape_tshark(s):
    if s is None or "\\" not in s:
        return s
    return TSHARK_ESC.sub(lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "x"
                          else ESC_CHAR[m.group(1)], s)


# ---- tshark side --------------------------------------------------------------------------------

def run_tshark(path):
    # http.desegment_body FALSE: a response is dissected once its header block is complete, as
    # vigil reports its status (otherwise tshark never shows a response whose body the capture
    # cuts short).
    cmd = ["tshark", "-r", path, "-n", "-o", "http.desegment_body:FALSE", "-Y",
           "http or dns or mdns or llmnr", "-T", "json", "-J",
           "frame ip ipv6 tcp udp http dns mdns llmnr"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "tshark timed out"
    if p.returncode != 0:
        return None, (p.stderr.decode(errors="replace").strip().splitlines() or ["exit %d" %
                                                                                 p.returncode])[-1]
    text = p.stdout.decode("utf-8", errors="surrogateescape").strip()
    try:
        return (load_json(text) if text else []), None
    except ValueError as e:
        return None, "tshark JSON: %s" % e


def endpoints(layers):
    """(src, sport, dst, dport, proto) of the innermost IP/transport layers of a frame."""
    src = dst = None
    for k, v in layers:
        if k == "ip":
            src, dst = get1(v, "ip.src"), get1(v, "ip.dst")
        elif k == "ipv6":
            src, dst = get1(v, "ipv6.src"), get1(v, "ipv6.dst")
    tcp, udp = children(layers, "tcp"), children(layers, "udp")
    if tcp:
        t = tcp[-1]
        return norm_ip(src), int(get1(t, "tcp.srcport", 0)), norm_ip(dst), int(
            get1(t, "tcp.dstport", 0)), "tcp"
    if udp:
        u = udp[-1]
        return norm_ip(src), int(get1(u, "udp.srcport", 0)), norm_ip(dst), int(
            get1(u, "udp.dstport", 0)), "udp"
    return norm_ip(src), 0, norm_ip(dst), 0, "?"


def http_msgs(pkts):
    """tshark's HTTP transactions per connection: {(cli, cport, srv, sport): [tx, ...]}."""
    reqs = {}   # (frame, index in frame) -> request dict
    order = []  # request keys in frame order
    resps = []
    for pk in pkts:
        layers = get1(pk, "layers")
        frame = int(get1(get1(layers, "frame"), "frame.number"))
        ep = endpoints(layers)
        for i, h in enumerate(children(layers, "http")):
            if not isinstance(h, Obj):
                continue
            method = get1(h, "http.request.method")
            code = get1(h, "http.response.code")
            if method is not None:
                r = {"frame": frame, "conn": ep[:4], "http_method": unescape_tshark(method),
                     "url": unescape_tshark(get1(h, "http.request.uri")),
                     "host": unescape_tshark(get1(h, "http.host")),
                     "http_user_agent": unescape_tshark(get1(h, "http.user_agent")),
                     "status": None, "interim": []}
                reqs[(frame, i)] = r
                order.append((frame, i))
            elif code is not None:
                rin = get1(h, "http.request_in")
                resps.append({"frame": frame, "conn": (ep[2], ep[3], ep[0], ep[1]),
                              "status": int(code), "request_in": int(rin) if rin else None})
    by_frame = defaultdict(list)
    for key in order:
        by_frame[key[0]].append(reqs[key])
    conns = defaultdict(list)
    for key in order:
        conns[reqs[key]["conn"]].append(reqs[key])
    for r in resps:
        if r["request_in"] is not None and r["request_in"] in by_frame:
            # RULE interim: 1xx responses (100 Continue, 103 Early Hints) are interim; vigil folds
            # them into the transaction and reports the final status, tshark links them to the
            # request like a response. The final response is the last non-1xx one.
            cands = [q for q in by_frame[r["request_in"]] if q["status"] is None]
            if not cands:
                continue
            if 100 <= r["status"] < 200 and r["status"] != 101:
                cands[0]["interim"].append(r["status"])
            else:
                cands[0]["status"] = r["status"]
        else:
            conns[r["conn"]].append({"frame": r["frame"], "conn": r["conn"], "http_method": None,
                                     "url": None, "host": None, "http_user_agent": None,
                                     "status": r["status"], "interim": [], "no_request": True})
    for c in conns.values():
        c.sort(key=lambda t: t["frame"])
    return conns


def section_records(dns, section):
    """Records of one section ("Answers", "Authoritative nameservers", "Additional records") as
    (type, rdata) with rdata for A, AAAA, CNAME."""
    out = []
    for sec in children(dns, section):
        if not isinstance(sec, Obj):
            continue
        for _k, rr in sec:
            if not isinstance(rr, Obj):
                continue
            t = get1(rr, "dns.resp.type")
            if t is None:
                continue
            t = int(t)
            val = {1: "dns.a", 28: "dns.aaaa", 5: "dns.cname"}.get(t)
            out.append((t, get1(rr, val) if val else None))
    return out


def dns_msgs(pkts):
    """tshark's DNS messages per frame: {frame: [msg, ...]}."""
    out = defaultdict(list)
    for pk in pkts:
        layers = get1(pk, "layers")
        frame = int(get1(get1(layers, "frame"), "frame.number"))
        ep = endpoints(layers)
        for proto in ("dns", "mdns", "llmnr"):
            for d in children(layers, proto):
                if not isinstance(d, Obj) or get1(d, "dns.id") is None:
                    continue
                qs = []
                for qsec in children(d, "Queries"):
                    if isinstance(qsec, Obj):
                        for _k, q in qsec:
                            if isinstance(q, Obj) and get1(q, "dns.qry.name") is not None:
                                qs.append((get1(q, "dns.qry.name"), int(get1(q, "dns.qry.type", -1))))
                flags = get1(d, "dns.flags_tree") or Obj()
                out[frame].append({
                    "frame": frame, "ep": ep, "proto": proto, "id": int(get1(d, "dns.id"), 16),
                    "qr": get1(flags, "dns.flags.response") == "1", "queries": qs,
                    "qdcount": int(get1(d, "dns.count.queries", 0)),
                    "ancount": int(get1(d, "dns.count.answers", 0)),
                    "answers": section_records(d, "Answers"),
                    "malformed": bool(get_all(d, "_ws.malformed")) or bool(
                        children(layers, "_ws.malformed"))})
    return out


# ---- vigil side ---------------------------------------------------------------------------------

def run_vigil(path, tmp):
    out = os.path.join(tmp, "out")
    p = subprocess.run([vigil_bin(), "analyze", "-o", out, path], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=300, env=dict(os.environ, TZ="UTC"))
    evs = []
    eve = os.path.join(out, "eve.json")
    if os.path.exists(eve):
        with open(eve, encoding="utf-8", errors="surrogateescape") as f:
            for line in f:
                try:
                    evs.append(json.loads(line))
                except ValueError:
                    pass
    return p.returncode, evs


def vigil_http(evs):
    conns = defaultdict(list)
    for e in evs:
        if e.get("event_type") != "http":
            continue
        h = e.get("http", {})
        conn = (norm_ip(e.get("src_ip")), e.get("src_port"), norm_ip(e.get("dest_ip")),
                e.get("dest_port"))
        conns[conn].append({"hostname": h.get("hostname"), "url": h.get("url"),
                            "http_method": h.get("http_method"), "status": h.get("status"),
                            "http_user_agent": h.get("http_user_agent"), "tx_id": e.get("tx_id")})
    return conns


def vigil_dns(evs):
    out = defaultdict(list)
    for e in evs:
        if e.get("event_type") != "dns":
            continue
        d = e.get("dns", {})
        qs = [(q.get("rrname"), q.get("rrtype")) for q in d.get("queries", [])]
        ans = [(a.get("rrtype"), a.get("rdata")) for a in d.get("answers", [])]
        out[e.get("pcap_cnt")].append({"id": d.get("id"), "qr": d.get("type") == "response",
                                       "queries": qs, "answers": ans, "ev": e})
    return out


# ---- normalisation (what each side means by the field) -------------------------------------------

def host_of(t):
    """vigil's `hostname` (app/http/http.h) derived from tshark's raw fields the way vigil derives
    it: the authority of a CONNECT request's URI, or of an http:// or https:// absolute-form URI,
    else the Host header; userinfo and port removed, trailing dots removed, lowercased. An IPv6
    literal keeps its brackets ("[2001:db8::1]", as libhtp/Suricata log it)."""
    uri, host = t.get("url") or "", t.get("host")
    if t.get("http_method") == "CONNECT" and uri:
        auth = uri
    else:
        m = re.match(r"^https?://([^/?#]*)", uri, re.I)
        auth = m.group(1) if m else host
    if auth is None:
        return None
    auth = auth.rsplit("@", 1)[-1]
    if auth.startswith("["):
        auth = auth[:auth.find("]") + 1] if "]" in auth else auth
    elif auth.count(":") == 1:
        auth = auth.split(":", 1)[0]
    return auth.rstrip(".").lower()


def rrtype_num(name):
    if name is None:
        return None
    if isinstance(name, int) or str(name).isdigit():
        return int(name)
    return RRTYPES.get(name, name)


def dns_field(msg, field, side):
    if field == "id":
        return msg["id"]
    if field == "qr":
        return msg["qr"]
    if field == "rrname":
        return [q[0] for q in msg["queries"]]
    if field == "rrtype":
        return [rrtype_num(q[1]) for q in msg["queries"]]
    num = {"A": 1, "AAAA": 28, "CNAME": 5}[field]
    if side == "t":
        vals = [v for t, v in msg["answers"] if t == num]
    else:
        vals = [v for t, v in msg["answers"] if rrtype_num(t) == num]
    if num == 28:  # vigil writes AAAA fully expanded (as Suricata), tshark RFC 5952: as addresses
        vals = [norm_ip(v) for v in vals]
    return vals


def norm_name(n):
    """DNS names: tshark writes the root as "<Root>" and escapes label bytes its own way; vigil
    writes "" and \\DDD (dig). Both to one form: the root "", \\DDD and \\xNN decoded."""
    if n is None:
        return n
    if n == "<Root>":
        return ""
    n = re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1))), n)
    return unescape_tshark(n)


# ---- rules: understood disagreement classes ------------------------------------------------------
# Each rule is (name, predicate, why). A predicate sees the compared pair and the field (or None
# for a transaction/message present on one side only) and returns True when the difference is
# that class. Rules are tried in order; the first that holds names the class. Nothing is excluded
# by file name.

def http_ports():
    """tshark's HTTP ports (preference http.tcp.port): it dissects HTTP only there (its heuristic
    HTTP dissector is off by default); vigil detects HTTP by content on any port."""
    ports = {80, 3128, 3132, 5985, 8080, 8088, 11371, 1900, 2869, 2710}
    try:
        p = subprocess.run(["tshark", "-G", "currentprefs"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=60)
        m = re.search(r"^#?http\.tcp\.port:\s*(\S+)", p.stdout.decode(errors="replace"), re.M)
        if m:
            ports = set()
            for part in m.group(1).split(","):
                a, _, b = part.partition("-")
                ports.update(range(int(a), int(b or a) + 1))
    except (OSError, subprocess.TimeoutExpired, ValueError):
        pass
    return ports


HTTP_PORTS = set()
DNS_PORTS = {53, 5353, 5355}  # tshark's DNS (dns.udp.port / dns.tcp.port), mDNS and LLMNR ports


def rule_http_vigil_only_port(v, t, field):
    # vigil detects HTTP by content; tshark dissects it only on its HTTP ports (http.tcp.port).
    return t is None and v is not None and not ({v["conn"][1], v["conn"][3]} & HTTP_PORTS)


def rule_http_tshark_only_failed(v, t, field):
    # tshark's HTTP dissector takes any bytes on an HTTP port that begin like a request or status
    # line, after gaps or mid-stream; vigil detects the protocol on the connection's first bytes
    # and, when those are not HTTP (TLS on port 80, a lost first segment, a proxy CONNECT tunnel),
    # marks the flow "failed" and parses nothing: its flow event says app_proto "failed" or none.
    return v is None and t is not None and t.get("vigil_app_proto") not in ("http",)


def rule_http_incomplete(v, t, field):
    # A transaction whose request or response vigil saw incomplete or after a gap (flush at the end
    # of the capture, bytes lost): vigil logs what it has, without a status when the response
    # never completed its status line; tshark may have dissected a different or partial message.
    return v is not None and t is not None and field == "status" and v.get("status") is None


def rule_http_unpaired_response(v, t, field):
    # A response with no request in the capture (the capture starts mid-connection): tshark lists
    # it on its own, vigil logs it as a transaction without request fields, or not at all when the
    # flow was picked up mid-stream and the first bytes were not a status line.
    x = t or v
    return x is not None and x.get("no_request", False) or (v is not None and v.get("url") is None
                                                          and v.get("http_method") is None)


def rule_dns_vigil_only_port(v, t, field):
    # vigil detects DNS by content on any UDP/TCP port (Suricata does the same with its probing
    # parser); tshark dissects DNS only on its DNS, mDNS and LLMNR ports.
    return t is None and v is not None and not ({v["ev"].get("src_port"), v["ev"].get("dest_port")}
                                                & DNS_PORTS)


def rule_dns_tshark_only_not_dns(v, t, field):
    # tshark dissects every datagram on port 53 as DNS, also garbage (fuzzed captures, non-DNS
    # traffic on port 53, a truncated header: shown as malformed); vigil's probe rejects bytes
    # that are not a DNS message and then ignores the flow ("failed"), and logs nothing for a
    # message without a complete 12-byte header.
    return v is None and t is not None and (t["malformed"] or t.get("vigil_app_proto") != "dns")


def rule_dns_malformed(v, t, field):
    # Malformed messages (tshark: _ws.malformed; vigil: an applayer anomaly on the packet): the
    # two parsers stop at different points (vigil keeps what parsed before the fault, tshark
    # drops the record being parsed or shows a partial one), so the record lists differ.
    return t is not None and t["malformed"]


def rule_dns_truncated_limits(v, t, field):
    # vigil keeps at most 8 questions (DNS_MAX_QUESTIONS) and logs them; tshark lists all.
    return v is not None and t is not None and field in ("rrname", "rrtype") and len(
        t["queries"]) > 8 and len(v["queries"]) == 8


HTTP_RULES = [
    ("http: HTTP on a port tshark does not dissect as HTTP", rule_http_vigil_only_port),
    ("http: vigil did not detect HTTP on the connection (first bytes not HTTP)",
     rule_http_tshark_only_failed),
    ("http: response without a request in the capture", rule_http_unpaired_response),
    ("http: response not complete in vigil (no status)", rule_http_incomplete),
]
DNS_RULES = [
    ("dns: DNS on a port tshark does not dissect as DNS", rule_dns_vigil_only_port),
    ("dns: tshark dissects non-DNS bytes on port 53 (vigil: not DNS)",
     rule_dns_tshark_only_not_dns),
    ("dns: malformed message, the parsers stop at different points", rule_dns_malformed),
    ("dns: more than 8 questions (vigil keeps 8)", rule_dns_truncated_limits),
]


def classify(rules, v, t, field):
    for name, pred in rules:
        if pred(v, t, field):
            return name
    return None


# ---- comparison ---------------------------------------------------------------------------------

class Tally:
    def __init__(self, fields):
        self.fields = fields
        self.cmp = Counter()
        self.agree = Counter()
        self.excl = Counter()
        self.dis = Counter()
        self.tx = Counter()  # compared / agreeing / excluded transactions
        self.classes = Counter()
        self.examples = []
        self.excluded_examples = defaultdict(list)

    def excluded(self, cls, line):
        self.classes[cls] += 1
        if len(self.excluded_examples[cls]) < 3:
            self.excluded_examples[cls].append(line)

    def field(self, f, ok, cls, where, a, b):
        if ok:
            self.cmp[f] += 1
            self.agree[f] += 1
        elif cls:
            self.excl[f] += 1
            self.excluded(cls, "%s %s: vigil %r, tshark %r" % (where, f, a, b))
        else:
            self.cmp[f] += 1
            self.dis[f] += 1
            self.examples.append("%s %s: vigil %r, tshark %r" % (where, f, a, b))


def compare_http(path, evs, pkts, tal, app_proto):
    tconns = http_msgs(pkts)
    vconns = vigil_http(evs)
    for conn in sorted(set(tconns) | set(vconns), key=str):
        ts, vs = tconns.get(conn, []), vconns.get(conn, [])
        for t in ts:
            t["vigil_app_proto"] = app_proto.get(conn)
        for v in vs:
            v["conn"] = conn
        key = lambda x: (x.get("http_method"), x.get("url"))  # noqa: E731
        sm = difflib.SequenceMatcher(None, [key(x) for x in vs], [key(x) for x in ts],
                                     autojunk=False)
        pairs = []
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
                pairs += [(vs[i], ts[j]) for i, j in zip(range(i1, i2), range(j1, j2))]
            else:
                pairs += [(vs[i], None) for i in range(i1, i2)]
                pairs += [(None, ts[j]) for j in range(j1, j2)]
        for v, t in pairs:
            where = "%s %s" % (os.path.relpath(path, corpus_root()), "%s:%s->%s:%s" % conn)
            if v is None or t is None:
                cls = classify(HTTP_RULES, v, t, None)
                if cls:
                    tal.tx["excluded"] += 1
                    x = v or t
                    tal.excluded(cls, "%s: only in %s: %s %s" % (
                        where, "vigil" if t is None else "tshark", x.get("http_method"),
                        x.get("url")))
                else:
                    tal.tx["compared"] += 1
                    tal.tx["unmatched"] += 1
                    tal.examples.append("%s: only in %s: %r" % (
                        where, "vigil" if t is None else "tshark", {k: (v or t).get(k) for k in (
                            "http_method", "url", "status", "frame") if (v or t).get(k)}))
                continue
            all_ok = True
            any_cmp = False
            tv = {"hostname": host_of(t), "url": t["url"], "http_method": t["http_method"],
                  "status": t["status"], "http_user_agent": t["http_user_agent"]}
            for f in HTTP_FIELDS:
                a, b = v.get(f), tv[f]
                ok = a == b
                cls = None if ok else classify(HTTP_RULES, v, t, f)
                tal.field(f, ok, cls, where + " frame %s" % t["frame"], a, b)
                if not ok and not cls:
                    all_ok = False
                any_cmp = any_cmp or ok or not cls
            if any_cmp:
                tal.tx["compared"] += 1
                tal.tx["agree"] += all_ok


def compare_dns(path, evs, pkts, tal, app_proto_by_ep):
    tm = dns_msgs(pkts)
    vm = vigil_dns(evs)
    for frame in sorted(set(tm) | set(k for k in vm if k), key=lambda x: x or 0):
        ts, vs = tm.get(frame, []), vm.get(frame, [])
        for t in ts:
            s, sp, d, dp, pr = t["ep"]
            t["vigil_app_proto"] = app_proto_by_ep.get((pr, frozenset([(s, sp), (d, dp)])))
        n = max(len(ts), len(vs))
        for i in range(n):
            t = ts[i] if i < len(ts) else None
            v = vs[i] if i < len(vs) else None
            where = "%s frame %s" % (os.path.relpath(path, corpus_root()), frame)
            if v is None or t is None:
                cls = classify(DNS_RULES, v, t, None)
                if cls:
                    tal.tx["excluded"] += 1
                    x = v or t
                    tal.excluded(cls, "%s: only in %s: id %s qr %s %s" % (
                        where, "vigil" if t is None else "tshark", x["id"], x["qr"],
                        x["queries"][:2]))
                else:
                    tal.tx["compared"] += 1
                    tal.tx["unmatched"] += 1
                    x = v or t
                    tal.examples.append("%s: only in %s: id %s qr %s %s" % (
                        where, "vigil" if t is None else "tshark", x["id"], x["qr"],
                        x["queries"][:2]))
                continue
            all_ok = True
            any_cmp = False
            for f in DNS_FIELDS:
                a, b = dns_field(v, f, "v"), dns_field(t, f, "t")
                if f in ("rrname", "CNAME"):
                    a, b = [norm_name(x) for x in a], [norm_name(x) for x in b]
                ok = a == b
                cls = None if ok else classify(DNS_RULES, v, t, f)
                tal.field(f, ok, cls, where, a, b)
                if not ok and not cls:
                    all_ok = False
                any_cmp = any_cmp or ok or not cls
            if any_cmp:
                tal.tx["compared"] += 1
                tal.tx["agree"] += all_ok


def flow_app_protos(evs):
    """app_proto of each vigil flow: by HTTP connection (client->server) and by endpoint pair."""
    by_conn, by_ep = {}, {}
    for e in evs:
        if e.get("event_type") != "flow":
            continue
        s, sp = norm_ip(e.get("src_ip")), e.get("src_port")
        d, dp = norm_ip(e.get("dest_ip")), e.get("dest_port")
        ap = e.get("app_proto")
        by_conn[(s, sp, d, dp)] = ap if ap else by_conn.get((s, sp, d, dp))
        pr = (e.get("proto") or "").lower()
        key = (pr, frozenset([(s, sp), (d, dp)]))
        if ap or key not in by_ep:
            by_ep[key] = ap
    return by_conn, by_ep


# ---- selection -----------------------------------------------------------------------------------

def candidates(root):
    rows = []
    with open(os.path.join(root, "files.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            if r.get("ftype") not in CAPTURE_TYPES or r["path"].endswith(".gz"):
                continue
            p = os.path.join(root, r["path"])
            if not os.path.isfile(p) or os.path.getsize(p) > MAX_BYTES:
                continue
            with open(p, "rb") as fh:
                data = fh.read()
            if any(x in data for x in PREFILTER):
                rows.append((r["path"].split("/")[0], r.get("sha256", ""), r["path"]))
    groups = defaultdict(list)
    for top, sha, path in sorted(rows):
        groups[top].append(path)
    out, i = [], 0
    names = sorted(groups)
    while any(i < len(groups[n]) for n in names):
        out += [groups[n][i] for n in names if i < len(groups[n])]
        i += 1
    return out


def qualifies(pkts):
    for pk in pkts:
        layers = get1(pk, "layers")
        for h in children(layers, "http"):
            if isinstance(h, Obj) and (get1(h, "http.request.method") or get1(
                    h, "http.response.code")):
                return True
        for proto in ("dns", "mdns", "llmnr"):
            if any(isinstance(d, Obj) and get1(d, "dns.id") for d in children(layers, proto)):
                return True
    return False


def probe(path):
    pkts, err = run_tshark(path)
    if err is not None:
        return path, None, err
    return path, pkts if qualifies(pkts) else [], None


def main(argv=None):
    global HTTP_PORTS
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("captures", nargs="*", help="captures to compare (default: from the corpus)")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--max-files", type=int, default=MAX_FILES)
    ap.add_argument("-v", "--verbose", action="store_true", help="print every disagreement")
    args = ap.parse_args(argv)
    if not shutil.which("tshark"):
        print("app_vs_tshark: tshark not found", file=sys.stderr)
        return 2
    if not os.access(vigil_bin(), os.X_OK):
        print("app_vs_tshark: no vigil binary at %s (make build)" % vigil_bin(), file=sys.stderr)
        return 2
    root = corpus_root()
    if args.captures:
        cands = [os.path.abspath(c) for c in args.captures]
    else:
        if not os.path.exists(os.path.join(root, "files.tsv")):
            print("app_vs_tshark: no corpus at %s" % root, file=sys.stderr)
            return 2
        cands = [os.path.join(root, p) for p in candidates(root)]
    HTTP_PORTS.update(http_ports())

    selected, unreadable, without = [], [], 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as ex:
        pos = 0
        while pos < len(cands) and len(selected) < args.max_files:
            batch = cands[pos:pos + 2 * max(1, args.j)]
            pos += len(batch)
            for path, pkts, err in ex.map(probe, batch):
                if len(selected) >= args.max_files:
                    break
                if err is not None:
                    unreadable.append((path, err))
                elif pkts:
                    selected.append((path, pkts))
                else:
                    without += 1

        def one(item):
            path, pkts = item
            with tempfile.TemporaryDirectory(prefix="vigil-appts-") as tmp:
                rc, evs = run_vigil(path, tmp)
            return path, pkts, rc, evs

        results = list(ex.map(one, selected))

    http_t, dns_t = Tally(HTTP_FIELDS), Tally(DNS_FIELDS)
    crashed = []
    for path, pkts, rc, evs in results:
        if rc < 0 or not evs:
            crashed.append((path, rc))
        by_conn, by_ep = flow_app_protos(evs)
        compare_http(path, evs, pkts, http_t, by_conn)
        compare_dns(path, evs, pkts, dns_t, by_ep)

    print("app-vs-tshark: %d captures compared (%d probed without HTTP/DNS, %d unreadable by "
          "tshark skipped)" % (len(selected), without, len(unreadable)))
    if args.verbose:
        for p, e in unreadable:
            print("  unreadable: %s: %s" % (os.path.relpath(p, root), e))
    print("%-22s %9s %9s %9s %9s %8s" % ("field", "compared", "agree", "excluded", "disagree",
                                        "agree%"))
    passed = failed = 0
    for name, tal in (("http", http_t), ("dns", dns_t)):
        for f in tal.fields:
            c, a = tal.cmp[f], tal.agree[f]
            pct = 100.0 * a / c if c else 100.0
            ok = c == 0 or a >= THRESHOLD * c
            print("%-22s %9d %9d %9d %9d %7.2f%% %s" % ("%s.%s" % (name, f), c, a, tal.excl[f],
                                                       tal.dis[f], pct, "ok" if ok else "FAIL"))
            passed += ok
            failed += not ok
    for name, tal in (("http", http_t), ("dns", dns_t)):
        c, a = tal.tx["compared"], tal.tx["agree"]
        pct = 100.0 * a / c if c else 100.0
        ok = c == 0 or a >= THRESHOLD * c
        print("%-22s %9d %9d %9d %9d %7.2f%% %s" % (
            "%s.transactions" % name, c, a, tal.tx["excluded"], c - a, pct, "ok" if ok else "FAIL"))
        passed += ok
        failed += not ok
    print("excluded by rule (field values or whole transactions):")
    for tal in (http_t, dns_t):
        for cls, n in sorted(tal.classes.items()):
            print("  %6d  %s" % (n, cls))
            if args.verbose:
                for line in tal.excluded_examples[cls]:
                    print("            e.g. " + line)
    for path, rc in crashed:
        print("FAIL vigil: %s: exit %s, %s" % (os.path.relpath(path, root), rc,
                                               "no events" if rc >= 0 else "signal"))
        failed += 1
    ex_all = http_t.examples + dns_t.examples
    if ex_all:
        print("disagreements (%d%s):" % (len(ex_all), "" if args.verbose else ", first 40"))
        for line in ex_all if args.verbose else ex_all[:40]:
            print("  " + line)
    print("app-vs-tshark: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
