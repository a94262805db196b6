#!/usr/bin/env bash
# Builds rrdns in release mode and runs a benchmark (see bench/README.md):
#   bench/run.sh          rrdns against NSD, Knot and gdnsd
#   bench/run.sh prober   10,000 health-check targets at a 1 s interval
# Needs: apt-get install dnsperf nsd knot gdnsd
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked
if [ "${1:-}" = prober ]; then
  exec python3 bench/prober.py
fi
exec python3 bench/bench.py "$@"
