#!/usr/bin/env bash
# Installs every Debian 12 package that vigil's build, tests, fuzzers, benchmarks and demo need.
# Idempotent: does nothing when all packages are present; runs `apt-get update` once otherwise.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config clang libclang-rt-14-dev
  # libraries
  libpcap-dev libxxhash-dev libvectorscan-dev libpcre2-dev libssl-dev libyaml-dev zlib1g-dev libhiredis-dev libjansson-dev libpsl-dev
  # tests and tooling
  tshark wireshark-common tcpreplay iproute2 python3 python3-scapy python3-jsonschema python3-yaml
  redis-server
  # the HTML report test renders the page headless (tests/tools/report_chromium.sh)
  chromium
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]} (run as root to install them)" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer once, non-interactively.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
