#!/usr/bin/env bash
# Corpus sweep: runs a sanitizer build of vigil over every capture file in the shared corpus (the
# files listed with a capture type in files.tsv; many are deliberately malformed). A run passes when
# vigil exits 0 or 3 (no readable input), writes a final stats event, and the sanitizers say
# nothing. Usage: corpus_sweep.sh VIGIL_BIN [CORPUS]
set -u
bin=${1:?usage: corpus_sweep.sh VIGIL_BIN [CORPUS]}
corpus=${2:-${VIGIL_CORPUS:-../shared/corpus}}
if [ ! -f "$corpus/files.tsv" ]; then
  echo "corpus-sweep: SKIP (no corpus at $corpus)"
  echo "corpus-sweep: 0 passed, 0 failed"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Capture files: rows whose ftype column is set; gzip files are not read by vigil (yet).
awk -F'\t' 'NR>1 && $9!="" {print $2}' "$corpus/files.tsv" | grep -v '\.gz$' | sort > "$tmp/list"
total=$(wc -l < "$tmp/list")
pass=0; fail=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# Batches of 50 files per run keep process start-up cheap while a failure still points somewhere.
split -l 50 "$tmp/list" "$tmp/batch."
for b in "$tmp"/batch.*; do
  mapfile -t files < <(sed "s|^|$corpus/|" "$b")
  out="$tmp/out"; rm -rf "$out"
  "$bin" analyze -q --no-progress -o "$out" "${files[@]}" >"$tmp/stdout" 2>"$tmp/stderr"
  rc=$?
  n=${#files[@]}
  if { [ $rc -eq 0 ] || [ $rc -eq 3 ]; } && ! grep -qE 'AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|runtime error' "$tmp/stderr" \
     && tail -n 1 "$out/eve.json" 2>/dev/null | grep -q '"event_type":"stats"'; then
    pass=$((pass + n))
  else
    fail=$((fail + n))
    echo "corpus-sweep: FAIL batch $(basename "$b") (exit $rc); files:"
    sed 's/^/    /' "$b"
    grep -E -m 5 -A 12 'AddressSanitizer|UndefinedBehaviorSanitizer|runtime error|LeakSanitizer' "$tmp/stderr" | head -40
  fi
done
echo "corpus-sweep: $total capture files"
echo "corpus-sweep: $pass passed, $fail failed"
[ $fail -eq 0 ]
