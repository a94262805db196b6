#!/usr/bin/env python3
"""The fast path's cost of a `spread` pool and of a tiered pool, against a plain balanced
pool, in one run: rrdns (release) serves the bench zone three ways, and dnsperf asks only
for the balanced name at a fixed rate; the server's CPU share is compared round by round.

Usage: cargo build --release && python3 bench/pools.py   (ROUNDS, RATE, SECONDS_PER_RUN)
"""

import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from stats import median  # noqa: E402

ORIGIN = "bench.test."
ROUNDS = int(os.environ.get("ROUNDS", "5"))
VARIANTS = {
    "plain": "",
    "spread": 'pools:\n  www.bench.test.:\n    weights: { "192.0.2.10": 3 }\n    weighting: spread\n    answers: 2\n',
    "tiers": 'pools:\n  www.bench.test.:\n    tiers: [["192.0.2.10", "192.0.2.11"], ["192.0.2.12", "192.0.2.13"]]\n',
}


def main():
    with tempfile.TemporaryDirectory() as work:
        zone_file = os.path.join(work, "bench.zone")
        with open(zone_file, "w") as f:
            f.write(bench.zone_text(ORIGIN, []))
        qfile = os.path.join(work, "queries")
        with open(qfile, "w") as f:
            f.write(f"www.{ORIGIN} A\n" * 1000)
        plain_configure = bench.configure
        cpu = {v: [] for v in VARIANTS}
        for rnd in range(ROUNDS):
            order = list(VARIANTS)[rnd % 3:] + list(VARIANTS)[:rnd % 3]
            for v in order:
                def configure(server, w, zone_name, zf, port, v=v):
                    cmd = plain_configure(server, w, zone_name, zf, port)
                    with open(cmd[-1], "a") as cfg:
                        cfg.write(VARIANTS[v])
                    return cmd
                bench.configure = configure
                r = bench.Running("rrdns", os.path.join(work, v), ORIGIN, zone_file, f"www.{ORIGIN}")
                try:
                    out, share = r.measured(lambda: bench.dnsperf(r.port, qfile, ["-Q", str(bench.RATE), "-c", "4"]))
                    cpu[v].append(share)
                    print(f"round {rnd + 1} {v}: CPU {share:.3f} at {out['qps']:.0f} q/s, lost {out['lost']}", flush=True)
                finally:
                    r.stop()
        print(f"\nserver CPU at {bench.RATE} q/s of the balanced name, medians of {ROUNDS} rounds")
        print("| pool | CPU | ratio to plain (median of per-round ratios) |\n|---|---:|---:|")
        for v in VARIANTS:
            ratios = [a / b for a, b in zip(cpu[v], cpu["plain"]) if b > 0]
            print(f"| {v} | {median(cpu[v]):.3f} | {median(ratios):.2f} |")


if __name__ == "__main__":
    main()
