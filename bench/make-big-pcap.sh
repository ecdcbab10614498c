#!/usr/bin/env bash
# make-big-pcap.sh [OUT] [SIZE_MB] - build a large benchmark pcap with many distinct flows.
#
#   OUT      default bench/out/big.pcap (bench/out/ is git-ignored)
#   SIZE_MB  default 1100 (MB = 10^6 bytes, so the default is just over 1 GiB)
#
# 1. base: a few Ethernet captures of the shared corpus (the 20 MB merged lab capture plus the
#    Fox-IT, PoshC2 and Chris Sanders captures), each shifted with `editcap -t` to start one second
#    after the previous one ends, concatenated with `mergecap -a` into one little-endian usec pcap.
# 2. copies: bench/tools/pcap_multiply.c writes the copies one after the other: copy i has every
#    IPv4 address XOR-ed with (0, i>>8, i&255, 0) (so its flows are distinct from every other
#    copy's; IP and TCP/UDP checksums patched incrementally) and its timestamps moved past copy
#    i-1, so time only moves forward. (tcprewrite was used first, but when it rewrites addresses it
#    also sets the IP length of padded 60-byte frames to include the padding, which turns padding
#    into payload and produced hundreds of false "races" in every copy.)
# Idempotent: does nothing when OUT already exists with at least SIZE_MB. Deterministic: the same
# corpus and tools give the same file.
# Env: VIGIL_CORPUS (default ../shared/corpus from the repo root).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/bench/out/big.pcap}"
size_mb="${2:-1100}"
corpus="${VIGIL_CORPUS:-$repo/../shared/corpus}"
want=$((size_mb * 1000 * 1000))

for tool in editcap mergecap capinfos cc; do
  command -v "$tool" >/dev/null || { echo "make-big-pcap: $tool not found (apt-get install tshark tcpreplay)" >&2; exit 2; }
done
if [ -f "$out" ] && [ "$(stat -c %s "$out")" -ge "$want" ]; then
  echo "make-big-pcap: $out exists ($(stat -c %s "$out") bytes >= $want), nothing to do"
  exit 0
fi
[ -d "$corpus" ] || { echo "make-big-pcap: corpus not found at $corpus (set VIGIL_CORPUS)" >&2; exit 2; }

sources=(
  bench/elcabezzonn-lab-mixed-merged.pcap
  foxit-quantuminsert/pcaps/qi_local_SYNACK_putty_dl.pcap
  foxit-quantuminsert/pcaps/qi_local_SYNACK_slashdot_redirect.pcap
  foxit-quantuminsert/presentations/brocon2015/pcaps/bro.org-harlemshake-inject.pcap
  elcabezzonn-pcaps/new-jscript-poshc2.pcap
  chrissanders-packets/synscan.pcapng
  chrissanders-packets/ratinfected.pcapng
  chrissanders-packets/ek_to_cryptowall4.pcapng
  chrissanders-packets/tickedoffdeveloper.pcapng
)

mkdir -p "$(dirname "$out")"
work="$(mktemp -d "$(dirname "$out")/.make-big-pcap.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# epoch seconds (with fraction) of the first and last packet
first_ts() { capinfos -a -S -T -r "$1" | awk -F'\t' 'NR==1{print $2}'; }
last_ts()  { capinfos -e -S -T -r "$1" | awk -F'\t' 'NR==1{print $2}'; }

# 1. the base capture, one source after another in time
cursor=""
parts=()
i=0
for rel in "${sources[@]}"; do
  src="$corpus/$rel"
  [ -f "$src" ] || { echo "make-big-pcap: missing $src" >&2; exit 2; }
  [ "$(capinfos -T -E -r "$src" | awk -F'\t' 'NR==1{print $2}')" = "ether" ] ||
    { echo "make-big-pcap: $rel is not Ethernet" >&2; exit 2; }
  a="$(first_ts "$src")"
  if [ -z "$cursor" ]; then
    delta=0
  else
    delta="$(awk -v c="$cursor" -v a="$a" 'BEGIN{printf "%.6f", c - a}')"
  fi
  i=$((i + 1))
  part="$work/base-$i.pcap"
  editcap -F pcap -T ether -t "$delta" "$src" "$part"
  cursor="$(awk -v e="$(last_ts "$part")" 'BEGIN{printf "%.6f", e + 1}')"
  parts+=("$part")
done
mergecap -a -F pcap -w "$work/base.pcap" "${parts[@]}"
rm -f "${parts[@]}"
base_size="$(stat -c %s "$work/base.pcap")"
base_first="$(first_ts "$work/base.pcap")"
span="$(awk -v a="$base_first" -v e="$(last_ts "$work/base.pcap")" 'BEGIN{printf "%d", e - a + 2}')"
copies=$(( (want + base_size - 25) / (base_size - 24) ))
echo "make-big-pcap: base $base_size bytes, $(capinfos -c -M -T -r "$work/base.pcap" | awk -F'\t' 'NR==1{print $2}') packets, span ${span}s; $copies copies -> $out"

# 2. the copies: new addresses, later times
# Copies: addresses XOR-ed per copy (distinct flows) and time-shifted, by a small C helper; see
# bench/tools/pcap_multiply.c for why not tcprewrite (it turns Ethernet padding into payload).
cc -O2 -o "$work/pcap_multiply" "$repo/bench/tools/pcap_multiply.c"
"$work/pcap_multiply" "$work/base.pcap" "$work/big.pcap" "$copies" "$span"
mv "$work/big.pcap" "$out"
echo "make-big-pcap: wrote $out ($(stat -c %s "$out") bytes, $(capinfos -c -M -T -r "$out" | awk -F'\t' 'NR==1{print $2}') packets)"
