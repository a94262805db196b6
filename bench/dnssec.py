#!/usr/bin/env python3
"""DNSSEC costs, in one run: the bench zone signed by dnssec-signzone (ECDSA P-256, NSEC)
and served by NSD and by rrdns, with every query of the bench mix sent with DO=1.

- CPU at a fixed rate (RATE, default 50,000 q/s): NSD; rrdns without a key (the balanced
  name served whole under the zone's signature); rrdns with the zone's keys and a `sample`
  pool of 2 of 4 addresses, so the balanced name's subsets are signed online and then
  served from the signature cache. Ratios to NSD, median of the rounds' own ratios.
- Online signing itself: a pool of 16 addresses with `sample` and 3 answers (560 subsets)
  and a signature cache of 2 entries, so that nearly every answer is signed anew; queries
  for that name only, at saturation; signatures made (from /metrics) per CPU-second.

Usage: cargo build --release && python3 bench/dnssec.py   (ROUNDS, RATE, SECONDS_PER_RUN)
"""

import os
import re
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
from stats import median  # noqa: E402

ORIGIN = "bench.test."
ROUNDS = int(os.environ.get("ROUNDS", "5"))
HEAVY = [f"heavy A 192.0.2.{100 + i}" for i in range(16)]


def sign(work):
    """Keys and the signed zone; returns (signed file, [ZSK, KSK] private-key paths)."""
    zone = os.path.join(work, "bench.zone")
    with open(zone, "w") as f:
        f.write(bench.zone_text(ORIGIN, HEAVY))
    keys = []
    for extra in ([], ["-f", "KSK"]):
        out = subprocess.run(["dnssec-keygen", "-q", "-K", work, "-a", "ECDSAP256SHA256", "-n", "ZONE"]
                             + extra + [ORIGIN], capture_output=True, text=True, check=True)
        keys.append(os.path.join(work, out.stdout.strip() + ".private"))
    signed = os.path.join(work, "bench.signed")
    subprocess.run(["dnssec-signzone", "-q", "-S", "-K", work, "-d", work, "-o", ORIGIN, "-f", signed, zone],
                   check=True, capture_output=True)
    return signed, keys


def rrdns_config(keys, pool, cache=None):
    """A `configure` for bench.Running that serves the signed zone with `keys` and `pool`."""
    def configure(server, work, zone_name, zone_file, port):
        d = os.path.join(work, server)
        os.makedirs(d, exist_ok=True)
        cfg = os.path.join(d, "rrdns.yaml")
        dnssec = ""
        if keys:
            dnssec = ", dnssec: { keys: [" + ", ".join(f'"{k}"' for k in keys) + "]"
            dnssec += f", cache: {cache} }}" if cache else " }"
        with open(cfg, "w") as f:
            f.write(f'listen: ["127.0.0.1:{port}"]\nadmin: "127.0.0.1:{port + 1}"\nstate_dir: {d}/state\n'
                    f"zones: [{{ name: {zone_name}, file: {zone_file}{dnssec} }}]\n{pool}")
        return [os.path.join(bench.ROOT, "target/release/rrdns"), "serve", "-c", cfg]
    return configure


def signatures_made(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port + 1}/metrics", timeout=5) as r:
        text = r.read().decode()
    m = re.search(r'rrdns_dnssec_signatures_total\{zone="[^"]+",reused="false"\} (\d+)', text)
    return int(m.group(1)) if m else 0


def main():
    for tool in ["dnsperf", "nsd", "dnssec-keygen", "dnssec-signzone", "taskset"]:
        if not any(os.access(os.path.join(p, tool), os.X_OK) for p in os.environ["PATH"].split(":")):
            sys.exit(f"missing {tool}: apt-get install dnsperf nsd bind9-dnsutils bind9 util-linux")
    plain_configure = bench.configure
    with tempfile.TemporaryDirectory() as work:
        signed, keys = sign(work)
        mix = os.path.join(work, "mix")
        with open(mix, "w") as f:
            f.write(bench.queries(ORIGIN))
        heavy = os.path.join(work, "heavy")
        with open(heavy, "w") as f:
            f.write(f"heavy.{ORIGIN} A\n" * 1000)
        sample = 'pools:\n  www.bench.test.:\n    weighting: sample\n    answers: 2\n'
        variants = {
            "nsd": plain_configure,
            "rrdns, no key (whole)": rrdns_config(None, ""),
            "rrdns, key (subsets signed)": rrdns_config(keys, sample),
        }
        cpu = {v: [] for v in variants}
        rates = []
        for rnd in range(ROUNDS):
            names = list(variants)
            for v in names[rnd % len(names):] + names[:rnd % len(names)]:
                bench.configure = variants[v]
                server = "nsd" if v == "nsd" else "rrdns"
                r = bench.Running(server, os.path.join(work, f"r{rnd}-{len(cpu[v])}-{server}"), ORIGIN, signed,
                                  f"www.{ORIGIN}")
                try:
                    out, share = r.measured(lambda: bench.dnsperf(r.port, mix, ["-D", "-Q", str(bench.RATE), "-c", "4"]))
                    cpu[v].append(share)
                    print(f"round {rnd + 1} {v}: CPU {share:.3f} at {out['qps']:.0f} q/s, lost {out['lost']}",
                          flush=True)
                finally:
                    r.stop()
            bench.configure = rrdns_config(keys, 'pools:\n  heavy.bench.test.:\n    weighting: sample\n'
                                           '    answers: 3\n', cache=2)
            r = bench.Running("rrdns", os.path.join(work, f"s{rnd}"), ORIGIN, signed, f"www.{ORIGIN}")
            try:
                before = signatures_made(r.port)
                out, share = r.measured(lambda: bench.dnsperf(r.port, heavy, ["-D", "-c", "8", "-q", "200"]))
                made = signatures_made(r.port) - before
                per_cpu_second = made / (share * bench.SECONDS) if share > 0 else 0
                rates.append(per_cpu_second)
                print(f"round {rnd + 1} signing: {made} signatures, {out['qps']:.0f} q/s, CPU {share:.3f}: "
                      f"{per_cpu_second:.0f} signatures per CPU-second", flush=True)
            finally:
                r.stop()
        print(f"\nserver CPU at {bench.RATE} q/s of the bench mix with DO=1, medians of {ROUNDS} rounds")
        print("| server | CPU | ratio to NSD |\n|---|---:|---:|")
        for v in variants:
            ratios = [a / b for a, b in zip(cpu[v], cpu["nsd"]) if b > 0]
            print(f"| {v} | {median(cpu[v]):.3f} | {median(ratios):.2f} |")
        print(f"\nonline signing (ECDSA P-256, cache of 2): {median(rates):.0f} signatures per CPU-second "
              f"(median of {ROUNDS} rounds, answering included)")


if __name__ == "__main__":
    main()
