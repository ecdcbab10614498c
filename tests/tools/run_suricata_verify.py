#!/usr/bin/python3
"""run_suricata_verify.py - runs the alert checks of the suricata-verify cases in the corpus.

    /usr/bin/python3 tests/tools/run_suricata_verify.py [-k PATTERN] [--skip PATTERN] [-j N] [--json FILE]
                     [--min-pass-rate R] [--select-only] [--list-excluded] [-v] [--keep]
    /usr/bin/python3 tests/tools/run_suricata_verify.py --selftest

Corpus: $VIGIL_CORPUS (default ../shared/corpus from the repo root), cases are the folders holding a
test.yaml under suricata-verify/tests/. Binary: $VIGIL_BIN (default build/vigil).

SELECTION (mechanical; the first rule that fails gives the exclusion reason; full text in
docs/testing.md):
 (a) alert checks. A check is an *alert check* when it is a `filter` on eve.json (no `filename`, or
     eve.json) whose `match` has `event_type: alert`, or has no event_type and a key (or has-key /
     not-has-key value) under `alert.`. It is *usable* when every match key, without a trailing
     operator (__len, __gt, __gte, __lt, __lte, __startswith, __endswith, __find, __contains), is in
     HONOURED below, and its own `requires` (or min-version/lt-version/version/feature keys) holds
     for "current Suricata": min-version and gt-version always hold; lt-version, version and
     features never do (those checks describe older releases or optional builds). A case needs at
     least one usable alert check. Unusable alert checks and all checks on other event types
     (dns, http, flow, fileinfo, stats, shell, file-compare...) are NOT evaluated; the count of
     skipped alert checks is kept in the --json output.
 (b) requirements and configuration. Excluded: requires lt-version / version (older Suricata),
     features, script, env, files, lambda, a foreign os/arch; `skip`, `setup`, `command`
     (custom command line), a non-zero `exit-code` (expects an engine failure), a top-level `env`;
     IPS mode (--simulate-ips, or "ips" in the case name, which suricata-verify's run.py turns into
     --simulate-ips); args other than the IGNORED ones below; a suricata.yaml in the case folder
     that sets anything other than cosmetic keys (COSMETIC_YAML_KEYS) or does not log alerts to
     eve.json. min-version / gt-version are ignored (we aim at current Suricata behaviour).
     Ignored args: -k none (vigil never drops a packet for a bad checksum), --set
     stream.midstream=true (vigil picks up mid-stream flows by default), --set
     app-layer.protocols.http.libhtp.default-config.response-body-decompress-layer-limit=N (a libhtp
     tuning knob; vigil's own HTTP limits apply), --set logging.* / stats.*, --runmode=single,
     -v..., --no-random, --init-errors-fatal.
 (c) rules. The rule file is `rules:` from test.yaml when given, else the only *.rules file of the
     folder (as run.py does; firewall.rules/td.rules pairs and several files are excluded), and
     `vigil rules check --strict` must accept EVERY rule in it ("rules not accepted: <first reason>").
 (d) the pcap (`pcap:` relative to the folder, else the only *.pcap/*.pcapng of the folder) exists.

RUN: `vigil analyze -q --no-progress -o TMP --rules RULES PCAP` (timeout 30 s, TZ=UTC). vigil's own
tamper findings (alert events carrying a `tamper` object) are removed before evaluation, as
suricata-verify runs Suricata with only the test's rules (-S); --keep-tamper counts them.
Each usable alert check counts the events matching ALL match keys with suricata-verify's
semantics (dotted paths, name[i] indexes, __len, __startswith/__endswith/__find/__contains,
__gt/__gte/__lt/__lte suffixes; equality is Python ==, so 1 == true as in run.py; a missing key
never matches; has-key/not-has-key). Extensions: a match value that is a dict of operators
({lt: 3}, {gt: 0}, {lte:, gte:, eq:, ne:}) and a `count` given the same way. A case passes when
every usable alert check holds; a timeout, a crash (exit code >= 128, death by signal, a
sanitizer report on stderr) or another non-zero exit fails it with that reason.

Output: a selection summary, one line per failing case, and last
    suricata-verify: N passed, N failed
Exit 1 when passed/selected < --min-pass-rate (default 0) or on setup errors, else 0.
"""
import argparse
import collections
import concurrent.futures
import fnmatch
import glob
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SV_REL = os.path.join("suricata-verify", "tests")
TIMEOUT = 30

# Match keys vigil can honour in an alert event. sid + count is the goal; the others are plain
# fields of a Suricata alert that the engine knows without app-layer logging.
HONOURED = {
    "event_type", "pcap_cnt", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "direction",
    "alert.signature_id", "alert.gid", "alert.rev", "alert.action", "alert.signature",
    "alert.category", "alert.severity",
}
SUFFIXES = ("__len", "__gt", "__gte", "__lt", "__lte", "__startswith", "__endswith", "__find",
            "__contains")
OPS = {"lt": "lt", "gt": "gt", "lte": "lte", "le": "lte", "gte": "gte", "ge": "gte", "eq": "eq",
       "ne": "ne"}

# suricata.yaml top-level keys that do not change what alerts are raised.
COSMETIC_YAML_KEYS = {"outputs", "logging", "stats", "engine-analysis", "profiling", "run-as",
                      "default-log-dir", "unix-command", "coredump", "classification-file",
                      "reference-config-file", "include"}
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "MemorySanitizer", "ThreadSanitizer", "runtime error:")
MISSING = None  # suricata-verify's find_value returns None for a missing key


def corpus_root():
    c = os.environ.get("VIGIL_CORPUS")
    if c:
        return os.path.abspath(c)
    return os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))


def vigil_bin():
    b = os.environ.get("VIGIL_BIN")
    if b:
        return b if os.path.isabs(b) else os.path.abspath(b)
    return os.path.join(REPO, "build", "vigil")


# ---- matching (suricata-verify run.py semantics) ------------------------------------------------

def find_value(name, obj):
    """run.py's find_value: dotted path, name[i] indexes, __len, string-operator suffixes."""
    for part in name.split("."):
        if part == "__len":
            try:
                return len(obj)
            except TypeError:
                return -1
        if part in ("__contains", "__find", "__startswith", "__endswith",
                    "__gt", "__gte", "__lt", "__lte"):
            break
        m = re.match(r"^(.*)\[(\d+)\]$", part)
        key, index = (m.group(1), m.group(2)) if m else (part, None)
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
        if index is not None:
            try:
                obj = obj[int(index)]
            except (IndexError, KeyError, TypeError):
                return None
    return obj


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def is_opdict(v):
    return isinstance(v, dict) and v and all(str(k).lstrip("_") in OPS for k in v)


def compare(op, val, want):
    if op == "eq":
        return val == want
    if op == "ne":
        return val is not None and val != want
    if not (_num(val) and _num(want)):
        return False
    return {"lt": val < want, "lte": val <= want, "gt": val > want, "gte": val >= want}[op]


def value_matches(key, val, expected):
    if key.endswith("__find"):
        return isinstance(val, str) and val.find(expected) >= 0
    if key.endswith("__contains"):
        try:
            return val is not None and expected in val
        except TypeError:
            return False
    if key.endswith("__startswith"):
        return isinstance(val, str) and val.startswith(expected)
    if key.endswith("__endswith"):
        return isinstance(val, str) and val.endswith(expected)
    for suf, op in (("__gte", "gte"), ("__gt", "gt"), ("__lte", "lte"), ("__lt", "lt")):
        if key.endswith(suf):
            return compare(op, val, expected)
    if is_opdict(expected):
        return all(compare(OPS[str(k).lstrip("_")], val, w) for k, w in expected.items())
    if val is None and expected is not None:
        return False
    return val == expected


def event_matches(ev, match):
    for key, expected in match.items():
        if key == "has-key":
            if find_value(expected, ev) is None:
                return False
        elif key == "not-has-key":
            if find_value(expected, ev) is not None:
                return False
        elif not value_matches(key, find_value(key, ev), expected):
            return False
    return True


def count_ok(count, got):
    if is_opdict(count):
        return all(compare(OPS[str(k).lstrip("_")], got, w) for k, w in count.items())
    return got == count


def count_text(count):
    if is_opdict(count):
        return " and ".join("%s %s" % (str(k).lstrip("_"), w) for k, w in count.items())
    return str(count)


def eval_check(events, check):
    """-> (ok, got) for one filter {count, match}."""
    got = sum(1 for ev in events if event_matches(ev, check.get("match") or {}))
    return count_ok(check.get("count"), got), got


# ---- selection ----------------------------------------------------------------------------------

def base_key(key):
    parts = key.split(".")
    while parts and parts[-1] in SUFFIXES:
        parts.pop()
    return re.sub(r"\[\d+\]", "", ".".join(parts))


def match_paths(match):
    """The field paths a match dict looks at (has-key/not-has-key look at their value)."""
    out = []
    for k, v in match.items():
        if k in ("has-key", "not-has-key"):
            out.append(base_key(str(v)))
        else:
            out.append(base_key(str(k)))
    return out


def is_alert_check(flt):
    if not isinstance(flt, dict):
        return False
    if flt.get("filename") not in (None, "eve.json"):
        return False
    match = flt.get("match") or {}
    if not isinstance(match, dict):
        return False
    if "event_type" in match:
        return match["event_type"] == "alert"
    return any(p == "alert" or p.startswith("alert.") for p in match_paths(match))


def check_requires_reason(flt):
    """Why a filter's own requirements do not hold for current Suricata, or None."""
    req = dict(flt.get("requires") or {})
    for k in ("min-version", "lt-version", "version", "gt-version"):
        if k in flt:
            req[k] = flt[k]
    if flt.get("feature"):
        req["features"] = [flt["feature"]]
    if "lt-version" in req:
        return "check for older Suricata (lt-version %s)" % req["lt-version"]
    if "version" in req:
        return "check for Suricata %s only" % req["version"]
    if req.get("features"):
        return "check needs feature %s" % ",".join(map(str, req["features"]))
    return None


def classify_checks(cfg, honoured):
    """-> (usable, skipped, unsupported_keys, old_only) over the case's alert checks."""
    usable, skipped, bad_keys, old = [], [], set(), []
    for i, c in enumerate(cfg.get("checks") or [], 1):
        if not isinstance(c, dict) or "filter" not in c or not is_alert_check(c["filter"]):
            continue
        flt = c["filter"]
        why = check_requires_reason(flt)
        if why:
            skipped.append({"index": i, "reason": why})
            old.append(why)
            continue
        bad = [p for p in match_paths(flt.get("match") or {}) if p not in honoured]
        if bad:
            bad_keys.update(bad)
            skipped.append({"index": i, "reason": "unsupported keys: " + ",".join(sorted(bad))})
            continue
        usable.append({"index": i, "count": flt.get("count"), "match": flt.get("match") or {}})
    return usable, skipped, bad_keys, old


def requires_reason(cfg):
    req = cfg.get("requires") or {}
    if not isinstance(req, dict):
        return None
    if "lt-version" in req:
        return ("requires older Suricata", "lt-version %s" % req["lt-version"])
    if "version" in req:
        return ("requires older Suricata", "version %s" % req["version"])
    if req.get("features"):
        return ("requires feature", ",".join(map(str, req["features"])))
    for k in ("script", "env", "files", "lambda"):
        if req.get(k):
            return ("requires " + k, str(req[k])[:80])
    if req.get("os") and not platform.system().lower().startswith(str(req["os"]).lower()):
        return ("requires os", str(req["os"]))
    if req.get("arch") and not platform.machine().lower().startswith(str(req["arch"]).lower()):
        return ("requires arch", str(req["arch"]))
    return None


def args_reason(args, name):
    """(category, detail) for args vigil cannot honour, or None. Splits as run.py does."""
    if "ips" in name:
        return ("IPS mode", "'ips' in the case name")
    toks = []
    for a in args or []:
        toks += [t for t in re.split(r"\s", str(a)) if t]
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "-k":
            v = toks[i + 1] if i + 1 < len(toks) else ""
            i += 2
            if v != "none":
                return ("args: -k " + v, "checksum validation")
            continue
        if t in ("--set", "-s") or t.startswith("--set="):
            if t.startswith("--set="):
                kv, i = t[6:], i + 1
            else:
                kv, i = (toks[i + 1] if i + 1 < len(toks) else ""), i + 2
            key, _, val = kv.partition("=")
            if key == "stream.midstream" and val.lower() in ("true", "yes", "1"):
                continue
            if key == ("app-layer.protocols.http.libhtp.default-config."
                       "response-body-decompress-layer-limit"):
                continue
            if key.startswith(("logging.", "stats.")):
                continue
            return ("args: --set " + ".".join(key.split(".")[:2]), kv)
        if t == "--simulate-ips":
            return ("IPS mode", t)
        if t in ("--engine-analysis", "-T"):
            return ("not a pcap run", t)
        if t in ("--runmode=single", "--no-random", "--init-errors-fatal") or \
                re.fullmatch(r"-v+", t):
            i += 1
            continue
        if not t.startswith("-"):
            return ("args: BPF filter", " ".join(toks[i:]))
        return ("args: " + t.split("=")[0], t)
    return None


def load_yaml_text(path):
    with open(path, "rb") as f:
        txt = f.read().decode("utf-8", "replace")
    txt = "\n".join(line for line in txt.splitlines() if not line.startswith("%YAML"))
    return yaml.safe_load(txt) or {}


def eve_logs_alerts(outputs):
    for o in outputs or []:
        if not isinstance(o, dict):
            continue
        for kind, conf in o.items():
            if not str(kind).startswith("eve-log") or not isinstance(conf, dict):
                continue
            if str(conf.get("enabled", "yes")).lower() in ("no", "false", "0"):
                continue
            if conf.get("filename", "eve.json") != "eve.json":
                continue
            for t in conf.get("types") or []:
                if t == "alert" or (isinstance(t, dict) and "alert" in t):
                    return True
    return False


def yaml_reason(case_dir):
    path = os.path.join(case_dir, "suricata.yaml")
    if not os.path.exists(path):
        return None
    try:
        y = load_yaml_text(path)
    except (yaml.YAMLError, OSError) as e:
        return ("suricata.yaml unreadable", str(e).splitlines()[0][:80])
    if not isinstance(y, dict):
        return ("suricata.yaml unreadable", "not a mapping")
    bad = sorted(k for k in y if k not in COSMETIC_YAML_KEYS)
    if bad:
        return ("suricata.yaml: " + bad[0], ",".join(bad))
    inc = y.get("include")
    incs = inc if isinstance(inc, list) else ([inc] if inc else [])
    for f in incs:
        if os.path.basename(str(f)) != "default.yaml":  # default.yaml = a copy of stock config
            return ("suricata.yaml: include", str(f))
    if "outputs" in y and not eve_logs_alerts(y["outputs"]):
        return ("suricata.yaml: alerts not in eve.json", "outputs")
    return None


def find_rules(case_dir, cfg):
    if cfg.get("rules"):
        p = os.path.normpath(os.path.join(case_dir, str(cfg["rules"])))
        return (p, None) if os.path.isfile(p) else (None, ("rules file missing", str(cfg["rules"])))
    rules = sorted(glob.glob(os.path.join(case_dir, "*.rules")))
    if not rules:
        return None, ("no rules file", "")
    if len(rules) > 1:
        return None, ("several rule files", ",".join(os.path.basename(r) for r in rules))
    if os.path.basename(rules[0]) == "firewall.rules":
        return None, ("firewall mode", "firewall.rules")
    return rules[0], None


def find_pcap(case_dir, cfg):
    if "pcap" in cfg:
        if not cfg["pcap"]:
            return None, ("no pcap", "pcap: false")
        p = os.path.normpath(os.path.join(case_dir, str(cfg["pcap"])))
        return (p, None) if os.path.isfile(p) else (None, ("pcap missing", str(cfg["pcap"])))
    pcaps = sorted(glob.glob(os.path.join(case_dir, "*.pcap")) +
                   glob.glob(os.path.join(case_dir, "*.pcapng")))
    if not pcaps:
        return None, ("pcap missing", "no *.pcap in folder")
    if len(pcaps) > 1:
        return None, ("several pcaps", ",".join(os.path.basename(p) for p in pcaps))
    return pcaps[0], None


def select_static(case_dir, name, honoured):
    """Everything but the rules check. -> dict with 'reason' (category, detail) or the case."""
    out = {"case": name, "dir": case_dir}
    try:
        cfg = load_yaml_text(os.path.join(case_dir, "test.yaml"))
        if not isinstance(cfg, dict):
            raise ValueError("not a mapping")
    except (yaml.YAMLError, OSError, ValueError) as e:
        out["reason"] = ("test.yaml unreadable", str(e).splitlines()[0][:80])
        return out
    usable, skipped, bad_keys, old = classify_checks(cfg, honoured)
    out["skipped_checks"] = skipped
    if not usable:
        if bad_keys:
            out["reason"] = ("alert checks need unsupported keys", ",".join(sorted(bad_keys)))
        elif old:
            out["reason"] = ("alert checks only for older Suricata/features", old[0])
        else:
            out["reason"] = ("no alert check", "")
        return out
    out["checks"] = usable
    r = requires_reason(cfg)
    if not r:
        if cfg.get("skip"):
            r = ("skip", str(cfg["skip"])[:80])
        elif cfg.get("setup"):
            r = ("setup script", "")
        elif cfg.get("command"):
            r = ("custom command", "")
        elif cfg.get("exit-code", 0) not in (0, None):
            r = ("expects exit-code %s" % cfg["exit-code"], "")
        elif cfg.get("env"):
            r = ("env", str(cfg["env"])[:80])
        else:
            r = args_reason(cfg.get("args"), os.path.basename(name)) or yaml_reason(case_dir)
    if r:
        out["reason"] = r
        return out
    rules, r = find_rules(case_dir, cfg)
    if not r:
        pcap, r = find_pcap(case_dir, cfg)
    if r:
        out["reason"] = r
        return out
    out["rules"], out["pcap"] = rules, pcap
    return out


RULE_LINE = re.compile(r"^(.*):(\d+): sid (\S+): (.*)$")


def rules_check(binary, rules):
    """-> (accepted, first_reason, reasons_counter) from `vigil rules check --strict`."""
    try:
        p = subprocess.run([binary, "rules", "check", "--strict", rules], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, "rules check timed out", collections.Counter(["rules check timed out"])
    out = p.stdout.decode("utf-8", "replace").splitlines()
    reasons = collections.Counter()
    first = None
    for line in out:
        m = RULE_LINE.match(line)
        if m:
            first = first or m.group(4)
            reasons[m.group(4)] += 1
    if p.returncode == 0:
        return True, None, reasons
    if first is None:
        err = p.stderr.decode("utf-8", "replace").strip().splitlines()
        first = (err[-1] if err else "exit code %d" % p.returncode)[:120]
        reasons[first] += 1
    return False, first, reasons


def norm_reason(r):
    """Group rule-check reasons: numbers and quoted values out, so 'keyword x' stays together."""
    r = re.sub(r"'[^']*'", lambda m: m.group(0) if len(m.group(0)) < 40 else "'...'", r)
    return re.sub(r"\b\d+\b", "N", r)


OPT_STR = re.compile(r'"(?:\\.|[^"\\])*"')


def rule_features(path):
    """-> (keywords, protocols) used by the active rules of a file."""
    kws, protos = set(), set()
    try:
        lines = open(path, "rb").read().decode("utf-8", "replace").splitlines()
    except OSError:
        return kws, protos
    buf = ""
    for line in lines:
        line = line.strip()
        if line.endswith("\\"):
            buf += line[:-1]
            continue
        line, buf = buf + line, ""
        if not line or line.startswith("#") or "(" not in line:
            continue
        head, _, opts = line.partition("(")
        h = head.split()
        if len(h) >= 2:
            protos.add(h[1])
        for o in OPT_STR.sub('""', opts.rstrip(") \t")).split(";"):
            k = o.split(":", 1)[0].strip()
            if k and re.fullmatch(r"[A-Za-z0-9_.\-]+", k):
                kws.add(k)
    return kws, protos


def discover(root):
    base = os.path.join(root, SV_REL)
    out = []
    for d, dirs, files in os.walk(base):
        dirs.sort()
        if "test.yaml" in files:
            out.append((os.path.relpath(d, base), d))
    return sorted(out)


def pattern_ok(name, pats):
    if not pats:
        return True
    for p in pats:
        if any(c in p for c in "*?[") and fnmatch.fnmatch(name, p):
            return True
        if p in name:
            return True
    return False


def select(root, binary, jobs, pats, honoured, skips=()):
    cases = [c for c in discover(root) if pattern_ok(c[0], pats)
             and not (skips and pattern_ok(c[0], skips))]
    sel = [select_static(d, n, honoured) for n, d in cases]
    need = [s for s in sel if "reason" not in s]
    reasons_all = collections.Counter()  # normalised reason -> cases it excluded (first reason)
    skip_reasons = collections.Counter()  # normalised reason -> skipped rules, over all cases
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as ex:
        for s, (ok, first, rs) in zip(need, ex.map(lambda s: rules_check(binary, s["rules"]),
                                                     need)):
            for r, n in rs.items():
                skip_reasons[norm_reason(r)] += n
            if not ok:
                s["reason"] = ("rules not accepted", first)
                reasons_all[norm_reason(first)] += 1
    return sel, reasons_all, skip_reasons


# ---- running ------------------------------------------------------------------------------------

def run_case(s, binary, keep_tamper, keep):
    t0 = time.monotonic()
    res = {"case": s["case"], "status": "fail", "reason": "", "checks": [],
           "skipped_checks": s.get("skipped_checks", []), "fired": {}, "tamper_alerts": 0}
    tmp = tempfile.mkdtemp(prefix="vigil-sv-")
    # Only the case's rules: vigil's own beacon scoring is switched off (tamper alerts are dropped
    # when counting unless --keep-tamper).
    cmd = [binary, "analyze", "-q", "--no-progress", "--no-beacons", "-o", tmp, "--rules", s["rules"],
           s["pcap"]]
    env = dict(os.environ, TZ="UTC")
    try:
        try:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                               timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            res["reason"] = "timeout after %ds" % TIMEOUT
            return res
        err = p.stderr.decode("utf-8", "replace")
        mark = next((m for m in SANITIZER_MARKS if m in err), None)
        if p.returncode < 0 or p.returncode >= 128 or mark:
            sig = -p.returncode if p.returncode < 0 else p.returncode - 128
            res["reason"] = "crash: " + (mark if mark else "exit code %d (signal %d)" %
                                         (p.returncode, sig))
            return res
        if p.returncode != 0:
            last = err.strip().splitlines()
            res["reason"] = "exit code %d: %s" % (p.returncode, last[-1][:160] if last else "")
            return res
        events = []
        try:
            with open(os.path.join(tmp, "eve.json"), "rb") as f:
                for n, line in enumerate(f, 1):
                    try:
                        ev = json.loads(line)
                    except ValueError:
                        res["reason"] = "eve.json line %d is not JSON" % n
                        return res
                    if isinstance(ev, dict):
                        events.append(ev)
        except OSError:
            res["reason"] = "no eve.json written"
            return res
        alerts = []
        for ev in events:
            if ev.get("event_type") == "alert" and "tamper" in ev:
                res["tamper_alerts"] += 1
                if not keep_tamper:
                    continue
            alerts.append(ev)
        fired = collections.Counter(
            (ev.get("alert") or {}).get("signature_id") for ev in alerts
            if ev.get("event_type") == "alert")
        res["fired"] = {str(k): v for k, v in sorted(fired.items(), key=lambda kv: str(kv[0]))}
        bad = []
        for c in s["checks"]:
            ok, got = eval_check(alerts, c)
            res["checks"].append({"index": c["index"], "match": c["match"],
                                  "count": c["count"], "got": got, "ok": ok})
            if not ok:
                bad.append(res["checks"][-1])
        if bad:
            b = bad[0]
            res["reason"] = "check #%d %s: wanted %s, got %d%s" % (
                b["index"], json.dumps(b["match"], sort_keys=True), count_text(b["count"]),
                b["got"], " (+%d more failing checks)" % (len(bad) - 1) if len(bad) > 1 else "")
        else:
            res["status"] = "pass"
        return res
    finally:
        res["seconds"] = round(time.monotonic() - t0, 3)
        if keep and res["status"] == "fail":
            res["output"] = tmp
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def hint(res):
    if not res["fired"]:
        h = "no alerts fired"
    else:
        h = "fired: " + ", ".join("sid %s x%d" % (k, v) for k, v in res["fired"].items())
    if res.get("tamper_alerts"):
        h += "; %d tamper alerts ignored" % res["tamper_alerts"]
    return h


def top(counter, n, sep=", "):
    return sep.join("%s %d" % (k, v) for k, v in counter.most_common(n))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-k", dest="patterns", action="append", default=[],
                    help="run only cases whose path contains PATTERN (or fnmatch glob); repeatable")
    ap.add_argument("--skip", dest="skips", action="append", default=[],
                    help="leave out cases whose path contains PATTERN (or glob); repeatable")
    ap.add_argument("-j", type=int, default=2, help="parallel cases (default 2)")
    ap.add_argument("--json", help="write per-case results (and exclusions) to FILE")
    ap.add_argument("--min-pass-rate", type=float, default=0.0,
                    help="exit 1 when passed/selected is below this (0..1, default 0)")
    ap.add_argument("--select-only", action="store_true", help="selection summary only, no run")
    ap.add_argument("--list-excluded", action="store_true", help="print every excluded case")
    ap.add_argument("--selected-out", help="where to write the selected list "
                    "(default build/sv-selected.txt on a run without -k)")
    ap.add_argument("--extra-key", action="append", default=[],
                    help="honour one more match key (e.g. app_proto); repeatable")
    ap.add_argument("--keep-tamper", action="store_true",
                    help="count vigil's own tamper alerts too")
    ap.add_argument("--keep", action="store_true", help="keep the output of failing cases")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passing cases too")
    ap.add_argument("--selftest", action="store_true", help="test the check evaluation and exit")
    a = ap.parse_args(argv)
    if a.selftest:
        return selftest()

    t0 = time.monotonic()
    root, binary = corpus_root(), vigil_bin()
    honoured = HONOURED | set(a.extra_key)
    if not os.path.isdir(os.path.join(root, SV_REL)):
        print("error: no suricata-verify cases under %s (set VIGIL_CORPUS)" % root)
        print("suricata-verify: 0 passed, 0 failed")
        return 1
    if not os.access(binary, os.X_OK):
        print("error: vigil binary %s missing (make build, or set VIGIL_BIN)" % binary)
        print("suricata-verify: 0 passed, 0 failed")
        return 1

    sel, not_accepted, skip_reasons = select(root, binary, a.j, a.patterns, honoured, a.skips)
    chosen = [s for s in sel if "reason" not in s]
    excluded = [s for s in sel if "reason" in s]
    by_cat = collections.Counter(s["reason"][0] for s in excluded)
    details = collections.defaultdict(collections.Counter)
    for s in excluded:
        if s["reason"][1]:
            details[s["reason"][0]][s["reason"][1][:70]] += 1
    print("suricata-verify selection: %d cases, %d selected, %d excluded (%.1fs)" % (
        len(sel), len(chosen), len(excluded), time.monotonic() - t0))
    for cat, n in by_cat.most_common():
        d = details.get(cat)
        extra = ""
        if d and cat != "rules not accepted":
            extra = "  [" + "; ".join("%s %d" % kv for kv in d.most_common(4)) + \
                ("; ..." if len(d) > 4 else "") + "]"
        print("  excluded %5d  %s%s" % (n, cat, extra))
    if not_accepted:
        print("  rules not accepted, first reason (cases):")
        for r, n in not_accepted.most_common(15):
            print("    %5d  %s" % (n, r))
    if skip_reasons:
        print("  rules not accepted, all skipped rules by reason (rules): " +
              top(skip_reasons, 12, "; "))
    kw, pr = collections.Counter(), collections.Counter()
    for s in chosen:
        k, p = rule_features(s["rules"])
        kw.update(k)
        pr.update(p)
    if chosen:
        print("  selected rules: protocols (cases): " + top(pr, 12))
        print("  selected rules: keywords (cases): " + top(kw, 30))
    if a.list_excluded:
        for s in excluded:
            print("  EXCLUDED %s: %s%s" % (s["case"], s["reason"][0],
                                          ": " + s["reason"][1] if s["reason"][1] else ""))

    out_path = a.selected_out or (None if a.patterns or a.skips else
                                  os.path.join(REPO, "build", "sv-selected.txt"))
    if out_path:
        os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
        with open(out_path, "w") as f:
            for s in chosen:
                f.write(os.path.join(SV_REL, s["case"]) + "\n")
        print("  selected list: %s" % os.path.relpath(out_path, os.getcwd()))

    results = []
    if not a.select_only:
        t1 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(max(1, a.j)) as ex:
            for r in ex.map(lambda s: run_case(s, binary, a.keep_tamper, a.keep), chosen):
                results.append(r)
                if r["status"] == "fail":
                    print("FAIL %s: %s; %s%s" % (r["case"], r["reason"], hint(r),
                                                 " [kept %s]" % r["output"] if "output" in r else ""))
                elif a.verbose:
                    print("ok   %s" % r["case"])
        npass = sum(1 for r in results if r["status"] == "pass")
        ev = [r for r in results if r["case"].startswith("http-evader/")]
        print("run: %d cases in %.1fs (-j %d); http-evader/* %d of %d passed, others %d of %d" % (
            len(results), time.monotonic() - t1, a.j, sum(r["status"] == "pass" for r in ev),
            len(ev), npass - sum(r["status"] == "pass" for r in ev), len(results) - len(ev)))
    npass = sum(1 for r in results if r["status"] == "pass")
    nfail = len(results) - npass

    if a.json:
        with open(a.json, "w") as f:
            json.dump({"corpus": root, "vigil": binary, "selected": len(chosen),
                       "passed": npass, "failed": nfail, "results": results,
                       "excluded": [{"case": s["case"], "category": s["reason"][0],
                                     "detail": s["reason"][1]} for s in excluded]},
                      f, indent=1)
    rate = npass / len(chosen) if chosen else 0.0
    rc = 0
    if not a.select_only and a.min_pass_rate > 0 and rate < a.min_pass_rate:
        print("pass rate %.3f is below --min-pass-rate %.3f" % (rate, a.min_pass_rate))
        rc = 1
    print("suricata-verify: %d passed, %d failed" % (npass, nfail))
    return rc


# ---- self-test ----------------------------------------------------------------------------------

SELFTEST_YAML = """
requires:
  min-version: 7.0.0
args:
  - -k none --set stream.midstream=true
checks:
  - filter:                       # 1: plain sid count
      count: 2
      match: {event_type: alert, alert.signature_id: 1}
  - filter:                       # 2: nested + addresses
      count: 1
      match: {event_type: alert, alert.signature_id: 1, src_ip: 10.0.0.1, dest_port: 80,
              alert.gid: 1, alert.rev: 2}
  - filter:                       # 3: no alerts for sid 9
      count: 0
      match: {alert.signature_id: 9}
  - filter:                       # 4: numeric suffix operators
      count: 1
      match: {event_type: alert, pcap_cnt.__gt: 1, pcap_cnt.__lte: 5}
  - filter:                       # 5: dict operator forms and a count range
      count: {gt: 0, lt: 3}
      match: {event_type: alert, pcap_cnt: {lt: 4}}
  - filter:                       # 6: string operators, __len
      count: 1
      match: {alert.signature.__startswith: "ET ", alert.signature.__len: 8}
  - filter:                       # 7: not an alert check (dns)
      count: 5
      match: {event_type: dns}
  - filter:                       # 8: alert check with a key vigil does not honour -> skipped
      count: 1
      match: {event_type: alert, http.hostname: example.com}
  - filter:                       # 9: older-Suricata check -> skipped
      requires: {lt-version: 8}
      count: 7
      match: {event_type: alert}
  - filter:                       # 10: a check on another file -> not an alert check
      filename: rules.json
      count: 1
      match: {id: 1}
  - filter:                       # 11: has-key / not-has-key
      count: 3
      match: {event_type: alert, has-key: alert.action, not-has-key: alert.category}
  - shell:
      args: true
"""

SELFTEST_EVENTS = [
    {"event_type": "alert", "pcap_cnt": 1, "src_ip": "10.0.0.1", "dest_port": 80, "proto": "TCP",
     "alert": {"signature_id": 1, "gid": 1, "rev": 2, "signature": "ET test1", "action": "allowed"}},
    {"event_type": "alert", "pcap_cnt": 3, "src_ip": "10.0.0.2", "dest_port": 80,
     "alert": {"signature_id": 1, "gid": 1, "rev": 1, "signature": "other", "action": "allowed"}},
    {"event_type": "alert", "pcap_cnt": 7, "alert": {"signature_id": 2, "action": "allowed",
                                                     "signature": "x"}},
    {"event_type": "alert", "pcap_cnt": 5, "tamper": {"class": "x"},
     "alert": {"signature_id": 8800003, "gid": 1, "action": "allowed", "signature": "VIGIL"}},
    {"event_type": "dns", "pcap_cnt": 2, "dns": {"type": "query"}},
    {"event_type": "flow", "proto": "TCP"},
]


def selftest():
    fails = []

    def expect(what, got, want):
        if got != want:
            fails.append("%s: got %r, want %r" % (what, got, want))

    cfg = yaml.safe_load(SELFTEST_YAML)
    usable, skipped, bad, old = classify_checks(cfg, HONOURED)
    expect("usable check indexes", [c["index"] for c in usable], [1, 2, 3, 4, 5, 6, 11])
    expect("skipped check indexes", [c["index"] for c in skipped], [8, 9])
    expect("unsupported keys", bad, {"http.hostname"})
    expect("requires ok", requires_reason(cfg), None)
    expect("args ok", args_reason(cfg["args"], "some-case"), None)
    expect("args ips name", args_reason([], "foo-ips-1")[0], "IPS mode")
    expect("args inline", args_reason(["-k none --set stream.inline=true"], "x")[0],
           "args: --set stream.inline")
    expect("args -k all", args_reason(["-k all"], "x")[0], "args: -k all")
    expect("args bpf", args_reason(["-k none port 22"], "x")[0], "args: BPF filter")
    expect("requires feature", requires_reason({"requires": {"features": ["HAVE_LUA"]}}),
           ("requires feature", "HAVE_LUA"))
    expect("requires lt", requires_reason({"requires": {"lt-version": 8}})[0],
           "requires older Suricata")

    events = [e for e in SELFTEST_EVENTS if "tamper" not in e]
    want = {1: (True, 2), 2: (True, 1), 3: (True, 0), 4: (True, 1), 5: (True, 2), 6: (True, 1),
            11: (True, 3)}
    for c in usable:
        expect("check #%d" % c["index"], eval_check(events, c), want[c["index"]])
    # the same checks with the tamper alert kept: #4 and #11 see it
    expect("tamper kept #4", eval_check(SELFTEST_EVENTS, usable[3]), (False, 2))
    expect("tamper kept #11", eval_check(SELFTEST_EVENTS, usable[6]), (False, 4))
    # wrong counts fail
    expect("wrong count", eval_check(events, {"count": 3, "match": {"alert.signature_id": 1}}),
           (False, 2))
    expect("count gt", eval_check(events, {"count": {"gt": 2}, "match": {"event_type": "alert"}}),
           (True, 3))
    # missing keys never match (also not against a falsy expected value)
    expect("missing key", eval_check(events, {"count": 0, "match": {"alert.severity": 0}}),
           (True, 0))
    expect("missing nested", eval_check(events, {"count": 0, "match": {"flow.x.y": 1}}),
           (True, 0))
    expect("index path", find_value("a.b[1].c", {"a": {"b": [{}, {"c": 5}]}}), 5)
    expect("index out of range", find_value("a.b[3]", {"a": {"b": [1]}}), None)
    expect("__len of number", find_value("a.__len", {"a": 5}), -1)
    expect("run.py equality 1 == true", value_matches("x", True, 1), True)
    expect("string vs int", value_matches("x", "1", 1), False)
    expect("lt on missing", value_matches("x.__lt", None, 3), False)
    # alert-check recognition
    expect("alert by key", is_alert_check({"count": 1, "match": {"alert.signature_id": 1}}), True)
    expect("alert by has-key", is_alert_check({"count": 0, "match": {"has-key": "alert.x"}}), True)
    expect("not alert: dns", is_alert_check({"count": 1, "match": {"event_type": "dns",
                                                                    "alert.x": 1}}), False)
    expect("not alert: other file", is_alert_check({"filename": "a.json", "count": 1,
                                                    "match": {"event_type": "alert"}}), False)
    expect("base key", base_key("alert.metadata.tag[0].__len"), "alert.metadata.tag")
    # rule feature extraction
    with tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False) as f:
        f.write('# alert tcp any any -> any any (msg:"off"; pcre:"/x/"; sid:9;)\n'
                'alert http any any -> any any (msg:"a; b:c"; http.uri; content:"x;y"; \\\n'
                '    nocase; sid:1;)\n')
    try:
        expect("rule features", rule_features(f.name),
               ({"msg", "http.uri", "content", "nocase", "sid"}, {"http"}))
    finally:
        os.unlink(f.name)
    expect("norm reason", norm_reason("sid 12: unknown keyword 'foo' at 3"),
           "sid N: unknown keyword 'foo' at N")

    for m in fails:
        print("SELFTEST FAIL " + m)
    print("selftest: %d mismatches" % len(fails))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
