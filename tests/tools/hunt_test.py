#!/usr/bin/python3
"""hunt_test.py - end-to-end test of `vigil hunt` (retro-hunting past EVE logs).

    /usr/bin/python3 tests/tools/hunt_test.py          (VIGIL_BIN, default build/vigil)

Makes an EVE file with `vigil analyze` from two corpus captures (chrissanders-packets dns.pcap:
DNS answers with CNAMEs and A records; http_google.pcapng: one HTTP request to www.google.com),
then hunts it with indicators known to be in it and checks every match against the EVE events
themselves (timestamp, flow_id, event_type, where it matched, the value). Also: a look-alike
suffix that must not match, gzip input (by magic), stdin, --format table, and the exit codes for
a missing EVE file, a missing --ioc and a malformed indicator line (reported as file:line, the rest
loads). Without the corpus ($VIGIL_CORPUS, default ../shared/corpus) the captures of
tests/pcap/beacon-ioc stand in. Prints "hunt: N passed, N failed".
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
VIGIL = os.path.abspath(os.environ.get("VIGIL_BIN", os.path.join(REPO, "build", "vigil")))
CORPUS = os.environ.get("VIGIL_CORPUS", os.path.join(REPO, "..", "shared", "corpus"))

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL hunt: %s" % what)


def run(args, stdin=None):
    p = subprocess.run([VIGIL] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(os.environ, TZ="UTC", LC_ALL="C"), timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    tmp = tempfile.mkdtemp(prefix="vigil-hunt-")
    try:
        dns = os.path.join(CORPUS, "chrissanders-packets", "dns.pcap")
        http = os.path.join(CORPUS, "chrissanders-packets", "http_google.pcapng")
        if os.path.exists(dns) and os.path.exists(http):
            captures = [dns, http]
            iocs = ["# indicators known to be in the two captures",
                    "google.com",                 # http.hostname www.google.com
                    "74.125.95.0/24",             # dest_ip of the HTTP flow
                    "http://www.google.com/",     # http.url
                    "espn.com",                   # dns.rrname www.espn.com ...
                    "68.71.212.158",              # dns.rdata (an A record)
                    "oogle.com",                  # a look-alike suffix: must match nothing
                    "this line is malformed"]
            expect = {"http.hostname": ("google.com", "www.google.com"),
                      "dest_ip": ("74.125.95.0/24", "74.125.95.104"),
                      "http.url": ("www.google.com/", "/"),
                      "dns.rrname": ("espn.com", None),
                      "dns.rdata": ("68.71.212.158", "68.71.212.158")}
        else:
            print("hunt: corpus not found at %s: using tests/pcap/beacon-ioc" % CORPUS)
            captures = [os.path.join(REPO, "tests", "pcap", "beacon-ioc", "input.pcap")]
            iocs = ["evil-c2.example", "203.0.113.0/24", "http://login.evil-c2.example/gate.php",
                    "bad-cdn.example", "c2.example", "this line is malformed"]
            expect = {"http.hostname": ("evil-c2.example", "login.evil-c2.example"),
                      "dest_ip": ("203.0.113.0/24", "203.0.113.66"),
                      "http.url": ("login.evil-c2.example/gate.php", "/gate.php?id=42"),
                      "dns.rrname": ("evil-c2.example", None),
                      "dns.rdata": ("bad-cdn.example", "edge.bad-cdn.example")}
        out = os.path.join(tmp, "out")
        rc, _, err = run(["analyze", "-q", "--no-beacons", "-o", out] + captures)
        check(rc == 0, "analyze exits 0 (%d: %s)" % (rc, err[-200:]))
        eve = os.path.join(out, "eve.json")
        events = [json.loads(line) for line in open(eve)]
        ioc_path = os.path.join(tmp, "iocs.txt")
        with open(ioc_path, "w") as f:
            f.write("\n".join(iocs) + "\n")

        rc, stdout, err = run(["hunt", "--ioc", ioc_path, eve])
        check(rc == 0, "hunt exits 0 (%d)" % rc)
        check("%s:%d:" % (ioc_path, len(iocs)) in err, "the malformed line is reported as file:line")
        matches = [json.loads(line) for line in stdout.splitlines()]
        check(len(matches) > 0, "matches found")
        by_where = {}
        for m in matches:
            by_where.setdefault(m["matched_on"], []).append(m)
        for where, (indicator, value) in expect.items():
            ms = [m for m in by_where.get(where, []) if m["indicator"] == indicator]
            check(ms, "a match on %s for %s" % (where, indicator))
            if value is not None:
                check(any(m["value"] == value for m in ms), "%s matched value %s" % (where, value))
        check(not any(m["indicator"] == "oogle.com" for m in matches),
              "a look-alike suffix matches nothing")
        # every match points at a real event: its line, timestamp, flow_id and event_type
        lines = open(eve).read().splitlines()
        ok = True
        for m in matches:
            ev = json.loads(lines[m["line"] - 1])
            if (ev.get("timestamp") != m.get("timestamp") or ev.get("flow_id") != m.get("flow_id")
                    or ev.get("event_type") != m.get("event_type") or m["file"] != eve
                    or ev.get("event_type") not in ("flow", "dns", "http", "tls", "alert")):
                ok = False
                print("  mismatch: %s vs %s" % (m, lines[m["line"] - 1][:200]))
        check(ok, "every match names its event's line, timestamp, flow_id and type")
        # the expected number: count the events' values independently
        check(len(by_where.get("dest_ip", [])) == sum(
            1 for e in events if e.get("event_type") in ("flow", "dns", "http", "tls", "alert") and
            e.get("dest_ip", "").startswith(expect["dest_ip"][1].rsplit(".", 1)[0] + ".")),
              "one dest_ip match per event with that destination")

        # gzip, told apart by its magic (the name says nothing)
        gz = os.path.join(tmp, "eve-compressed.log")
        with open(eve, "rb") as fi, gzip.open(gz, "wb") as fo:
            shutil.copyfileobj(fi, fo)
        rc, stdout_gz, _ = run(["hunt", "-q", "--ioc", ioc_path, gz])
        strip = lambda text: [{k: v for k, v in json.loads(l).items() if k != "file"}  # noqa: E731
                              for l in text.splitlines()]
        check(rc == 0 and strip(stdout_gz) == strip(stdout), "gzip input gives the same matches")
        # stdin
        rc, stdout_in, _ = run(["hunt", "-q", "--ioc", ioc_path, "-"], stdin=open(eve, "rb").read())
        check(rc == 0 and strip(stdout_in) == strip(stdout), "stdin gives the same matches")
        # table
        rc, table, _ = run(["hunt", "-q", "--format", "table", "--ioc", ioc_path, eve])
        rows = table.splitlines()
        check(rc == 0 and rows and rows[0].startswith("timestamp") and len(rows) == len(matches) + 1,
              "--format table: a header and one row per match")
        # errors
        rc, _, err = run(["hunt", "--ioc", ioc_path, os.path.join(tmp, "missing.json")])
        check(rc == 3 and "missing.json" in err, "a missing EVE file: exit 3 (%d)" % rc)
        rc, _, _ = run(["hunt", eve])
        check(rc == 2, "no --ioc: exit 2 (%d)" % rc)
        rc, _, _ = run(["hunt", "--ioc", os.path.join(tmp, "nope.txt"), eve])
        check(rc == 2, "an unreadable --ioc file: exit 2 (%d)" % rc)
        rc, _, _ = run(["hunt", "--format", "xml", "--ioc", ioc_path, eve])
        check(rc == 2, "a bad --format: exit 2 (%d)" % rc)
        # malformed and over-long lines are skipped, not fatal
        junk = os.path.join(tmp, "junk.json")
        with open(junk, "w") as f:
            f.write('not json\n{"event_type":"flow","dest_ip":"%s"\n' % expect["dest_ip"][1])
            f.write('{"timestamp":"t","event_type":"flow","dest_ip":"%s"}\n' % expect["dest_ip"][1])
        rc, stdout_j, err = run(["hunt", "--ioc", ioc_path, junk])
        check(rc == 0 and len(stdout_j.splitlines()) == 1 and "2 malformed" in err,
              "malformed lines are counted and skipped (%d, %r)" % (rc, err[-120:]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("hunt: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
