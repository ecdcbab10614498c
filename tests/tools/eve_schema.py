#!/usr/bin/python3
"""eve_schema.py - validate vigil's EVE JSON lines against Suricata's EVE schema.

    /usr/bin/python3 tests/tools/eve_schema.py [--schema FILE] [--max N] EVE.json...

Every event, minus vigil's own top-level keys (tamper, beacon, ioc, evidence, vigil - see
/work/shared/EVE-EXTENSIONS.md), must validate against corpus/schema/suricata-eve-schema.json.
Prints one line per invalid event (FILE:LINE: event_type: json-path: message) and exits 1 if any
event is invalid, 2 if a file or the schema cannot be read.

Importable:
    v = EveValidator()                # schema from $VIGIL_EVE_SCHEMA, $VIGIL_CORPUS or the default
    v.errors(event_dict)  -> [str]    # empty when valid
    validate_file(path, v) -> [(lineno, event_type, [str])]

The schema path: --schema, else $VIGIL_EVE_SCHEMA, else $VIGIL_CORPUS/schema/suricata-eve-schema.json,
else <repo>/../shared/corpus/schema/suricata-eve-schema.json.
"""
import argparse
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SCHEMA_REL = os.path.join("schema", "suricata-eve-schema.json")

# vigil's own top-level keys; they are removed before validation (EVE-EXTENSIONS.md).
VIGIL_KEYS = ("tamper", "beacon", "ioc", "evidence", "vigil")


def corpus_root():
    c = os.environ.get("VIGIL_CORPUS")
    if c:
        return os.path.abspath(c)
    return os.path.normpath(os.path.join(REPO, "..", "shared", "corpus"))


def default_schema_path():
    return os.environ.get("VIGIL_EVE_SCHEMA") or os.path.join(corpus_root(), SCHEMA_REL)


def strip_vigil(event):
    """A shallow copy of the event without vigil's own top-level keys."""
    return {k: v for k, v in event.items() if k not in VIGIL_KEYS}


class EveValidator:
    def __init__(self, schema_path=None):
        self.path = schema_path or default_schema_path()
        with open(self.path) as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
        cls.check_schema(schema)
        self._v = cls(schema)

    def errors(self, event, limit=5):
        """Error strings for one decoded event (a dict); [] when valid."""
        if not isinstance(event, dict):
            return ["$: event is a %s, not an object" % type(event).__name__]
        errs = sorted(self._v.iter_errors(strip_vigil(event)), key=lambda e: list(e.absolute_path))
        out = []
        for e in errs[:limit]:
            path = "$" + "".join("[%d]" % p if isinstance(p, int) else ".%s" % p
                                 for p in e.absolute_path)
            out.append("%s: %s" % (path, e.message))
        if len(errs) > limit:
            out.append("... %d more" % (len(errs) - limit))
        return out


def validate_lines(lines, validator):
    """lines: iterable of str. Returns [(lineno, event_type, [errors])] for invalid lines."""
    bad = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            bad.append((n, "?", ["empty line"]))
            continue
        try:
            ev = json.loads(line)
        except ValueError as e:
            bad.append((n, "?", ["not JSON: %s" % e]))
            continue
        errs = validator.errors(ev)
        if errs:
            et = ev.get("event_type", "?") if isinstance(ev, dict) else "?"
            bad.append((n, et, errs))
    return bad


def validate_file(path, validator):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return validate_lines(f.read().splitlines(), validator)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Validate EVE JSON lines against Suricata's schema "
                                             "(vigil's own keys removed first).")
    ap.add_argument("--schema", help="schema file (default: %s)" % default_schema_path())
    ap.add_argument("--max", type=int, default=50, help="invalid events to print per file")
    ap.add_argument("files", nargs="+", metavar="EVE.json")
    args = ap.parse_args(argv)
    try:
        v = EveValidator(args.schema)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print("eve_schema: cannot load schema %s: %s" % (args.schema or default_schema_path(), e),
              file=sys.stderr)
        return 2
    rc = 0
    for path in args.files:
        try:
            bad = validate_file(path, v)
        except OSError as e:
            print("eve_schema: %s: %s" % (path, e), file=sys.stderr)
            rc = 2
            continue
        for lineno, et, errs in bad[:args.max]:
            for e in errs:
                print("%s:%d: %s: %s" % (path, lineno, et, e))
        if len(bad) > args.max:
            print("%s: ... %d more invalid events" % (path, len(bad) - args.max))
        if bad:
            rc = max(rc, 1)
        print("%s: %s" % (path, "%d invalid events" % len(bad) if bad else "all events valid"),
              file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
