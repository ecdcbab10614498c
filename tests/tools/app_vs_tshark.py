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

Every disagreement class that is understood is excluded by a rule (HTTP_RULES / DNS_RULES below,
each a predicate on the traffic with a comment saying why, never a file name) and printed with its
count (-v: with examples); everything else is a disagreement. The classes met on the corpus:
HTTP on ports tshark does not dissect as HTTP, methods tshark does not know (QUERY), frames vigil's
decoder rejects or link types it does not decode (NFLOG, PKTAP, ARCnet, TSO's IP length 0),
request lines without a valid version (HTTP/0.9, "HTTP/1.0.8": vigil rejects them), connections
vigil did not detect as HTTP (the capture starts with the response), requests of ambiguous body
length (smuggling tests), bytes lost in the capture, responses cut short by the end of the
capture (tshark shows a response only when its body is complete), status lines tshark does not
find (evader tests), status codes that are not three digits; DNS on ports tshark does not dissect
as DNS (NetBIOS name service), DNS flows vigil's probe does not accept (mDNS announcements without
a question opening the flow, non-DNS bytes on port 53), malformed messages, more than 8 questions.
Normalised, not excluded: tshark's \\xNN escapes, the root name "<Root>", AAAA text form (vigil
expands like Suricata), vigil's derived `hostname` (computed from tshark's raw Host and URI the way
app/http derives it).
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
    # tshark's defaults otherwise (bodies reassembled: that is what lets it find the next message
    # of a keep-alive connection; RULES say what it costs). The lost-segment frames come along to
    # know which connections miss bytes.
    cmd = ["tshark", "-r", path, "-n", "-Y", "http or dns or mdns or llmnr or "
           "tcp.analysis.lost_segment or tcp.analysis.ack_lost_segment", "-T", "json", "-J",
           "frame ip ipv6 tcp udp http dns mdns llmnr"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    except subprocess.TimeoutExpired:
        return None, "tshark timed out"
    if p.returncode != 0:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        return None, err[-1] if err else "exit %d" % p.returncode
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
    for proto in ("tcp", "udp"):
        lay = children(layers, proto)
        if lay:
            x = lay[-1]
            return (norm_ip(src), int(get1(x, proto + ".srcport", 0)), norm_ip(dst),
                    int(get1(x, proto + ".dstport", 0)), proto)
    return norm_ip(src), 0, norm_ip(dst), 0, "?"


def ukey(proto, a, ap, b, bp):
    """Unordered key of a connection (vigil and tshark may disagree on who is the client)."""
    return (proto, frozenset([(a, ap), (b, bp)]))


CL_OK = re.compile(r"^\s*\d{1,18}\s*$")


def ambiguous_length(h):
    """RFC 9112 sections 6.1-6.3: a request whose body length parsers may read differently - a
    Content-Length that is not 1-18 digits (overflow, sign, list), several Content-Lengths, both
    Content-Length and Transfer-Encoding, a Transfer-Encoding other than a plain "chunked" (empty
    because obs-folded, a list, a misspelling). The request smuggling shapes."""
    cl, te = [], []
    for line in get_all(h, "http.request.line"):
        name, _, val = line.partition(":")
        n = name.strip().lower()
        if n == "content-length":
            cl.append(val.strip().rstrip("\\r\\n").strip())
        elif n == "transfer-encoding":
            te.append(val.strip().rstrip("\\r\\n").strip().lower())
    if len(set(cl)) > 1 or (cl and te) or any(not CL_OK.match(c) for c in cl):
        return True
    return any(t != "chunked" for t in te)


class TsharkFacts:
    """What tshark shows of one capture: HTTP transactions per connection, DNS messages per frame,
    and per connection whether bytes were lost, whether the server sent HTTP bytes tshark found no
    message start in, whether a request had an ambiguous length."""

    def __init__(self, pkts):
        self.http = defaultdict(list)    # (cli, cport, srv, sport) -> [tx]
        self.dns = defaultdict(list)     # frame -> [msg]
        self.lossy = set()               # ukeys of TCP connections with lost / unseen segments
        self.unparsed = set()            # ukeys where an http layer held neither request nor status
        self.ambiguous = set()           # ukeys with a request of ambiguous body length
        reqs, resps = [], []
        for pk in pkts:
            layers = get1(pk, "layers")
            frame = int(get1(get1(layers, "frame"), "frame.number"))
            ep = endpoints(layers)
            uk = ukey(ep[4], *ep[:4])
            for t in children(layers, "tcp"):
                if get_all(t, "tcp.analysis.lost_segment") or get_all(
                        t, "tcp.analysis.ack_lost_segment"):
                    self.lossy.add(uk)
            for h in children(layers, "http"):
                if not isinstance(h, Obj):
                    continue
                method, code = get1(h, "http.request.method"), get1(h, "http.response.code")
                if method is not None:
                    if ambiguous_length(h):
                        self.ambiguous.add(uk)
                    reqs.append({"frame": frame, "conn": ep[:4], "uk": uk,
                                 "http_method": unescape_tshark(method),
                                 "url": unescape_tshark(get1(h, "http.request.uri")),
                                 "host": unescape_tshark(get1(h, "http.host")),
                                 "http_user_agent": unescape_tshark(get1(h, "http.user_agent")),
                                 "status": None, "status_raw": None, "interim": []})
                elif code is not None:
                    rin = get1(h, "http.request_in")
                    resps.append({"frame": frame, "conn": (ep[2], ep[3], ep[0], ep[1]), "uk": uk,
                                  "code": code, "request_in": int(rin) if rin else None})
                else:
                    self.unparsed.add(uk)
            for proto in ("dns", "mdns", "llmnr"):
                for d in children(layers, proto):
                    if isinstance(d, Obj) and get1(d, "dns.id") is not None:
                        self.dns[frame].append(dns_msg(d, frame, ep, proto, layers))
        by_frame = defaultdict(list)
        for r in reqs:
            by_frame[r["frame"]].append(r)
            self.http[r["conn"]].append(r)
        for r in resps:
            status = int(r["code"]) if r["code"].isdigit() else -1
            open_reqs = [q for q in by_frame.get(r["request_in"], []) if q["status"] is None]
            if open_reqs:
                # 1xx responses (100 Continue, 103 Early Hints) are interim: vigil folds them into
                # the transaction and reports the final status; tshark links them to the request
                # like any response. The final response is the first non-1xx (101 is final).
                if 100 <= status < 200 and status != 101:
                    open_reqs[0]["interim"].append(status)
                else:
                    open_reqs[0]["status"] = status
                    open_reqs[0]["status_raw"] = r["code"]
                continue
            # A response to no request in the capture, or a further response tshark links to a
            # request that already has one: a transaction without request, as vigil logs it.
            self.http[r["conn"]].append({"frame": r["frame"], "conn": r["conn"], "uk": r["uk"],
                                         "http_method": None, "url": None, "host": None,
                                         "http_user_agent": None, "status": status,
                                         "status_raw": r["code"], "interim": [],
                                         "no_request": True})
        for c in self.http.values():
            c.sort(key=lambda t: t["frame"])


def dns_msg(d, frame, ep, proto, layers):
    qs = []
    for qsec in children(d, "Queries"):
        if isinstance(qsec, Obj):
            for _k, q in qsec:
                if isinstance(q, Obj) and get1(q, "dns.qry.name") is not None:
                    qs.append((get1(q, "dns.qry.name"), int(get1(q, "dns.qry.type", -1))))
    answers = []
    for sec in children(d, "Answers"):
        if isinstance(sec, Obj):
            for _k, rr in sec:
                if isinstance(rr, Obj) and get1(rr, "dns.resp.type") is not None:
                    t = int(get1(rr, "dns.resp.type"))
                    field = {1: "dns.a", 28: "dns.aaaa", 5: "dns.cname"}.get(t)
                    answers.append((t, get1(rr, field) if field else None))
    flags = get1(d, "dns.flags_tree") or Obj()
    return {"frame": frame, "ep": ep, "proto": proto, "id": int(get1(d, "dns.id"), 16),
            "qr": get1(flags, "dns.flags.response") == "1", "queries": qs,
            "qdcount": int(get1(d, "dns.count.queries", 0)), "answers": answers,
            "malformed": bool(get_all(d, "_ws.malformed") or children(layers, "_ws.malformed")
                              or any("too long" in q[0] for q in qs))}


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


class VigilFacts:
    """vigil's events of one capture: HTTP transactions per connection (client -> server), DNS
    messages per packet number, each flow's app_proto, the HTTP anomalies per connection, the
    packets its decoder rejected, and whether it met link types it does not decode."""

    def __init__(self, evs):
        self.http = defaultdict(list)
        self.dns = defaultdict(list)
        self.app_proto = {}
        self.http_anoms = defaultdict(set)
        self.decode_anom = set()
        self.unsupported_link = False
        for e in evs:
            et = e.get("event_type")
            s, sp = norm_ip(e.get("src_ip")), e.get("src_port")
            d, dp = norm_ip(e.get("dest_ip")), e.get("dest_port")
            uk = ukey((e.get("proto") or "").lower(), s, sp, d, dp)
            if et == "http":
                h = e.get("http", {})
                self.http[(s, sp, d, dp)].append({
                    "conn": (s, sp, d, dp), "uk": uk, "hostname": h.get("hostname"),
                    "url": h.get("url"), "http_method": h.get("http_method"),
                    "status": h.get("status"), "http_user_agent": h.get("http_user_agent"),
                    "flags": e.get("vigil", {}).get("http", {}).get("flags", [])})
            elif et == "dns":
                dd = e.get("dns", {})
                self.dns[e.get("pcap_cnt")].append({
                    "id": dd.get("id"), "qr": dd.get("type") == "response", "uk": uk,
                    "queries": [(q.get("rrname"), q.get("rrtype")) for q in dd.get("queries", [])],
                    "answers": [(a.get("rrtype"), a.get("rdata")) for a in dd.get("answers", [])],
                    "ports": {sp, dp}})
            elif et == "flow":
                if e.get("app_proto") or uk not in self.app_proto:
                    self.app_proto[uk] = e.get("app_proto")
            elif et == "anomaly":
                a = e.get("anomaly", {})
                if a.get("type") == "decode":
                    self.decode_anom.add(e.get("pcap_cnt"))
                elif str(a.get("event", "")).startswith("http."):
                    self.http_anoms[uk].add(a["event"])
            elif et == "stats":
                st = e.get("stats", {}).get("vigil", {}).get("stats", {})
                self.unsupported_link = st.get("unsupported_linktype", 0) > 0


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


def norm_name(n):
    """DNS names: tshark writes the root as "<Root>" and escapes label bytes its own way; vigil
    writes "" and \\DDD (dig). Both to one form: the root "", \\DDD and \\xNN decoded."""
    if n is None:
        return n
    if n == "<Root>":
        return ""
    n = re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1))), n)
    return unescape_tshark(n)


def dns_field(msg, field, tshark_side):
    if field == "id":
        return msg["id"]
    if field == "qr":
        return msg["qr"]
    if field == "rrname":
        return [norm_name(q[0]) for q in msg["queries"]]
    if field == "rrtype":
        return [rrtype_num(q[1]) for q in msg["queries"]]
    num = {"A": 1, "AAAA": 28, "CNAME": 5}[field]
    vals = [v for t, v in msg["answers"] if (t if tshark_side else rrtype_num(t)) == num]
    if num == 28:  # vigil writes AAAA fully expanded (as Suricata), tshark RFC 5952: as addresses
        vals = [norm_ip(v) for v in vals]
    if num == 5:
        vals = [norm_name(v) for v in vals]
    return vals


def http_field(x, field, tshark_side):
    if tshark_side and field == "hostname":
        return host_of(x)
    return x.get(field)


# ---- rules: understood disagreement classes ------------------------------------------------------
# A rule is (name, predicate(cx, v, t, field)). v is vigil's transaction or message, t tshark's,
# either may be None (present on one side only: field None); cx holds the capture's facts (cx.v:
# VigilFacts, cx.t: TsharkFacts). Rules are tried in order and the first that holds names the
# class; the difference is then excluded (counted per class, printed with -v). Predicates look at
# the traffic, never at a file name.

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


def one_sided(v, t):
    return (v is None) != (t is None)


def not_decoded(cx, uk, frame):
    # vigil has no flow for the connection: its decoder rejected the frame (an anomaly on that
    # packet: an IP total length of 0 from TSO, an invalid IP length, a fuzzed header) or the
    # capture has link types it does not decode (NFLOG, PKTAP, ARCnet). tshark dissects those
    # frames anyway.
    return uk not in cx.v.app_proto and (cx.v.unsupported_link or frame in cx.v.decode_anom)


def h_vigil_only_port(cx, v, t, field):
    # vigil detects HTTP by content on any port; tshark dissects it only on its HTTP ports.
    return t is None and v is not None and not ({v["conn"][1], v["conn"][3]} & HTTP_PORTS)


def h_not_decoded(cx, v, t, field):
    return v is None and t is not None and not_decoded(cx, t["uk"], t["frame"])


def h_not_detected(cx, v, t, field):
    # vigil decides the protocol on a connection's first bytes; when they are not HTTP (the
    # capture starts with the response, a malformed first request, TLS on port 80) the flow is
    # "failed" and nothing is parsed. tshark's dissector takes any segment on an HTTP port that
    # begins like a request or status line.
    return v is None and t is not None and cx.v.app_proto.get(t["uk"]) != "http"


def h_request_line_rejected(cx, v, t, field):
    # A request line without a valid HTTP version (HTTP/0.9 "GET /", "HTTP/1.0.8"): vigil's parser
    # rejects it (anomaly http.request_line_missing_protocol) and logs the response alone or
    # nothing; tshark dissects the request. (Suricata's libhtp logs such requests: see README.)
    uk = (t or v)["uk"]
    return "http.request_line_missing_protocol" in cx.v.http_anoms.get(uk, ()) and (
        one_sided(v, t) or (v is not None and "no_request" in v["flags"]))


def h_ambiguous_length(cx, v, t, field):
    # A request of ambiguous body length on the connection (see ambiguous_length: the request
    # smuggling shapes): vigil and tshark end the body at different places, so one of them sees
    # a request hidden in the other's body.
    return (t or v)["uk"] in cx.t.ambiguous


def h_lost_bytes(cx, v, t, field):
    # tshark reports lost or unseen-but-acknowledged segments on the connection: vigil does not
    # deliver data queued behind a hole that is never filled (a message after the hole is not
    # parsed, the one before it ends incomplete), tshark reassembles and resynchronises
    # differently.
    return (t or v)["uk"] in cx.t.lossy


def h_response_cut(cx, v, t, field):
    # The response had not ended when the connection did (the capture stops in its body): vigil
    # reports the status line it parsed (flag response_incomplete), tshark shows a response only
    # once its body is reassembled completely, so it shows none.
    return v is not None and t is not None and field == "status" and t["status"] is None and (
        "response_incomplete" in v["flags"])


def h_status_line_not_found(cx, v, t, field):
    # The server sent HTTP bytes but tshark found no status line in them (a bare CR or other bytes
    # before "HTTP/1.1", as in HTTP evader tests), vigil skips those and parses the status.
    return v is not None and t is not None and field == "status" and t["status"] is None and (
        t["uk"] in cx.t.unparsed)


def h_status_not_3_digits(cx, v, t, field):
    # RFC 9110 section 15: a status code is three digits. vigil leaves `status` out for anything
    # else ("20", "2000"), tshark shows the number it read.
    return v is not None and t is not None and field == "status" and v.get("status") is None and (
        t["status_raw"] is not None and not re.match(r"^\d{3}$", t["status_raw"]))


# The request methods tshark's HTTP dissector recognises (Wireshark 4.0 packet-http.c,
# is_http_request_or_reply): RFC 9110, WebDAV and its extensions, UPnP/SSDP, MS-RPC over HTTP.
TSHARK_METHODS = set("""GET PUT POST HEAD DELETE OPTIONS TRACE CONNECT PATCH PROPFIND PROPPATCH MKCOL
COPY MOVE LOCK UNLOCK SEARCH REPORT CHECKOUT CHECKIN UNCHECKOUT MKACTIVITY MERGE LABEL UPDATE
VERSION-CONTROL BASELINE-CONTROL MKWORKSPACE ORDERPATCH ACL BIND UNBIND REBIND MKCALENDAR
MKREDIRECTREF UPDATEREDIRECTREF NOTIFY SUBSCRIBE UNSUBSCRIBE POLL BCOPY BDELETE BMOVE BPROPFIND
BPROPPATCH M-SEARCH RPC_IN_DATA RPC_OUT_DATA SSTP_DUPLEX_POST""".split())


def h_method_unknown_to_tshark(cx, v, t, field):
    # A request whose method tshark does not know (QUERY, a custom token): tshark does not take
    # the bytes as a request and shows at most the response; vigil accepts any token method.
    return v is not None and v.get("http_method") not in (None, *TSHARK_METHODS) and (
        t is None or t.get("no_request", False))


def d_vigil_only_port(cx, v, t, field):
    # vigil detects DNS by content on any UDP/TCP port (NetBIOS name service on 137 has DNS's
    # wire format); tshark dissects DNS only on its DNS, mDNS and LLMNR ports.
    return t is None and v is not None and not (v["ports"] & DNS_PORTS)


def d_not_decoded(cx, v, t, field):
    uk = ukey(t["ep"][4], *t["ep"][:4]) if t else None
    return v is None and t is not None and not_decoded(cx, uk, t["frame"])


def d_not_detected(cx, v, t, field):
    # vigil's content probe must accept a UDP flow's first datagram as DNS (a message with one to
    # eight questions and plausible counts); otherwise the flow is "failed" and ignored: an mDNS
    # announcement (a response without question) opening the flow, or bytes that are not DNS on
    # port 53 (fuzzed captures). tshark dissects every datagram on its DNS ports.
    uk = ukey(t["ep"][4], *t["ep"][:4]) if t else None
    return v is None and t is not None and cx.v.app_proto.get(uk) != "dns"


def d_malformed(cx, v, t, field):
    # A malformed message (tshark: _ws.malformed or "<Name too long>"): the two parsers stop at
    # different points (vigil keeps what parsed before the fault, or does not log a message whose
    # question does not parse; tshark shows a partial record).
    return t is not None and t["malformed"]


def d_question_limit(cx, v, t, field):
    # vigil keeps at most 8 questions (DNS_MAX_QUESTIONS), tshark lists all.
    return v is not None and t is not None and field in ("rrname", "rrtype") and len(
        t["queries"]) > 8 and len(v["queries"]) == 8


def h_lws_terminator(cx, v, t, field):
    # A response framed by libhtp's lenient rules (vigil flags it `lax_framing`): a header block
    # ended by a line holding one SP or HT ("\n \n") or by a bare CR, an http-evader shape;
    # libhtp (Suricata) and vigil end the block there (Apache/IIS behaviour), tshark waits for an
    # empty line and shows no response.
    return (v is not None and t is not None and field == "status" and t.get("status") is None
            and v.get("status") is not None and "lax_framing" in v.get("flags", ()))


HTTP_RULES = [
    ("http: HTTP on a port tshark does not dissect as HTTP", h_vigil_only_port),
    ("http: request method tshark does not know (e.g. QUERY)", h_method_unknown_to_tshark),
    ("http: frames vigil's decoder rejects or link type it does not decode", h_not_decoded),
    ("http: request line without a valid version, rejected by vigil", h_request_line_rejected),
    ("http: vigil did not detect HTTP on the connection (first bytes not HTTP)", h_not_detected),
    ("http: request of ambiguous body length on the connection (smuggling shapes)",
     h_ambiguous_length),
    ("http: bytes lost on the connection (capture loss)", h_lost_bytes),
    ("http: response cut short by the end of the capture", h_response_cut),
    ("http: tshark found no status line in the server's bytes", h_status_line_not_found),
    ("http: status code not three digits", h_status_not_3_digits),
    ("http: header block ended by a SP/HT line or bare CR (libhtp and vigil end it there)",
     h_lws_terminator),
]
DNS_RULES = [
    ("dns: DNS on a port tshark does not dissect as DNS", d_vigil_only_port),
    ("dns: frames vigil's decoder rejects or link type it does not decode", d_not_decoded),
    ("dns: flow not detected as DNS by vigil (first datagram: no question, or not DNS)",
     d_not_detected),
    ("dns: malformed message, the parsers stop at different points", d_malformed),
    ("dns: more than 8 questions (vigil keeps 8)", d_question_limit),
]


def classify(rules, cx, v, t, field):
    for name, pred in rules:
        if pred(cx, v, t, field):
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

    def pair(self, rules, cx, v, t, where, fields, getter, label):
        """Compares one pair (either side may be None) field by field."""
        if v is None or t is None:
            cls = classify(rules, cx, v, t, None)
            line = "%s: only in %s: %s" % (where, "vigil" if t is None else "tshark", label(v or t))
            if cls:
                self.tx["excluded"] += 1
                self.excluded(cls, line)
            else:
                self.tx["compared"] += 1
                self.examples.append(line)
            return
        all_ok, any_cmp = True, False
        for f in fields:
            a, b = getter(v, f, False), getter(t, f, True)
            if a == b:
                self.cmp[f] += 1
                self.agree[f] += 1
                any_cmp = True
                continue
            cls = classify(rules, cx, v, t, f)
            line = "%s %s: vigil %r, tshark %r" % (where, f, a, b)
            if cls:
                self.excl[f] += 1
                self.excluded(cls, line)
            else:
                self.cmp[f] += 1
                self.dis[f] += 1
                self.examples.append(line)
                all_ok, any_cmp = False, True
        if any_cmp:
            self.tx["compared"] += 1
            self.tx["agree"] += all_ok
        else:
            self.tx["excluded"] += 1


def align(vs, ts, key):
    """Pairs two ordered lists of transactions: difflib's matching blocks on key, then equal keys
    left over in order, then what remains positionally inside each differing block."""
    sm = difflib.SequenceMatcher(None, [key(x) for x in vs], [key(x) for x in ts], autojunk=False)
    pairs = []
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            pairs += list(zip(vs[i1:i2], ts[j1:j2]))
            continue
        left, right = list(vs[i1:i2]), list(ts[j1:j2])
        for x in list(left):
            m = next((y for y in right if key(y) == key(x)), None)
            if m is not None:
                pairs.append((x, m))
                left.remove(x)
                right.remove(m)
        pairs += [(x, None) for x in left] + [(None, y) for y in right]
    return pairs


def compare_http(cx, rel, tal):
    for conn in sorted(set(cx.t.http) | set(cx.v.http), key=str):
        where = "%s %s:%s->%s:%s" % ((rel,) + conn)
        for v, t in align(cx.v.http.get(conn, []), cx.t.http.get(conn, []),
                          lambda x: (x.get("http_method"), x.get("url"))):
            tal.pair(HTTP_RULES, cx, v, t, where + ("" if t is None else " frame %d" % t["frame"]),
                     HTTP_FIELDS, http_field,
                     lambda x: "%s %s status %s" % (x.get("http_method"), x.get("url"),
                                                     x.get("status")))


def compare_dns(cx, rel, tal):
    for frame in sorted(set(cx.t.dns) | set(k for k in cx.v.dns if k)):
        ts, vs = cx.t.dns.get(frame, []), cx.v.dns.get(frame, [])
        for i in range(max(len(ts), len(vs))):
            tal.pair(DNS_RULES, cx, vs[i] if i < len(vs) else None,
                     ts[i] if i < len(ts) else None, "%s frame %s" % (rel, frame), DNS_FIELDS,
                     dns_field, lambda x: "id %s qr %s %s" % (x["id"], x["qr"], x["queries"][:2]))


class Capture:
    def __init__(self, pkts, evs):
        self.t = TsharkFacts(pkts)
        self.v = VigilFacts(evs)


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
        cx = Capture(pkts, evs)
        rel = os.path.relpath(path, root)
        compare_http(cx, rel, http_t)
        compare_dns(cx, rel, dns_t)

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
