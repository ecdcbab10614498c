#!/usr/bin/python3
"""live_compare.py LIVE_EVE REF_EVE... [--workers N] [--min-stats N]: the alerts of a live run
against `vigil analyze` of the same (rewritten) captures.

Checks, each a failure with a message:
  * every line of LIVE_EVE is whole JSON and, minus vigil's own keys, valid against Suricata's
    EVE schema (tests/tools/eve_schema.py);
  * the multiset of alerts (signature_id, src_ip, src_port, dest_ip, dest_port) equals the one of
    the reference files (one `vigil analyze` output per capture);
  * the last stats event of each worker is there (N workers), with stats.capture counters; the
    flows it ended equal the flow events written (nothing lost at stop);
  * at least --min-stats stats events in all;
  * with several workers, every worker saw packets (the fanout spread the flows).
Prints one line: alerts, packets, kernel packets and drops. Exit 0 when everything holds."""
import collections
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import eve_schema  # noqa: E402


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        raise SystemExit("%s: the last line is not whole" % path)
    return [json.loads(l) for l in data.split(b"\n") if l]


def alert_key(e):
    a = e["alert"]
    return (a["signature_id"], a.get("signature", ""), e.get("src_ip"), e.get("src_port"),
            e.get("dest_ip"), e.get("dest_port"))


def main():
    args = sys.argv[1:]
    workers, min_stats = 1, 0
    if "--workers" in args:
        i = args.index("--workers")
        workers = int(args[i + 1])
        del args[i:i + 2]
    if "--min-stats" in args:
        i = args.index("--min-stats")
        min_stats = int(args[i + 1])
        del args[i:i + 2]
    live_path, refs = args[0], args[1:]
    problems = []
    live = load(live_path)
    try:
        v = eve_schema.EveValidator()
        bad = eve_schema.validate_file(live_path, v)
        for n, et, errs in bad[:5]:
            problems.append("schema: line %d (%s): %s" % (n, et, "; ".join(errs)))
    except Exception as e:  # no schema or no jsonschema: said, not silently passed
        print("note: schema validation skipped: %s" % e)
    got = collections.Counter(alert_key(e) for e in live if e["event_type"] == "alert")
    want = collections.Counter()
    for r in refs:
        want.update(alert_key(e) for e in load(r) if e["event_type"] == "alert")
    if got != want:
        for k in sorted(set(got) | set(want), key=str):
            if got[k] != want[k]:
                problems.append("alert %s: live %d, analyze %d" % (k, got[k], want[k]))
    stats = [e for e in live if e["event_type"] == "stats"]
    last = {}
    for e in stats:
        last[e.get("vigil", {}).get("stats", {}).get("capture", {}).get("worker", -1)] = e
    if sorted(last) != list(range(workers)):
        problems.append("final stats events of workers %s, expected 0..%d" % (sorted(last), workers - 1))
    if len(stats) < min_stats:
        problems.append("%d stats events, expected at least %d" % (len(stats), min_stats))
    flows_total = sum(e["stats"]["flow"]["total"] for e in last.values())
    flows_written = sum(1 for e in live if e["event_type"] == "flow")
    if flows_total != flows_written:
        problems.append("flows created %d but flow events %d" % (flows_total, flows_written))
    if workers > 1:
        idle = [w for w, e in sorted(last.items()) if e["stats"]["decoder"]["pkts"] == 0]
        if idle:
            problems.append("workers %s saw no packet: the fanout did not spread flows" % idle)
    kp = sum(e["stats"]["capture"]["kernel_packets"] for e in last.values())
    kd = sum(e["stats"]["capture"]["kernel_drops"] for e in last.values())
    pk = sum(e["stats"]["decoder"]["pkts"] for e in last.values())
    print("alerts %d (analyze %d), packets %d, kernel_packets %d, kernel_drops %d" %
          (sum(got.values()), sum(want.values()), pk, kp, kd))
    if kd:
        problems.append("the kernel dropped %d packets: the comparison does not hold" % kd)
    for p in problems[:20]:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
