#!/usr/bin/env python3
"""rrdns against NSD, Knot and gdnsd on this machine, in one run, as ratios.

Every server serves the same zone on 127.0.0.1, pinned to CPU 1; dnsperf is pinned to
CPU 0. Runs are interleaved (round-robin over the servers, ROUNDS times, the order rotated
by one each round: the first server of a round measured worse in paired runs) and medians
are reported; each ratio is the median of the rounds' own ratios, with a 90 % interval
(bench/stats.py), because these machines are shared and noisy.

Measures: server CPU share and p50/p99 latency at a fixed rate, QPS at saturation with
lost queries, pipelined TCP QPS, and the load time and memory (PSS) of a 1,000,000-record
zone. Writes bench/results/<date>.md (.svg, .json) and prints the table.

Usage: bench/run.sh   (see bench/README.md)
       python3 bench/bench.py pool bench/results/A.json bench/results/B.json ...
       python3 bench/bench.py table bench/results/A.json ...   (a run's table again, from its rounds)
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

import chart  # noqa: E402  (bench/chart.py, beside this file)
from stats import MIN_ROUNDS, median, paired_ratio, verdict  # noqa: E402  (bench/stats.py)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RATE = int(os.environ.get("RATE", "50000"))
SECONDS = int(os.environ.get("SECONDS_PER_RUN", "10"))
ROUNDS = int(os.environ.get("ROUNDS", "8"))  # MIN_ROUNDS or more, so that a ratio has an interval
BIG = int(os.environ.get("BIG_RECORDS", "1000000"))
SERVER_CPU = os.environ.get("SERVER_CPU", "1")
CLIENT_CPU = os.environ.get("CLIENT_CPU", "0")
HZ = os.sysconf("SC_CLK_TCK")
SERVERS = ["rrdns", "nsd", "knot", "gdnsd"]


def zone_text(origin, extra_records):
    lines = [
        "$TTL 300",
        f"@ SOA ns1.{origin} hostmaster.{origin} 1 3600 600 86400 60",
        f"@ NS ns1.{origin}",
        "ns1 A 192.0.2.53",
        "www A 192.0.2.10", "www A 192.0.2.11", "www A 192.0.2.12", "www A 192.0.2.13",
        "api A 192.0.2.20", "api A 192.0.2.21",
        "host A 192.0.2.30", "host AAAA 2001:db8::30",
        "v6 AAAA 2001:db8::40",
        "mail A 192.0.2.25",
        "@ MX 10 mail",
        "sub NS ns.sub", "ns.sub A 192.0.2.99",
    ]
    lines += extra_records
    return "\n".join(lines) + "\n"


def queries(origin):
    """The bench mix: balanced names, plain A, AAAA, NXDOMAIN, NODATA, referrals."""
    mix = [
        ("www", "A", 30), ("api", "A", 10), ("host", "A", 15), ("host", "AAAA", 10),
        ("v6", "AAAA", 5), ("mail", "A", 5), ("@", "MX", 5),
        ("nx{i}", "A", 10), ("host", "TXT", 5), ("x{i}.sub", "A", 5),
    ]
    out = []
    for i in range(200):
        for name, qtype, weight in mix:
            for _ in range(weight):
                n = origin if name == "@" else f"{name.format(i=i)}.{origin}"
                out.append(f"{n} {qtype}")
    return "\n".join(out) + "\n"


def big_records(n):
    return [f"h{i} A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" for i in range(n)]


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (probes leave many TCP ports busy)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue


def configure(server, work, zone_name, zone_file, port):
    """Writes the server's configuration; returns the command line."""
    d = os.path.join(work, server)
    os.makedirs(d, exist_ok=True)
    if server == "rrdns":
        cfg = os.path.join(d, "rrdns.yaml")
        with open(cfg, "w") as f:
            f.write(f'listen: ["127.0.0.1:{port}"]\nstate_dir: {d}/state\n'
                    f"zones: [{{ name: {zone_name}, file: {zone_file} }}]\n")
        return [os.path.join(ROOT, "target/release/rrdns"), "serve", "-c", cfg]
    if server == "nsd":
        cfg = os.path.join(d, "nsd.conf")
        with open(cfg, "w") as f:
            f.write(f'server:\n  ip-address: 127.0.0.1\n  port: {port}\n  do-ip6: no\n  username: ""\n'
                    f'  chroot: ""\n  zonesdir: "{d}"\n  pidfile: "{d}/nsd.pid"\n  database: ""\n'
                    f'  zonelistfile: "{d}/zone.list"\n  xfrdfile: "{d}/xfrd.state"\n  xfrdir: "{d}"\n'
                    f"  server-count: 1\n  rrl-ratelimit: 0\n  verbosity: 0\n"
                    f"remote-control:\n  control-enable: no\nzone:\n  name: {zone_name}\n  zonefile: {zone_file}\n")
        return ["nsd", "-d", "-c", cfg]
    if server == "knot":
        cfg = os.path.join(d, "knot.conf")
        with open(cfg, "w") as f:
            f.write(f"server:\n    listen: 127.0.0.1@{port}\n    rundir: {d}\n    udp-workers: 1\n"
                    f"    tcp-workers: 1\n    background-workers: 1\ndatabase:\n    storage: {d}\n"
                    f"log:\n  - target: stderr\n    any: error\n"
                    f"zone:\n  - domain: {zone_name}\n    file: {zone_file}\n    zonefile-sync: -1\n"
                    f"    journal-content: none\n")
        return ["knotd", "-c", cfg]
    if server == "gdnsd":
        os.makedirs(os.path.join(d, "zones"), exist_ok=True)
        shutil.copy(zone_file, os.path.join(d, "zones", zone_name.rstrip(".")))
        with open(os.path.join(d, "config"), "w") as f:
            f.write(f"options => {{\n  listen => [ 127.0.0.1 ]\n  dns_port => {port}\n"
                    f"  udp_threads => 1\n  tcp_threads => 1\n}}\n")
        return ["gdnsd", "-c", d, "start"]
    raise ValueError(server)


def answers(port, name):
    """True once the server answers `name` A on UDP."""
    q = bytearray(b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00")
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00\x00\x01\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.05)
        try:
            s.sendto(q, ("127.0.0.1", port))
            data = s.recv(4096)
            return data[:2] == b"\x12\x34" and (data[3] & 0x0F) == 0
        except OSError:
            return False


class Running:
    def __init__(self, server, work, zone_name, zone_file, probe_name):
        self.port = free_port()
        cmd = ["taskset", "-c", SERVER_CPU] + configure(server, work, zone_name, zone_file, self.port)
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env=dict(os.environ, RRDNS_LOG="error"))
        deadline = self.started + 120
        while not answers(self.port, probe_name):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{server} did not start ({' '.join(cmd)})")
            time.sleep(0.01)
        self.load_seconds = time.monotonic() - self.started
        # Knot pins its UDP worker to a CPU of its own choosing (CPU 0, dnsperf's, here),
        # overriding taskset; put every thread of every server back on the server's CPU.
        for pid in self.tree():
            subprocess.run(["taskset", "-a", "-p", "-c", SERVER_CPU, str(pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def tree(self):
        """The server and every process it forked (NSD answers from child processes)."""
        parents = {}
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open(f"/proc/{p}/stat") as f:
                        parents[int(p)] = int(f.read().rsplit(")", 1)[1].split()[1])
                except OSError:
                    pass
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo += [c for c, pp in parents.items() if pp == pid]
        return out

    def cpu_ticks(self):
        total = 0
        for pid in self.tree():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime, all threads
            except OSError:
                pass
        return total

    def measured(self, run):
        """run()'s result and the server's CPU share (0..1) while it ran."""
        t0, w0 = self.cpu_ticks(), time.monotonic()
        out = run()
        return out, (self.cpu_ticks() - t0) / HZ / (time.monotonic() - w0)

    def pss_mib(self):
        total = 0
        for pid in self.tree():
            try:
                with open(f"/proc/{pid}/smaps_rollup") as f:
                    total += sum(int(l.split()[1]) for l in f if l.startswith("Pss:"))
            except OSError:
                pass
        return total / 1024

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def dnsperf(port, qfile, extra, verbose=False):
    cmd = ["taskset", "-c", CLIENT_CPU, "dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile,
           "-l", str(SECONDS)] + extra + (["-v"] if verbose else [])
    # To a file, read once dnsperf is done: read from a pipe, dnsperf's -v output (a line
    # per query) kept this script busy during the run, often on the server's CPU.
    with tempfile.TemporaryFile("w+") as f:
        subprocess.run(cmd, stdout=f, stderr=subprocess.DEVNULL)
        f.seek(0)
        out = f.read()
    sent = int(re.search(r"Queries sent:\s+(\d+)", out).group(1))
    lost = int(re.search(r"Queries lost:\s+(\d+)", out).group(1))
    qps = float(re.search(r"Queries per second:\s+([\d.]+)", out).group(1))
    lat = sorted(float(m) for m in re.findall(r"^> \S+ .* ([\d.]+)$", out, re.M)) if verbose else []
    pct = (lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1e6) if lat else (lambda p: float("nan"))
    return {"sent": sent, "lost": lost, "qps": qps, "p50_us": pct(0.50), "p99_us": pct(0.99)}


def rotated(rnd):
    """The servers in the order of round `rnd`: each goes first in turn."""
    k = rnd % len(SERVERS)
    return SERVERS[k:] + SERVERS[:k]


def main():
    if sys.argv[1:2] == ["pool"]:
        return pool(sys.argv[2:])
    if sys.argv[1:2] == ["table"]:
        return table(sys.argv[2:])
    # This script stays off the server's CPU; the servers are started on theirs by taskset.
    os.sched_setaffinity(0, {int(CLIENT_CPU)})
    for tool in ["dnsperf", "nsd", "knotd", "gdnsd", "taskset"]:
        if not shutil.which(tool):
            sys.exit(f"missing {tool}: apt-get install dnsperf nsd knot gdnsd util-linux")
    if not os.path.exists(os.path.join(ROOT, "target/release/rrdns")):
        sys.exit("build first: cargo build --release")
    work = tempfile.mkdtemp(prefix="rrdns-bench-")
    origin = "bench.test."
    zfile = os.path.join(work, "bench.zone")
    with open(zfile, "w") as f:
        f.write(zone_text(origin, []))
    qfile = os.path.join(work, "queries.txt")
    with open(qfile, "w") as f:
        f.write(queries(origin))
    results = {s: {"cpu": [], "p50": [], "p99": [], "lost_fixed": [], "sat": [], "sat_cpu": [], "sat_us": [], "lost_sat": [], "tcp": []} for s in SERVERS}
    os.sync()
    # Round 0 is a warm-up: measured like the others, then dropped. With only a 3 s fixed-rate
    # run of each server as warm-up, round 1 still measured worse in three runs of four: in
    # 2026-12-01-0216 every server's p99 was about twice its later rounds', and rrdns's, whose
    # run is the first of round 1, was 0.31, 0.30 and 4.1 ms in 0216, 0235 and 0359 against
    # 0.1-0.5 ms in its other rounds.
    for rnd in range(-1, ROUNDS):
        for s in rotated(rnd):
            r = Running(s, work, origin, zfile, "www." + origin)
            fixed, share = r.measured(lambda: dnsperf(r.port, qfile, ["-Q", str(RATE), "-c", "4"], verbose=True))
            sat, sat_share = r.measured(lambda: dnsperf(r.port, qfile, ["-c", "8", "-q", "500"]))
            tcp = dnsperf(r.port, qfile, ["-m", "tcp", "-c", "8", "-q", "200"])
            r.stop()
            print(f"{'warm-up' if rnd < 0 else f'round {rnd + 1}'} {s}: cpu {share * 100:.1f}% p50 {fixed['p50_us']:.0f}us "
                  f"p99 {fixed['p99_us']:.0f}us sat {sat['qps']:.0f} q/s at cpu {sat_share * 100:.0f}% lost {sat['lost']} tcp {tcp['qps']:.0f} q/s",
                  flush=True)
            if rnd < 0:
                continue
            res = results[s]
            res["cpu"].append(share * 100)
            res["p50"].append(fixed["p50_us"])
            res["p99"].append(fixed["p99_us"])
            res["lost_fixed"].append(fixed["lost"])
            res["sat"].append(sat["qps"])
            res["sat_cpu"].append(sat_share * 100)
            res["sat_us"].append(sat_share * 1e6 / sat["qps"] if sat["qps"] else float("nan"))
            res["lost_sat"].append(sat["lost"])
            res["tcp"].append(tcp["qps"])
    big = os.path.join(work, "big.zone")
    with open(big, "w") as f:
        f.write(zone_text("big.test.", big_records(BIG)))
    for s in SERVERS:
        results[s]["load"], results[s]["pss"] = [], []
    for rnd in range(max(1, ROUNDS - 1)):
        for s in rotated(rnd):
            r = Running(s, work, "big.test.", big, f"h{BIG - 1}.big.test.")
            time.sleep(1)
            results[s]["load"].append(r.load_seconds)
            results[s]["pss"].append(r.pss_mib())
            r.stop()
            print(f"1M zone {s}: first answer after {r.load_seconds:.2f}s, PSS {results[s]['pss'][-1]:.0f} MiB", flush=True)
    stem = results_stem()
    run = {"machine": machine_line(), "rounds": ROUNDS, "seconds": SECONDS, "rate": RATE, "big": BIG, "results": results}
    # Every round's figures, so that runs can be pooled later (`bench.py pool`).
    with open(stem + ".json", "w") as f:
        json.dump(run, f, indent=1)
    report_run(run, stem)
    shutil.rmtree(work, ignore_errors=True)


def pool(files):
    """One table from the rounds of several runs' .json files, taken on the same machine."""
    if not files:
        sys.exit("usage: bench.py pool bench/results/A.json bench/results/B.json ...")
    runs = []
    for path in files:
        with open(path) as f:
            runs.append(json.load(f))
    if len({r["machine"] for r in runs}) != 1:
        sys.exit("these runs were taken on different machines or peer versions; "
                 "ratios are comparable only within one machine")
    if len({tuple(settings(r).items()) for r in runs}) != 1:
        sys.exit("these runs were taken with different settings (RATE or BIG_RECORDS)")
    results = {s: {} for s in SERVERS}
    for run in runs:
        # Each run holds as many rounds of every server, so concatenating keeps round i of
        # rrdns beside round i of each peer (stats.paired_ratio compares them in pairs).
        for s in SERVERS:
            for key, values in run["results"][s].items():
                results[s].setdefault(key, []).extend(values)
    n = len(results["rrdns"]["cpu"])
    names = ", ".join(os.path.basename(p).rsplit(".", 1)[0] for p in files)
    report(results, f"{runs[0]['machine']} Medians of {n} rounds pooled from {len(runs)} runs ({names}).",
           results_stem() + "-pooled", settings(runs[0]))


def table(files):
    """Writes each run's table and chart again from its .json, with the present statistics."""
    if not files:
        sys.exit("usage: bench.py table bench/results/A.json ...")
    for path in files:
        with open(path) as f:
            report_run(json.load(f), path.rsplit(".", 1)[0])


def report_run(run, stem):
    """The table and chart of one run, as its .json holds it."""
    n = run["rounds"]
    how = f"{run['machine']} Medians of {n} interleaved round{'s' if n != 1 else ''} of {run['seconds']} s."
    report(run["results"], how, stem, settings(run))


def settings(run):
    """The fixed rate and big-zone size a run's .json records; runs written before they were
    recorded used 50,000 q/s and 1,000,000 records."""
    return {"rate": run.get("rate", 50000), "big": run.get("big", 1000000)}


def results_stem():
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    return os.path.join(ROOT, "bench", "results", datetime.now(timezone.utc).strftime("%Y-%m-%d-%H%M"))


def versions():
    v = {}
    for name, cmd in [("nsd", ["nsd", "-v"]), ("knot", ["knotd", "-V"]), ("gdnsd", ["gdnsd", "-c", "/nonexistent", "checkconf"]),
                      ("dnsperf", ["dnsperf", "-h"])]:
        out = subprocess.run(cmd, capture_output=True, text=True)
        text = out.stdout + out.stderr
        m = re.search(r"(\d+\.\d+\.\d+)", text)
        v[name] = m.group(1) if m else "?"
    return v


def machine_line():
    v = versions()
    return (f"Machine: {os.cpu_count()} CPUs ({platform_cpu()}), server on CPU {SERVER_CPU}, dnsperf {v['dnsperf']} "
            f"on CPU {CLIENT_CPU}. Peers: NSD {v['nsd']}, Knot {v['knot']}, gdnsd {v['gdnsd']}.")


def report(results, how, stem, setting):
    rate, big = setting["rate"], setting["big"]
    zone = "1M" if big == 1000000 else f"{big:,}"
    med = {s: {k: median(v) for k, v in r.items()} for s, r in results.items()}
    rows = [
        ("server CPU at %d q/s (%%)" % rate, "cpu", "gdnsd", "<= 1.0"),
        ("p99 latency at %d q/s (us)" % rate, "p99", "gdnsd", "<= 1.0"),
        ("QPS at saturation", "sat", "nsd", ">= 1.0"),
        ("server CPU during the saturation run (%)", "sat_cpu", "nsd", "-"),
        ("server CPU per answer during the saturation run (us)", "sat_us", "nsd", "-"),
        ("TCP QPS (8 pipelined connections)", "tcp", "nsd", "-"),
        (f"{zone}-record zone: load to first answer (s)", "load", "knot", "<= 1.0"),
        (f"{zone}-record zone: PSS (MiB)", "pss", "gdnsd", "<= 1.0"),
    ]
    day = os.path.basename(stem)[:10]  # the run's own date, also when a table is written again
    lines = [
        f"# rrdns benchmark, {day}",
        "",
        how,
        "",
        "| measure | rrdns | NSD | Knot | gdnsd | ratio | 90 % interval | target | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    bars = []
    for label, key, peer, target in rows:
        ratio, low, high = paired_ratio(results["rrdns"][key], results[peer][key])
        said = verdict(ratio, low, high, target)
        if key == "sat" and said != "-" and max(results["rrdns"]["lost_sat"]) > 0:
            said = "missed (lost queries)"  # the target is the rate with nothing lost
        cells = " | ".join(f"{med[s][key]:.1f}" for s in SERVERS)
        span = f"{low:.2f}–{high:.2f}" if low == low else f"- (under {MIN_ROUNDS} rounds)"
        lines.append(f"| {label} | {cells} | rrdns/{peer} {ratio:.2f} | {span} | {target} | {said} |")
        bars.append((label, peer, ratio, target, low, high, said))
    lost = " ".join(f"{s} {int(med[s]['lost_sat'])}" for s in SERVERS)
    lines += ["", f"Lost queries at saturation (median): {lost}. At the fixed rate: "
              + " ".join(f"{s} {int(med[s]['lost_fixed'])}" for s in SERVERS) + ".",
              "", "Each server's figure is its median over the rounds. The ratio is the median over rounds of rrdns's "
              "figure divided by the peer's in the same round, so what the machine did in a round cancels; the "
              "interval is a percentile bootstrap of that median (bench/stats.py). A verdict is met or missed only when the whole interval is on "
              "one side of the target; parity means the interval holds it, so the noise of this machine "
              f"decides which side one run's ratio falls on. A run of fewer than {MIN_ROUNDS} rounds has no "
              "interval; its verdicts read the ratio alone and say so (ratio only).",
              "", "A server below about 95 % CPU during the saturation run was not the limit there: "
              "dnsperf's one core was, and the q/s compare how cheaply each server's answers reach it; "
              "the CPU per answer still compares the servers' own cost, between servers that lost alike: one that "
              "dropped part of the first burst answered the rest at less than half the CPU per answer, because "
              "dnsperf's receiver spins after a loss and the answers find it awake (bench/README.md)."]
    text = "\n".join(lines) + "\n"
    with open(stem + ".svg", "w") as f:
        f.write(chart.svg(f"rrdns / peer, {day} (log scale; 1.0 = parity; whiskers: 90 % interval)", bars))
    text += f"\n![ratios](./{os.path.basename(stem)}.svg)\n"
    with open(stem + ".md", "w") as f:
        f.write(text)
    print(text)
    print(f"written to {stem}.md and {stem}.svg")


def platform_cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


if __name__ == "__main__":
    main()
