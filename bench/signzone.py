#!/usr/bin/env python3
"""Signing a whole zone, in one run: rrdns (`rrdns check`, which signs a zone with
`dnssec.keys` as the server does at load) against BIND's dnssec-signzone on one thread
(`-n 1`, without its verification pass `-P`, which rrdns does not do), the same zone and the same ECDSA P-256 keys, NSEC and NSEC3 (no iterations, no
salt). Both are pinned to one CPU. Per round and tool: CPU seconds (user + system) and peak
RSS; the ratios rrdns/BIND are taken per round and their medians printed.

Usage: cargo build --release && python3 bench/signzone.py   (ROUNDS, NAMES)
"""

import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from stats import median  # noqa: E402

ORIGIN = "sign.test."
ROUNDS = int(os.environ.get("ROUNDS", "5"))
NAMES = int(os.environ.get("NAMES", "20000"))
CPU = os.environ.get("SERVER_CPU", "1")
RRDNS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "release", "rrdns")


def zone_text():
    """A zone of NAMES names with an address and a text record each, some delegations."""
    lines = [f"$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 60\n@ NS ns\nns A 192.0.2.1"]
    for i in range(NAMES):
        lines.append(f"h{i} A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}")
        lines.append(f'h{i} TXT "host {i}"')
        if i % 100 == 0:
            lines.append(f"d{i} NS ns.d{i}\nns.d{i} A 192.0.2.2")
    return "\n".join(lines) + "\n"


def measured(cmd):
    """CPU seconds and peak RSS (MB) of one child run pinned to CPU: its own rusage, from
    wait4 (RUSAGE_CHILDREN's peak would be the largest child's so far)."""
    child = subprocess.Popen(["taskset", "-c", CPU] + cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({child.returncode}): {' '.join(cmd)}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main():
    with tempfile.TemporaryDirectory() as work:
        zone = os.path.join(work, "sign.zone")
        with open(zone, "w") as f:
            f.write(zone_text())
        keys = []
        for extra in ([], ["-f", "KSK"]):
            out = subprocess.run(["dnssec-keygen", "-q", "-K", work, "-a", "ECDSAP256SHA256", "-n", "ZONE"]
                                 + extra + [ORIGIN], capture_output=True, text=True, check=True)
            keys.append(os.path.join(work, out.stdout.strip()))
        print(f"{NAMES} names, {2 * NAMES + NAMES // 100 * 2 + 3} records; {ROUNDS} rounds; pinned to CPU {CPU}")
        for denial, bind_args, yaml in [
            ("NSEC", [], ""),
            ("NSEC3", ["-3", "-", "-H", "0"], ", nsec3: {}"),
        ]:
            cfg = os.path.join(work, f"rrdns-{denial}.yaml")
            with open(cfg, "w") as f:
                names = ", ".join(f'"{k}.private"' for k in keys)
                f.write(f'listen: ["127.0.0.1:0"]\nstate_dir: {work}/state\n'
                        f"limits: {{ zone_records: 10000000 }}\n"
                        f"zones: [{{ name: {ORIGIN}, file: {zone}, dnssec: {{ keys: [{names}]{yaml} }} }}]\n")
            cpu_ratios, rss_ratios, ours_cpu, theirs_cpu = [], [], [], []
            for _ in range(ROUNDS):
                ours = measured([RRDNS, "check", "-c", cfg])
                theirs = measured(["dnssec-signzone", "-q", "-P", "-n", "1", "-S", "-K", work, "-o", ORIGIN,
                                   "-f", os.path.join(work, "out.signed")] + bind_args + [zone])
                cpu_ratios.append(ours[0] / theirs[0])
                rss_ratios.append(ours[1] / theirs[1])
                ours_cpu.append(ours[0])
                theirs_cpu.append(theirs[0])
            print(f"{denial:5}: rrdns {median(ours_cpu):.2f} s CPU, dnssec-signzone {median(theirs_cpu):.2f} s"
                  f" → CPU ratio {median(cpu_ratios):.2f}, peak RSS ratio {median(rss_ratios):.2f}"
                  f" (rrdns/BIND, median of {ROUNDS} rounds)")


if __name__ == "__main__":
    main()
