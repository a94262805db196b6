#!/usr/bin/env python3
"""Soak: rrdns (release) under steady load for SOAK_SECONDS (default 600) while it is
reloaded every RELOAD_EVERY seconds (default 3) and, once a minute, something goes wrong in
turn: a health-checked backend flaps, the primary of a secondary zone restarts, a client
floods it with malformed and repeated queries. Reports lost queries, p99 and RSS over time.

Usage: cargo build --release && python3 bench/soak.py   (needs dnsperf and knotd)
"""

import http.server
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

SOAK = int(os.environ.get("SOAK_SECONDS", "600"))
RELOAD_EVERY = float(os.environ.get("RELOAD_EVERY", "3"))
RATE = int(os.environ.get("RATE", "20000"))
CHUNK = 10
BACKENDS = ["127.0.0.71", "127.0.0.72"]


class Health(http.server.BaseHTTPRequestHandler):
    up = {ip: True for ip in BACKENDS}

    def do_GET(self):
        ok = Health.up[self.server.server_address[0]]
        self.send_response(200 if ok else 500)
        self.end_headers()
        self.wfile.write(b"OK" if ok else b"down")

    def log_message(self, *args):
        pass


def backends(port):
    for ip in BACKENDS:
        s = http.server.ThreadingHTTPServer((ip, port), Health)
        threading.Thread(target=s.serve_forever, daemon=True).start()


def knot(work, port):
    d = os.path.join(work, "knot")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "sec.zone"), "w") as f:
        f.write("$TTL 60\n@ SOA ns h 1 1 1 3600 60\n@ NS ns\nns A 192.0.2.53\n"
                + "".join(f"h{i} A 10.0.{i // 256}.{i % 256}\n" for i in range(2000)))
    conf = os.path.join(d, "knot.conf")
    with open(conf, "w") as f:
        f.write(f"server:\n    listen: 127.0.0.1@{port}\n    rundir: {d}\ndatabase:\n    storage: {d}\n"
                f"acl:\n  - id: xfr\n    address: 127.0.0.0/8\n    action: transfer\n"
                f"zone:\n  - domain: sec.test.\n    file: {d}/sec.zone\n    acl: xfr\n")
    return ["knotd", "-c", conf]


def flood(port, n=20000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.99", 0))
    good = b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www\x05bench\x04test\x00\x00\x01\x00\x01"
    for i in range(n):
        s.sendto(good if i % 2 else good[:20], ("127.0.0.1", port))
    s.close()


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    with tempfile.TemporaryDirectory() as work:
        hport, kport, port = bench.free_port(), bench.free_port(), bench.free_port()
        backends(hport)
        kcmd = knot(work, kport)
        procs = {"primary": subprocess.Popen(kcmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)}
        zone_file = os.path.join(work, "bench.zone")
        with open(zone_file, "w") as f:
            f.write(bench.zone_text("bench.test.", []).replace(
                "www A 192.0.2.10\nwww A 192.0.2.11\nwww A 192.0.2.12\nwww A 192.0.2.13\n",
                "www A 127.0.0.71\nwww A 127.0.0.72\n"))
        cfg = os.path.join(work, "rrdns.yaml")
        with open(cfg, "w") as f:
            f.write(f'listen: ["127.0.0.1:{port}"]\nstate_dir: {work}/state\n'
                    f"zones:\n  - {{ name: bench.test., file: {zone_file} }}\n"
                    f'  - {{ name: sec.test., primaries: ["127.0.0.1:{kport}"] }}\n'
                    f"pools:\n  www.bench.test.: {{ check: web }}\n"
                    f"checks:\n  web: {{ type: http, port: {hport}, path: /, interval: 1s, timeout: 500ms, rise: 2, fall: 2 }}\n")
        server = subprocess.Popen(["taskset", "-c", bench.SERVER_CPU, os.path.join(bench.ROOT, "target/release/rrdns"),
                                   "serve", "-c", cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  env=dict(os.environ, RRDNS_LOG="warn"))
        while not bench.answers(port, "www.bench.test."):
            time.sleep(0.05)
        qfile = os.path.join(work, "queries")
        with open(qfile, "w") as f:
            f.write(bench.queries("bench.test.") + "".join(f"h{i}.sec.test. A\n" for i in range(0, 2000, 7)))
        stop = threading.Event()
        events = []

        def chaos():
            start, last_reload, minute = time.monotonic(), 0.0, -1
            faults = ["backend flaps", "primary restarts", "client floods"]
            while not stop.is_set():
                t = time.monotonic() - start
                if t - last_reload >= RELOAD_EVERY:
                    server.send_signal(signal.SIGHUP)
                    last_reload = t
                if int(t // 60) != minute and t >= 30:
                    minute = int(t // 60)
                    what = faults[minute % 3]
                    events.append((round(t), what))
                    if what == "backend flaps":
                        Health.up[BACKENDS[0]] = False
                        threading.Timer(10, lambda: Health.up.__setitem__(BACKENDS[0], True)).start()
                    elif what == "primary restarts":
                        procs["primary"].send_signal(signal.SIGTERM)
                        procs["primary"].wait()
                        procs["primary"] = subprocess.Popen(kcmd, stdout=subprocess.DEVNULL,
                                                            stderr=subprocess.DEVNULL)
                    else:
                        flood(port)
                time.sleep(0.2)

        chaos_thread = threading.Thread(target=chaos)
        chaos_thread.start()
        rows, elapsed = [], 0
        bench.SECONDS = CHUNK
        try:
            while elapsed < SOAK:
                out = bench.dnsperf(port, qfile, ["-Q", str(RATE), "-c", "4"], verbose=True)
                elapsed += CHUNK
                rows.append((elapsed, out["qps"], out["sent"], out["lost"], out["p99_us"], rss_mib(server.pid)))
                print(f"{elapsed:>5} s  {out['qps']:>8.0f} q/s  lost {out['lost']:>5}  p99 {out['p99_us']:>7.0f} µs  "
                      f"RSS {rows[-1][5]:.1f} MiB", flush=True)
        finally:
            stop.set()
            chaos_thread.join()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=10)
            procs["primary"].kill()
        sent = sum(r[2] for r in rows)
        lost = sum(r[3] for r in rows)
        print(f"\nsoak {SOAK} s at {RATE} q/s, reload every {RELOAD_EVERY} s; faults: "
              + ", ".join(f"{w} at {t} s" for t, w in events))
        print(f"lost {lost} of {sent} ({lost / max(sent, 1):.5%}); worst p99 {max(r[4] for r in rows):.0f} µs; "
              f"RSS {rows[0][5]:.1f} → {rows[-1][5]:.1f} MiB (max {max(r[5] for r in rows):.1f})")


if __name__ == "__main__":
    main()
