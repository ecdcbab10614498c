#!/usr/bin/python3
"""tls_vs_tshark.py - field agreement of vigil's EVE `tls` events with tshark: SNI, version and
the server certificate's subject, on every corpus capture that carries a TLS hello.

    /usr/bin/python3 tests/tools/tls_vs_tshark.py [-v] [-j N] [CAPTURE...]

Captures (default: from the corpus, $VIGIL_CORPUS, default ../shared/corpus): every row of
files.tsv with a capture type whose bytes (gunzipped for .gz) hold a TLS handshake record carrying
a ClientHello or ServerHello (16 03 0x LL LL 01|02). That is a pre-filter only; a capture
counts when tshark shows a hello in it.

Per capture:
    tshark -n -o tcp.reassemble_out_of_order:TRUE -r F -Y "tls.handshake.type == 1 or ... == 2 or ... == 11"
           -T json -J "frame ip ipv6 tcp tls"                (plus -d tcp.port==P,tls, below)
    $VIGIL_BIN analyze -o TMP F                           (default build/vigil)
A "connection" is client ip:port -> server ip:port of the innermost headers (the client is the
sender of the first ClientHello; without one, the receiver of the ServerHello). Where vigil logs
TLS on a port tshark does not dissect as TLS (STARTTLS, TLS on port 80, 8080 ...), tshark runs a
second time with "-d tcp.port==PORT,tls" for those ports. From tshark, per connection:
  sni      the server_name of the first ClientHello (tls.handshake.extensions_server_name);
  version  what Suricata (and vigil) report as tls.version: the first ServerHello's selected
           version (supported_versions extension, TLS 1.3) else its legacy version (0x0304 and
           0x7f01-0x7f0f as legacy version: "draft-<16"); without a ServerHello, the first
           known supported_version of the ClientHello, else its legacy version; rendered with
           Suricata's names (SSLv3, TLSv1, TLS 1.1, TLS 1.2, TLS 1.3, TLS 1.3 draft-NN);
  subject  the first certificate of the first Certificate message the server sent, rebuilt from
           tshark's RDN items (x509af.subject -> x509if.RDNSequence_item ->
           RelativeDistinguishedName_item_element: x509if.oid and the value): RDNs in
           certificate order joined by ", ", the attributes of one multi-valued RDN by " + ",
           each "KEY=value" with x509-parser's keys (C, ST, L, O, OU, CN, DC, Email; Suricata's
           rendering) and the OID otherwise.
From vigil: the first `tls` event of the connection (tls.sni, tls.version, tls.subject).

A field is compared when at least one side has a value. Differences whose cause is understood are
classified by the rules in RULES (predicates on the traffic, each with its reason, never a file
name) and printed with their counts; the rest are disagreements. A field passes when at least 99 %
of the connections compared on it agree (excluded ones do not count), and so must the share of
connections that agree on every field. Prints a table and "tls-vs-tshark: N passed, N failed";
exit 1 on a failure, 2 when tshark, vigil or the corpus is missing.
"""
import argparse
import concurrent.futures
import gzip
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from app_vs_tshark import (Obj, children, corpus_root, get1, get_all, load_json,  # noqa: E402
                           norm_ip, run_vigil, unescape_tshark, vigil_bin)

CAPTURE_TYPES = ("pcap", "pcapng", "nsecpcap")
HELLO_RE = re.compile(rb"\x16\x03[\x00-\x04]..[\x01\x02]", re.S)
FIELDS = ("sni", "version", "subject")
THRESHOLD = 0.99
VERBOSE = 0
TSHARK_OPTS = ["-o", "tcp.reassemble_out_of_order:TRUE"]

# x509-parser's abbreviations (what Suricata writes); other attribute types are written with a
# name from oid-registry's database, which the comparison does not model: see the rule
# "attribute type without an abbreviation".
ABBREV = {"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
          "2.5.4.11": "OU", "0.9.2342.19200300.100.1.25": "DC", "1.2.840.113549.1.9.1": "Email"}

VERSION_NAMES = {0x0002: "SSLv2", 0x0300: "SSLv3", 0x0301: "TLSv1", 0x0302: "TLS 1.1",
                 0x0303: "TLS 1.2", 0x0304: "TLS 1.3", 0x7f00: "TLS 1.3 draft-<16"}


def version_name(v):
    if v in VERSION_NAMES:
        return VERSION_NAMES[v]
    if 0x7f10 <= v <= 0x7f1c:
        return "TLS 1.3 draft-%d" % (v & 0xff)
    return "0x%04x" % v


def version_known(v):
    return v in VERSION_NAMES or 0x7f10 <= v <= 0x7f1c or v in (0xfb14, 0xfb15, 0xfb16, 0xfb17,
                                                                 0xfb1a)


def legacy(v):
    return 0x7f00 if (0x7f01 <= v < 0x7f10 or v == 0x0304) else v


def hexint(s):
    try:
        return int(s, 16) if str(s).startswith("0x") else int(s)
    except (TypeError, ValueError):
        return None


# ---- tshark side ----------------------------------------------------------------------------------

def run_tshark(path, extra=()):
    cmd = ["tshark", "-n"] + TSHARK_OPTS + list(extra) + [
        "-r", path, "-Y", "tls.handshake.type == 1 or tls.handshake.type == 2 or tls.handshake.type == 11", "-T", "json", "-J",
        "frame ip ipv6 tcp tls"]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    except subprocess.TimeoutExpired:
        return None, "tshark timed out"
    text = p.stdout.decode("utf-8", errors="surrogateescape").strip()
    if p.returncode != 0 and not text:
        err = p.stderr.decode(errors="replace").strip().splitlines()
        return None, err[-1] if err else "exit %d" % p.returncode
    try:
        return (load_json(text) if text else []), None
    except ValueError as e:
        return None, "tshark JSON: %s" % e


def endpoints(layers):
    src = dst = None
    for k, v in layers:
        if k == "ip":
            src, dst = get1(v, "ip.src"), get1(v, "ip.dst")
        elif k == "ipv6":
            src, dst = get1(v, "ipv6.src"), get1(v, "ipv6.dst")
    tcp = children(layers, "tcp")
    if not tcp:
        return None
    t = tcp[-1]
    return (norm_ip(src), int(get1(t, "tcp.srcport", 0)), norm_ip(dst), int(get1(t, "tcp.dstport", 0)))


def handshakes(node):
    """Every handshake message object under node (tshark: a `tls.handshake` key per message)."""
    out = []
    if isinstance(node, Obj):
        for k, v in node:
            if k == "tls.handshake" and isinstance(v, Obj) and get1(v, "tls.handshake.type"):
                out.append(v)
            else:
                out.extend(handshakes(v))
    elif isinstance(node, list):
        for v in node:
            out.extend(handshakes(v))
    return out


def rdn_value(elem):
    """The value of one RelativeDistinguishedName_item_element: the last string leaf that is not
    the OID and not a CHOICE index (a key with a *_tree sibling)."""
    val = None

    def walk(o):
        nonlocal val
        if isinstance(o, Obj):
            keys = {k for k, _ in o}
            for k, v in o:
                if isinstance(v, str):
                    if k != "x509if.oid" and k + "_tree" not in keys:
                        val = v
                else:
                    walk(v)
        elif isinstance(o, list):
            for x in o:
                walk(x)
    walk(elem)
    return unescape_tshark(val) if val is not None else ""


def subject_of(cert):
    """(text, oids) of the first certificate's subject, or (None, ()) when tshark shows none."""
    subj = get1(cert, "x509af.subject_tree")
    if subj is None:
        return None, ()
    rdns = []
    oids = []
    seq = get1(subj, "x509af.rdnSequence_tree")
    for item in children(seq, "x509if.RDNSequence_item_tree") if seq is not None else []:
        attrs = []
        for el in children(item, "x509if.RelativeDistinguishedName_item_element"):
            oid = get1(el, "x509if.oid") or get1(el, "x509if.id") or "?"
            oids.append(oid)
            attrs.append("%s=%s" % (ABBREV.get(oid, "OID(%s)" % oid), rdn_value(el)))
        rdns.append(" + ".join(attrs))
    return ", ".join(rdns), tuple(oids)


class Conn:
    def __init__(self):
        self.sni = None
        self.ch = None          # (legacy version, [supported versions]) of the first ClientHello
        self.sh = None          # (legacy version, selected version or None) of the first SH
        self.subject = None
        self.subject_oids = ()
        self.frames = []
        self.n_ch = self.n_sh = 0


class TsharkFacts:
    def __init__(self, pkts):
        self.conns = {}         # (cli, cport, srv, sport) -> Conn
        self.role = {}          # frozenset of the two endpoints -> (cli, cport, srv, sport)
        pending_certs = []
        for pk in pkts:
            layers = get1(pk, "layers")
            ep = endpoints(layers)
            if ep is None:
                continue  # DTLS, QUIC
            frame = int(get1(get1(layers, "frame"), "frame.number"))
            for hs in handshakes(children(layers, "tls")):
                t = hexint(get1(hs, "tls.handshake.type"))
                if t == 1:
                    c = self.conn(ep, client=True)
                    c.n_ch += 1
                    if c.ch is None:
                        sv = [hexint(x) for x in get_all(hs, "tls.handshake.extensions.supported_version")]
                        c.ch = (hexint(get1(hs, "tls.handshake.version")), [x for x in sv if x is not None])
                        c.sni = unescape_tshark(get1(hs, "tls.handshake.extensions_server_name"))
                        c.frames.append(frame)
                elif t == 2:
                    c = self.conn(ep, client=False)
                    c.n_sh += 1
                    if c.sh is None:
                        sel = get1(hs, "tls.handshake.extensions.supported_version")
                        c.sh = (hexint(get1(hs, "tls.handshake.version")),
                                hexint(sel) if sel is not None else None)
                        c.frames.append(frame)
                elif t == 11:
                    pending_certs.append((ep, frame, hs))
        for ep, frame, hs in pending_certs:
            key = self.role.get(frozenset([(ep[0], ep[1]), (ep[2], ep[3])]))
            if key is None or (ep[0], ep[1]) != (key[2], key[3]):
                continue  # a client certificate, or no hello seen on the connection
            c = self.conns[key]
            if c.subject is None:
                certs = get1(hs, "tls.handshake.certificates")
                cert = get1(certs, "tls.handshake.certificate_tree") if certs is not None else None
                if cert is not None:
                    c.subject, c.subject_oids = subject_of(cert)
                    c.frames.append(frame)

    def conn(self, ep, client):
        uk = frozenset([(ep[0], ep[1]), (ep[2], ep[3])])
        key = self.role.get(uk)
        if key is None:
            key = ep if client else (ep[2], ep[3], ep[0], ep[1])
            self.role[uk] = key
            self.conns[key] = Conn()
        return self.conns[key]


def t_version(c):
    if c.sh is not None:
        leg, sel = c.sh
        if sel is not None:
            return version_name(sel)
        return version_name(legacy(leg)) if leg is not None else None
    if c.ch is not None:
        leg, sv = c.ch
        for v in sv:
            if version_known(v):
                return version_name(v)
        return version_name(legacy(leg)) if leg is not None else None
    return None


# ---- vigil side -----------------------------------------------------------------------------------

class VigilFacts:
    def __init__(self, evs):
        self.conns = {}
        self.app_proto = {}
        self.port_of = set()
        for e in evs:
            et = e.get("event_type")
            if (e.get("proto") or "").upper() != "TCP":
                continue
            key = (norm_ip(e.get("src_ip")), e.get("src_port"), norm_ip(e.get("dest_ip")),
                   e.get("dest_port"))
            if et == "tls" and key not in self.conns:
                self.conns[key] = e.get("tls", {})
            elif et == "flow":
                self.app_proto[frozenset([key[:2], key[2:]])] = e.get("app_proto")


# ---- rules: understood differences ----------------------------------------------------------------

def r_ssl2(cx, k, v, t, field):
    # SSLv2-compatible ClientHello (the record header has its top bit set): vigil parses it and
    # reports its version; tshark 4.0 shows the SSLv2 hello without a tls.handshake.type of 1,
    # so the connection has no ClientHello on tshark's side.
    return v is not None and field == "version" and t is not None and t.ch is None and t.sh is None


def r_no_tls_event(cx, k, v, t, field):
    # Connections tshark shows a hello on but vigil logged no `tls` event for, because vigil's flow
    # was not detected as TLS (its app_proto is something else or none). Met on the corpus: a
    # plaintext protocol that upgrades with STARTTLS (IMAP 143, SMTP 25, POP3 110, XMPP 5222 and
    # 5269) and HTTP CONNECT tunnels (8080): vigil's app layer keeps the protocol it detected
    # first and does not follow the upgrade (Suricata does; a known gap of vigil); TLS inside a
    # GTP-U tunnel, which vigil's decoder does not open; an HTTPS client talking to a plain HTTP
    # server. The app_proto of vigil's flow is checked, so a flow vigil did detect as TLS but
    # logged no event for still counts as a disagreement.
    return v is None and t is not None and cx.v.app_proto.get(
        frozenset([k[:2], k[2:]])) != "tls"


def r_uncommon_attr(cx, k, v, t, field):
    # Subject attribute types without x509-parser abbreviation: Suricata (and vigil) write
    # oid-registry's short name (serialNumber, businessCategory, jurisdiction...), the rebuilt
    # tshark string writes OID(x). Equal when the values match attribute by attribute.
    if field != "subject" or v is None or t is None or not t.subject:
        return False
    if all(o in ABBREV for o in t.subject_oids):
        return False
    vs = v.get("subject") or ""
    pat = re.escape(t.subject)
    for o in set(t.subject_oids) - set(ABBREV):
        pat = pat.replace(re.escape("OID(%s)" % o), r"[A-Za-z0-9().]+")
    return re.fullmatch(pat, vs) is not None


def r_tshark_no_sh_vigil_sh(cx, k, v, t, field):
    # The ServerHello sits in a record tshark does not reassemble (the record's end was not
    # captured, or lost segments before it): tshark has no ServerHello, vigil parsed the message
    # as soon as it was complete and reports the negotiated version. Shown by vigil's
    # vigil.tls.server_hellos > 0 while tshark's connection has none.
    return (field in ("version", "subject") and v is not None and t is not None and t.sh is None
            and cx.v_raw(k).get("server_hellos", 0) > 0)


def r_tshark_malformed_value(cx, k, v, t, field):
    # tshark decodes an attribute value with the syntax of its OID, and an attribute type that is
    # not a naming attribute (a certificate generator put a subjectAltName, OID 2.5.29.17, into the
    # subject as a string) fails that decoding: tshark shows "Malformed Packet" where x509-parser
    # and vigil write the string. Equal when every other attribute matches.
    if field != "subject" or v is None or t is None or not t.subject:
        return False
    if "=Malformed Packet" not in t.subject:
        return False
    pat = re.escape(t.subject).replace(re.escape("=Malformed Packet"), "=.*")
    return re.fullmatch(pat, v.get("subject") or "") is not None


RULES = [
    ("SSLv2 hello: tshark shows no TLS handshake", r_ssl2),
    ("vigil did not detect TLS on the connection (STARTTLS, HTTP CONNECT, GTP tunnel)",
     r_no_tls_event),
    ("subject attribute type without x509-parser abbreviation (name vs OID)", r_uncommon_attr),
    ("ServerHello in a record tshark did not reassemble (vigil parses complete messages)",
     r_tshark_no_sh_vigil_sh),
    ("subject attribute tshark decodes by its OID's syntax and shows as Malformed Packet",
     r_tshark_malformed_value),
]


class Cx:
    def __init__(self, t, v, evs):
        self.t, self.v = t, v
        self.vigil_tls = {}
        for e in evs:
            if e.get("event_type") == "tls":
                key = (norm_ip(e.get("src_ip")), e.get("src_port"), norm_ip(e.get("dest_ip")),
                       e.get("dest_port"))
                self.vigil_tls.setdefault(key, e.get("vigil", {}).get("tls", {}))

    def v_raw(self, k):
        return self.vigil_tls.get(k, {})


def classify(cx, k, v, t, field):
    for name, pred in RULES:
        if pred(cx, k, v, t, field):
            return name
    return None


# ---- comparison -----------------------------------------------------------------------------------

class Tally:
    def __init__(self):
        self.cmp, self.agree, self.excl, self.dis = Counter(), Counter(), Counter(), Counter()
        self.tx = Counter()
        self.classes = Counter()
        self.class_examples = defaultdict(list)
        self.examples = []

    def excluded(self, cls, line):
        self.classes[cls] += 1
        if len(self.class_examples[cls]) < 3 or VERBOSE > 1:
            self.class_examples[cls].append(line)


def t_field(t, f):
    if t is None:
        return None
    if f == "sni":
        return t.sni or None
    if f == "version":
        return t_version(t)
    return t.subject or None


def v_field(v, f):
    if v is None:
        return None
    x = v.get(f)
    return x if x not in ("", None) else None


def compare(cx, rel, tal):
    for k in sorted(set(cx.t.conns) | set(cx.v.conns), key=str):
        t, v = cx.t.conns.get(k), cx.v.conns.get(k)
        where = "%s %s:%s->%s:%s" % ((rel,) + k)
        if t is None:
            # a tls event without any hello on tshark's side: tshark saw no hello (e.g. an SSLv2
            # hello, or a port it still does not dissect as TLS after -d): nothing to compare
            # unless vigil has an SNI or subject
            if not (v_field(v, "sni") or v_field(v, "subject")):
                continue
        any_cmp, all_ok = False, True
        for f in FIELDS:
            a, b = v_field(v, f), t_field(t, f)
            if a is None and b is None:
                continue
            if a == b:
                tal.cmp[f] += 1
                tal.agree[f] += 1
                any_cmp = True
                continue
            line = "%s%s %s: vigil %r, tshark %r" % (
                where, " frames %s" % t.frames[:3] if t else "", f, a, b)
            cls = classify(cx, k, v, t, f)
            if cls:
                tal.excl[f] += 1
                tal.excluded(cls, line)
            else:
                tal.cmp[f] += 1
                tal.dis[f] += 1
                tal.examples.append(line)
                any_cmp, all_ok = True, False
        if any_cmp:
            tal.tx["compared"] += 1
            tal.tx["agree"] += all_ok
        else:
            tal.tx["excluded"] += 1


# ---- selection and main ---------------------------------------------------------------------------

def candidates(root):
    out = []
    with open(os.path.join(root, "files.tsv")) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            r = dict(zip(head, line.rstrip("\n").split("\t")))
            if r.get("ftype", "").split(" ")[0] not in CAPTURE_TYPES:
                continue
            p = os.path.join(root, r["path"])
            if not os.path.isfile(p):
                continue
            try:
                data = gzip.open(p).read() if p.endswith(".gz") else open(p, "rb").read()
            except (OSError, EOFError):
                continue
            if HELLO_RE.search(data):
                out.append(p)
    return sorted(out)


def work(path, tmpdir):
    src = path
    if path.endswith(".gz"):  # vigil's capture module reads no gzip
        src = os.path.join(tmpdir, "%x_%s" % (abs(hash(path)), os.path.basename(path)[:-3]))
        with gzip.open(path, "rb") as fi, open(src, "wb") as fo:
            shutil.copyfileobj(fi, fo)
    pkts, err = run_tshark(src)
    if err is not None:
        return path, None, None, err
    with tempfile.TemporaryDirectory(prefix="vigil-tlsts-", dir=tmpdir) as tmp:
        rc, evs = run_vigil(src, tmp)
    t = TsharkFacts(pkts)
    v = VigilFacts(evs)
    # vigil finds TLS by content, tshark by port: decode vigil's other ports as TLS too
    ports = set()
    for k in set(v.conns) - set(t.conns):
        ports.add(k[3])
    if ports:
        extra = []
        for p in sorted(ports):
            extra += ["-d", "tcp.port==%d,tls" % p]
        pk2, err2 = run_tshark(src, extra)
        if err2 is None:
            t2 = TsharkFacts(pk2)
            for k in set(v.conns) - set(t.conns):
                if k in t2.conns:
                    t.conns[k] = t2.conns[k]
    return path, (t, v, evs), rc, None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("captures", nargs="*")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-v", "--verbose", action="count", default=0,
                    help="print every disagreement and 3 examples per rule (-vv: all)")
    args = ap.parse_args(argv)
    global VERBOSE
    VERBOSE = args.verbose
    if not shutil.which("tshark"):
        print("tls_vs_tshark: tshark not found", file=sys.stderr)
        return 2
    if not os.access(vigil_bin(), os.X_OK):
        print("tls_vs_tshark: no vigil binary at %s (make build)" % vigil_bin(), file=sys.stderr)
        return 2
    root = corpus_root()
    if args.captures:
        cands = [os.path.abspath(c) for c in args.captures]
    else:
        if not os.path.exists(os.path.join(root, "files.tsv")):
            print("tls_vs_tshark: no corpus at %s" % root, file=sys.stderr)
            return 2
        cands = candidates(root)
    tmpdir = tempfile.mkdtemp(prefix="tls_vs_tshark.")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.j)) as ex:
            results = list(ex.map(lambda p: work(p, tmpdir), cands))
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    tal = Tally()
    with_tls = unreadable = 0
    crashed = []
    for path, r, rc, err in results:
        rel = os.path.relpath(path, root)
        if r is None:
            unreadable += 1
            if args.verbose:
                print("  unreadable by tshark: %s: %s" % (rel, err))
            continue
        t, v, evs = r
        if rc is not None and rc < 0:
            crashed.append((rel, rc))
        if not t.conns and not v.conns:
            continue
        with_tls += 1
        compare(Cx(t, v, evs), rel, tal)
    print("tls-vs-tshark: %d candidate captures, %d with TLS hellos compared, %d unreadable by "
          "tshark" % (len(cands), with_tls, unreadable))
    print("%-18s %9s %9s %9s %9s %8s" % ("field", "compared", "agree", "excluded", "disagree",
                                        "agree%"))
    passed = failed = 0
    for f in FIELDS:
        c, a = tal.cmp[f], tal.agree[f]
        pct = 100.0 * a / c if c else 100.0
        ok = c == 0 or a >= THRESHOLD * c
        print("%-18s %9d %9d %9d %9d %7.2f%% %s" % ("tls." + f, c, a, tal.excl[f], tal.dis[f], pct,
                                                   "ok" if ok else "FAIL"))
        passed += ok
        failed += not ok
    c, a = tal.tx["compared"], tal.tx["agree"]
    pct = 100.0 * a / c if c else 100.0
    ok = c == 0 or a >= THRESHOLD * c
    print("%-18s %9d %9d %9d %9d %7.2f%% %s" % ("tls.connections", c, a, tal.tx["excluded"], c - a,
                                               pct, "ok" if ok else "FAIL"))
    passed += ok
    failed += not ok
    print("excluded by rule (field values):")
    for cls, n in sorted(tal.classes.items()):
        print("  %6d  %s" % (n, cls))
        if args.verbose:
            for line in tal.class_examples[cls]:
                print("            e.g. " + line)
    if with_tls == 0:
        print("FAIL: no capture with TLS hellos was compared")
        failed += 1
    for rel, rc in crashed:
        print("FAIL vigil: %s: killed by signal %d" % (rel, -rc))
        failed += 1
    if tal.examples:
        print("disagreements (%d%s):" % (len(tal.examples), "" if args.verbose else ", first 40"))
        for line in tal.examples if args.verbose else tal.examples[:40]:
            print("  " + line)
    print("tls-vs-tshark: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
