#!/usr/bin/env python3
"""AXFR out: rrdns against NSD, the same 100,000-record zone, in one run.

Each server serves the zone on 127.0.0.1 with transfers allowed to loopback; `dig` asks
for the whole zone ROUNDS times per server, interleaved. Reports the median wall time of
a transfer, and the messages and octets dig counts, with rrdns/NSD ratios.

Usage: cargo build --release && python3 bench/axfr.py   (RECORDS, ROUNDS to change)
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECORDS = int(os.environ.get("RECORDS", "100000"))
ROUNDS = int(os.environ.get("ROUNDS", "5"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def zone(d):
    lines = ["$TTL 300", "@ SOA ns h 1 3600 900 604800 60", "@ NS ns", "ns A 192.0.2.1"]
    lines += [f"h{i} A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}" for i in range(RECORDS)]
    path = os.path.join(d, "big.zone")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def start(server, d, port, path):
    if server == "rrdns":
        cfg = os.path.join(d, "rrdns.yaml")
        with open(cfg, "w") as f:
            f.write(f'listen: ["127.0.0.1:{port}"]\nzones: [{{ name: big.test., file: {path} }}]\n'
                    'transfer: { allow: ["127.0.0.0/8"] }\n')
        cmd = [os.path.join(ROOT, "target/release/rrdns"), "serve", "-c", cfg]
    else:
        cfg = os.path.join(d, "nsd.conf")
        with open(cfg, "w") as f:
            f.write(f'server:\n  ip-address: 127.0.0.1\n  port: {port}\n  do-ip6: no\n  username: ""\n'
                    f'  chroot: ""\n  zonesdir: "{d}"\n  pidfile: "{d}/nsd.pid"\n  database: ""\n'
                    f'  zonelistfile: "{d}/zone.list"\n  xfrdfile: "{d}/xfrd.state"\n  xfrdir: "{d}"\n'
                    '  server-count: 1\n  rrl-ratelimit: 0\n'
                    f'remote-control:\n  control-enable: no\nzone:\n  name: big.test.\n  zonefile: {path}\n'
                    '  provide-xfr: 127.0.0.0/8 NOKEY\n')
        cmd = ["nsd", "-d", "-c", cfg]
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "big.test", "SOA", "+short",
                              "+tries=1", "+time=1"], capture_output=True, text=True).stdout
        if out.strip():
            return p
        time.sleep(0.1)
    p.kill()
    sys.exit(f"{server} did not start")


def transfer(port):
    t = time.monotonic()
    out = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), "big.test", "AXFR", "+noall",
                          "+stats"], capture_output=True, text=True).stdout
    took = time.monotonic() - t
    m = re.search(r"XFR size: (\d+) records \(messages (\d+), bytes (\d+)\)", out)
    if not m:
        sys.exit(f"no transfer: {out}")
    return took, int(m.group(1)), int(m.group(2)), int(m.group(3))


def main():
    with tempfile.TemporaryDirectory() as d:
        path = zone(d)
        servers = {}
        for s in ["rrdns", "nsd"]:
            port = free_port()
            servers[s] = (port, start(s, os.path.join(d), port, path))
        results = {s: [] for s in servers}
        try:
            for r in range(ROUNDS):
                order = list(servers)[r % 2:] + list(servers)[:r % 2]
                for s in order:
                    results[s].append(transfer(servers[s][0]))
        finally:
            for _, p in servers.values():
                p.kill()
        med = {}
        for s, rows in results.items():
            times = sorted(x[0] for x in rows)
            med[s] = (times[len(times) // 2] * 1000, rows[0][1], rows[0][2], rows[0][3])
        print(f"AXFR of {RECORDS:,} records, median of {ROUNDS} (loopback, dig as the client)")
        print("| server | ms | records | messages | bytes |")
        print("|---|---:|---:|---:|---:|")
        for s, (ms, n, msgs, b) in med.items():
            print(f"| {s} | {ms:.1f} | {n:,} | {msgs} | {b:,} |")
        r, n = med["rrdns"], med["nsd"]
        print(f"| rrdns/NSD | {r[0] / n[0]:.2f} | | {r[2] / n[2]:.2f} | {r[3] / n[3]:.2f} |")


if __name__ == "__main__":
    main()
