#!/usr/bin/env python3
"""The prober at scale: 10,000 health-check targets at a 1 s interval.

100 pools of 100 addresses (127.1.X.Y, all loopback) checked by TCP connect against one
local backend listening on every loopback address. Reports rrdns's CPU share and memory
while it probes with no DNS load, and the DNS query CPU and p99 latency at a fixed rate
with and without probing (the query path must not notice the prober).

Usage: bench/run.sh prober   (or: python3 bench/prober.py after cargo build --release)
"""

import os
import selectors
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (shared helpers: Running's accounting, dnsperf, queries)

POOLS, PER_POOL = 100, 100
RATE = int(os.environ.get("RATE", "20000"))
SECONDS = int(os.environ.get("SECONDS_PER_RUN", "20"))
ROUNDS = int(os.environ.get("ROUNDS", "3"))


def backend(port):
    """Accepts and closes connections on 0.0.0.0:port (reachable on all of 127.0.0.0/8)."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(4096)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)

    def loop():
        while True:
            for _ in sel.select():
                while True:
                    try:
                        c, _ = ls.accept()
                        c.close()
                    except BlockingIOError:
                        break

    threading.Thread(target=loop, daemon=True).start()


def config(work, port, backend_port, with_checks):
    zone = os.path.join(work, "p.zone")
    lines = ["$TTL 300", "@ SOA ns hostmaster 1 3600 600 86400 60", "@ NS ns", "ns A 192.0.2.53"]
    lines += [f"www A 192.0.2.{i}" for i in range(1, 5)]
    for p in range(POOLS):
        lines += [f"pool{p} A 127.1.{p}.{a}" for a in range(1, PER_POOL + 1)]
    with open(zone, "w") as f:
        f.write("\n".join(lines) + "\n")
    cfg = os.path.join(work, f"rrdns-{with_checks}.yaml")
    text = f'listen: ["127.0.0.1:{port}"]\nstate_dir: {work}/state\nzones: [{{ name: p.test., file: {zone} }}]\n'
    if with_checks:
        text += "pools:\n" + "".join(f"  pool{p}.p.test.:\n    check: tcp\n" for p in range(POOLS))
        text += f"checks:\n  tcp: {{ type: tcp, port: {backend_port}, interval: 1s, timeout: 1s }}\n"
    with open(cfg, "w") as f:
        f.write(text)
    return cfg


def run(work, qfile, backend_port, with_checks):
    port = bench.free_port()
    cfg = config(work, port, backend_port, with_checks)
    cmd = ["taskset", "-c", bench.SERVER_CPU, os.path.join(bench.ROOT, "target/release/rrdns"), "serve", "-c", cfg]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ, RRDNS_LOG="error"))
    r = bench.Running.__new__(bench.Running)
    r.proc, r.port = proc, port
    while not bench.answers(port, "www.p.test."):
        if proc.poll() is not None:
            raise RuntimeError(f"rrdns exited with {proc.returncode}")
        time.sleep(0.05)
    time.sleep(3)  # let the first probe rounds settle
    t0, w0 = r.cpu_ticks(), time.monotonic()
    time.sleep(SECONDS)
    idle = (r.cpu_ticks() - t0) / bench.HZ / (time.monotonic() - w0) * 100
    pss = r.pss_mib()
    bench.SECONDS = SECONDS
    t0, w0 = r.cpu_ticks(), time.monotonic()
    fixed = bench.dnsperf(port, qfile, ["-Q", str(RATE), "-c", "4"], verbose=True)
    busy = (r.cpu_ticks() - t0) / bench.HZ / (time.monotonic() - w0) * 100
    r.stop()
    return idle, pss, busy, fixed


def main():
    # This script and its backend stay off the server's CPU, as in bench.py.
    os.sched_setaffinity(0, {int(bench.CLIENT_CPU)})
    work = tempfile.mkdtemp(prefix="rrdns-prober-")
    backend_port = bench.free_port()
    backend(backend_port)
    qfile = os.path.join(work, "q.txt")
    with open(qfile, "w") as f:
        f.write("www.p.test. A\n" * 100 + "pool7.p.test. A\n" * 100)
    rows = []
    for with_checks in [False, True] * ROUNDS:
        idle, pss, busy, fixed = run(work, qfile, backend_port, with_checks)
        rows.append((with_checks, idle, pss, busy, fixed["p99_us"]))
        print(f"checks={with_checks}: idle CPU {idle:.1f}% PSS {pss:.0f} MiB; at {RATE} q/s CPU {busy:.1f}% p99 {fixed['p99_us']:.0f}us", flush=True)
    on = [r for r in rows if r[0]]
    off = [r for r in rows if not r[0]]

    def med(xs, fmt="{:.0f}"):
        """The median, and the range when there is more than one figure."""
        xs = sorted(xs)
        m = xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
        return fmt.format(m) + (f" ({fmt.format(xs[0])}–{fmt.format(xs[-1])})" if len(xs) > 1 else "")

    pct = "{:.1f}%"
    summary = (f"10,000 targets at 1 s, medians (ranges) of {ROUNDS} rounds: prober CPU {med([r[1] for r in on], pct)} of a core, "
          f"PSS {med([r[2] for r in on])} MiB (without checks {med([r[2] for r in off])} MiB); "
          f"DNS CPU at {RATE} q/s: {med([r[3] - r[1] for r in on], pct)} with probing (prober share subtracted) "
          f"vs {med([r[3] - r[1] for r in off], pct)} without; p99 {med([r[4] for r in on])} us vs {med([r[4] for r in off])} us")
    print("\n" + summary)
    out = os.path.join(bench.ROOT, "bench", "results", time.strftime("%Y-%m-%d-%H%M-prober.md", time.gmtime()))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        f.write(f"# rrdns prober benchmark, {time.strftime('%Y-%m-%d', time.gmtime())}\n\nServer on CPU {bench.SERVER_CPU}; "
                f"runs interleaved (without, with checks, {ROUNDS} times), {SECONDS} s each.\n\n" + summary + "\n")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
