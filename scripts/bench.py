"""The benchmark run behind scripts/bench: Postern and Postfix on loopback with the same
certificate, ciphers and durability, driven by the same load generator (postern-load)."""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CIPHERS = "HIGH:!aNULL:!MD5"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listens on {port}")


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw)


class Postern:
    name = "Postern"

    def __init__(self, bindir, work, cert, key):
        self.bin = bindir
        self.home = os.path.join(work, "postern")
        self.port = free_port()
        self.proc = None
        self.cli(f"certconfig certificate import Bench {cert} {key}; "
                 f"listenerconfig edit InboundMail certificate Bench; "
                 f"listenerconfig edit InboundMail interface Loopback smtp {self.port}; "
                 f"listenerconfig edit InboundMail limits 10000 1024; "
                 f"listenerconfig edit InboundMail hostaccess default --tls=preferred --max_conn=10000 "
                 f"--max_msgs=1000000 --max_rcpt=100; "
                 f"listenerconfig setup --max_connections=10000 --max_tls_connections=10000; "
                 f"sslconfig inbound tlsv1.2/tlsv1.3 {CIPHERS} "
                 f"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256; "
                 f"suspenddel; commit bench Y")

    def cli(self, commands):
        return run(os.path.join(self.bin, "postern"), "--home", self.home, "-c", commands)

    def start(self):
        self.proc = subprocess.Popen([os.path.join(self.bin, "posternd"), "--home", self.home],
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.home, "bench.log"), "a"))
        wait_port(self.port)

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc = None

    def reload_once(self, i):
        self.cli(f'listenerconfig edit InboundMail limits {9000 + i} 1024; commit "reload {i}" Y')


class Postfix:
    name = "Postfix"

    def __init__(self, work, cert, key):
        self.dir = os.path.join(work, "postfix")
        self.etc = os.path.join(self.dir, "etc")
        os.makedirs(self.etc)
        self.port = free_port()
        queue = os.path.join(self.dir, "queue")
        data = os.path.join(self.dir, "data")
        os.makedirs(data)
        os.makedirs(queue)
        shutil.chown(data, "postfix")
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(f"""compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
mail_owner = postfix
setgid_group = postdrop
myhostname = bench.example
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 400
smtpd_tls_security_level = may
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_ciphers = high
tls_high_cipherlist = {CIPHERS}
tls_preempt_cipherlist = yes
# Queue-only has no qmgr to hand out flow-control tokens; without this each message waits 1 s.
in_flow_delay = 0
maillog_file = {self.dir}/maillog
maillog_file_prefixes = {self.dir}
""")
        # Queue only, like Postern with delivery suspended: no qmgr, no pickup.
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(f"""127.0.0.1:{self.port} inet n - n - - smtpd
cleanup   unix n - n - 0 cleanup
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
proxymap  unix - - n - - proxymap
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
""")
        self.env = dict(os.environ, MAIL_CONFIG=self.etc)

    def postfix(self, *args):
        return subprocess.run(["postfix", "-c", self.etc, *args], capture_output=True, text=True, env=self.env)

    def start(self):
        self.postfix("check")
        result = self.postfix("start")
        if result.returncode != 0:
            # postfix(1) says why on a terminal only; its log file has the rest.
            log = open(os.path.join(self.dir, "maillog")).read()[-2000:] if os.path.exists(
                os.path.join(self.dir, "maillog")) else ""
            raise SystemExit("postfix did not start (run `postfix -c " + self.etc + " start` on a terminal to see why)\n"
                             + result.stderr + log)
        wait_port(self.port)

    def stop(self):
        self.postfix("stop")
        time.sleep(1)

    def reload_once(self, i):
        self.postfix("reload")


def busy_seconds():
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    fields = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def load(bindir, port, seconds, messages, starttls, connections=50):
    """The generator's report, plus `server_cpu_share`: the machine's busy time that was not
    the generator's, as a share of all cores (the server and the kernel working for it)."""
    busy = busy_seconds()
    result = _load(bindir, port, seconds, messages, starttls, connections)
    cores = os.cpu_count()
    machine = (busy_seconds() - busy) / (result["elapsed"] * cores)
    result["server_cpu_share"] = max(0.0, machine - result["generator_cpu_share"])
    return result


def _load(bindir, port, seconds, messages, starttls, connections):
    args = [os.path.join(bindir, "postern-load"), "--port", str(port), "--connections", str(connections),
            "--duration", str(seconds), "--messages", str(messages), "--size", "4096", "--ciphers", CIPHERS]
    if starttls:
        args.append("--starttls")
    return json.loads(run(*args).stdout)


SCENARIOS = [
    ("a", "STARTTLS + one 4 KiB message per connection", dict(messages=1, starttls=True), "messages_per_second"),
    ("b", "plaintext, 10 messages of 4 KiB per connection", dict(messages=10, starttls=False), "messages_per_second"),
    ("c", "TLS handshakes only (EHLO, STARTTLS, QUIT)", dict(messages=0, starttls=True), "handshakes_per_second"),
]


def crypto_ceiling(seconds):
    cores = os.cpu_count()
    rsa = run("openssl", "speed", "-seconds", str(seconds), "-multi", str(cores), "rsa2048").stdout
    x25519 = run("openssl", "speed", "-seconds", str(seconds), "-multi", str(cores), "ecdhx25519").stdout
    sign = float(re.search(r"rsa 2048 bits\s+\S+\s+\S+\s+([\d.]+)", rsa).group(1))
    ecdh = float(re.search(r"X25519\)\s+\S+\s+([\d.]+)", x25519).group(1))
    return sign, ecdh


def under_reloads(server, bindir, seconds, reloads):
    """Scenario (a) while `reloads` configuration reloads happen; the generator's result."""
    result = {}
    worker = threading.Thread(target=lambda: result.update(
        load(bindir, server.port, seconds, 1, True)))
    worker.start()
    time.sleep(seconds * 0.15)
    spacing = seconds * 0.7 / reloads
    for i in range(reloads):
        started = time.time()
        server.reload_once(i)
        time.sleep(max(0, spacing - (time.time() - started)))
    worker.join()
    return result


def commit_latency(postern, runs):
    """Commit time at 10,000 sender-group entries (postern -c start to the engine applying it)."""
    lines = ["$BENCH", "    ACCEPT", "BIG:"]
    for i in range(10_000):
        lines.append(f"    10.{i // 256 % 256}.{i % 256}.0/24")
    lines += ["        $BENCH (10,000 entries)", "ALL", "    $BENCH"]
    os.makedirs(os.path.join(postern.home, "configuration"), exist_ok=True)
    with open(os.path.join(postern.home, "configuration", "big-hat.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    postern.cli('listenerconfig edit InboundMail hostaccess import big-hat.txt; commit "10k entries" Y')
    times = []
    for i in range(runs):
        started = time.time()
        postern.cli(f'listenerconfig edit InboundMail limits {8000 + i} 1024; commit "x{i}" Y')
        times.append((time.time() - started) * 1000)
    status = json.load(open(os.path.join(postern.home, "run", "status.json")))
    assert status["lastReload"]["outcome"] == "applied", status
    return times


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    # This class of machine drifts by a third over minutes (shared cores, CPU frequency): every
    # comparison is made between runs seconds apart, alternating which server goes first,
    # and the tables give the median of the per-round ratios with their spread.
    if options.quick:
        seconds, rounds, reload_seconds, reload_pairs, speed_seconds = 4, 2, 10, 1, 1
    else:
        seconds, rounds, reload_seconds, reload_pairs, speed_seconds = 8, 7, 15, 3, 3
    if os.geteuid() != 0:
        raise SystemExit("scripts/bench runs Postfix, which needs root.")
    work = tempfile.mkdtemp(prefix="postern-bench-")
    os.chmod(work, 0o755)
    cert, key = os.path.join(work, "bench.crt"), os.path.join(work, "bench.key")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
        "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost")
    os.chmod(key, 0o644)  # Postfix reads it as its own user
    postern = Postern(options.bin, work, cert, key)
    postfix = Postfix(work, cert, key)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')} on {os.cpu_count()} cores, {cpu}; {platform.platform()}")
    print(f"# {rounds} rounds of {seconds} s per scenario and server, 50 connections")
    results = {s[0]: {"Postern": [], "Postfix": []} for s in SCENARIOS}
    generator_cpu = {s[0]: [] for s in SCENARIOS}
    server_cpu = {s[0]: {"Postern": [], "Postfix": []} for s in SCENARIOS}
    reloads = {"Postern": [], "Postfix": []}  # (without, with, failed, errors) per pair
    try:
        for server in (postern, postfix):
            server.start()
        for round_ in range(rounds):
            for key_, _, args, metric in SCENARIOS:
                for server in (postern, postfix) if round_ % 2 == 0 else (postfix, postern):
                    r = load(options.bin, server.port, seconds, **args)
                    if r["failed"]:
                        print(f"  ! {server.name} scenario {key_}: {r['errors']}", file=sys.stderr)
                    results[key_][server.name].append(r[metric])
                    generator_cpu[key_].append(r["generator_cpu_share"])
                    server_cpu[key_][server.name].append(r["server_cpu_share"])
        sign, ecdh = crypto_ceiling(speed_seconds)
        # Each run with reloads is paired with one without, just before or after it.
        for pair in range(reload_pairs):
            for server in (postern, postfix):
                quiet_first = pair % 2 == 0
                quiet = load(options.bin, server.port, reload_seconds, 1, True) if quiet_first else None
                busy = under_reloads(server, options.bin, reload_seconds, 20)
                if not quiet_first:
                    quiet = load(options.bin, server.port, reload_seconds, 1, True)
                reloads[server.name].append((quiet["messages_per_second"], busy["messages_per_second"],
                                             busy["failed"], busy["errors"]))
        postfix.stop()
        latencies = commit_latency(postern, 3 if options.quick else 7)
    finally:
        postern.stop()
        postfix.stop()
    hat = json.loads(run(os.path.join(options.bin, "postern-hatbench"),
                         "200000" if options.quick else "1000000").stdout)

    print()
    print("| scenario | Postern | Postfix | Postern/Postfix (range over rounds) | generator CPU |")
    print("|---|---|---|---|---|")
    for key_, title, _, metric in SCENARIOS:
        mine, theirs = results[key_]["Postern"], results[key_]["Postfix"]
        ratios = [a / b for a, b in zip(mine, theirs)]
        unit = "handshakes/s" if metric == "handshakes_per_second" else "msg/s"
        print(f"| ({key_}) {title} | {statistics.median(mine):.0f} {unit} | {statistics.median(theirs):.0f} {unit} | "
              f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) | "
              f"{statistics.median(generator_cpu[key_]) * 100:.0f}% |")
    c = statistics.median(results["c"]["Postern"])
    print(f"\nCrypto ceiling ({os.cpu_count()} cores, openssl speed): RSA-2048 sign {sign:.0f}/s, X25519 {ecdh:.0f}/s; "
          f"scenario (c) is {c / sign * 100:.0f}% of the RSA-2048 sign ceiling.")
    for name in ("Postern", "Postfix"):
        per_handshake = [share * os.cpu_count() / rate
                         for share, rate in zip(server_cpu["c"][name], results["c"][name]) if rate > 0]
        share = statistics.median(server_cpu["c"][name])
        cost = statistics.median(per_handshake)
        print(f"{name} in (c) used {share * 100:.0f}% of the machine: {cost * 1e6:.0f} µs of CPU per handshake "
              f"against {os.cpu_count() / sign * 1e6:.0f} µs for one RSA-2048 signature "
              f"({os.cpu_count() / sign / cost * 100:.0f}% of the ceiling for the CPU it used).")
    print("\n| 20 reloads during scenario (a): Postern commits, `postfix reload` | failed transactions "
          "| msg/s with reloads | msg/s without, same pair | dip (median of pairs) |")
    print("|---|---|---|---|---|")
    for name, pairs in reloads.items():
        failed = sum(p[2] for p in pairs)
        errors = {}
        for p in pairs:
            for kind, n in p[3].items():
                errors[kind] = errors.get(kind, 0) + n
        dips = [1 - busy / quiet for quiet, busy, _, _ in pairs]
        print(f"| {name} | {failed} {errors or ''} | {statistics.median(p[1] for p in pairs):.0f} | "
              f"{statistics.median(p[0] for p in pairs):.0f} | {statistics.median(dips) * 100:.0f}% |")
    print(f"\nCommit latency at 10,000 sender-group entries (postern -c start to the engine applying it): "
          f"median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms over {len(latencies)} commits.")
    print(f"\nHAT scale, {hat['entries']} entries (addresses, CIDRs, ranges) in {hat['groups']} groups: compile "
          f"{hat['compile_seconds'] * 1000:.0f} ms, compiled tables {hat['compiled_bytes'] / 1e6:.1f} MB "
          f"(RSS +{hat['rss_growth_bytes'] / 1e6:.1f} MB), lookup {hat['lookup_ns']:.0f} ns per connection "
          f"(median of {hat['lookups']} lookups; parsing the entries took {hat['parse_seconds']:.1f} s).")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
