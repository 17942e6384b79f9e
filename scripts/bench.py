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

from bench_hold import IdleSessions

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


def _stat(pid):
    """(ppid, own CPU seconds, reaped children's CPU seconds) of a process, from /proc/PID/stat."""
    try:
        text = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) "
    tick = os.sysconf("SC_CLK_TCK")
    own = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    children = (int(fields[13]) + int(fields[14])) / tick  # cutime, cstime
    return int(fields[1]), own, children


def process_tree_cpu(root):
    """CPU seconds spent so far by a server: its root process, every living descendant, and the
    descendants that have exited and been reaped (their time is in their parent's cutime/cstime).
    Read from the server's own processes, so it does not depend on what else the machine does."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st:
                stats[int(entry)] = st
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _, _) in stats.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return sum(stats[pid][1] + stats[pid][2] for pid in tree if pid in stats)


class Postern:
    name = "Postern"
    scenarios = "abcd"

    def __init__(self, bindir, work, cert, key):
        self.bin = bindir
        self.home = os.path.join(work, "postern")
        self.port = free_port()
        self.proc = None
        # IMPORT reads names inside HOME/configuration only.
        os.makedirs(os.path.join(self.home, "configuration"))
        for path in (cert, key):
            shutil.copy(path, os.path.join(self.home, "configuration"))
        self.cli(f"certconfig certificate import Bench {os.path.basename(cert)} {os.path.basename(key)}; "
                 f"listenerconfig edit InboundMail certificate Bench; "
                 f"listenerconfig edit InboundMail interface Loopback smtp {self.port}; "
                 f"listenerconfig edit InboundMail limits 20000 1024; "
                 f"listenerconfig edit InboundMail hostaccess default --tls=preferred --max_conn=20000 "
                 f"--max_msgs=1000000 --max_rcpt=100; "
                 f"listenerconfig setup --max_connections=20000 --max_tls_connections=20000; "
                 f"sslconfig inbound tlsv1.2/tlsv1.3 {CIPHERS} "
                 f"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256; "
                 f"suspenddel; commit bench Y")

    def cli(self, commands):
        return run(os.path.join(self.bin, "postern"), "--home", self.home, "-c", commands)

    def start(self):
        self.proc = subprocess.Popen([os.path.join(self.bin, "posternd"), "--home", self.home],
                                     stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.home, "bench.log"), "a"))
        wait_port(self.port)

    def pid(self):
        return self.proc.pid

    def between_rounds(self):
        pass

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
            self.proc = None

    def reload_once(self, i):
        self.cli(f'listenerconfig edit InboundMail limits {9000 + i} 1024; commit "reload {i}" Y')


class Postfix:
    name = "Postfix"
    scenarios = "abcd"

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
# As deployed, with qmgr running; every accepted message goes to the hold queue (Postern's
# delivery is suspended the same way), and the hold queue is emptied between rounds.
smtpd_recipient_restrictions = check_recipient_access static:HOLD
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
# Scenario (e) holds 1,000 idle sessions, a process each, beside the 50 of the load.
default_process_limit = 1200
smtpd_tls_security_level = may
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_ciphers = high
tls_high_cipherlist = {CIPHERS}
tls_preempt_cipherlist = yes
# Resumption as Postern has it: a server-side session cache beside the tickets (whose keys
# tlsmgr rotates), for an hour.
smtpd_tls_session_cache_database = btree:{data}/smtpd_scache
smtpd_tls_session_cache_timeout = 3600s
# Held messages never pass through qmgr, which hands out cleanup's flow-control tokens only
# for the messages it takes from the incoming queue: without this each message waits 1 s.
in_flow_delay = 0
maillog_file = {self.dir}/maillog
maillog_file_prefixes = {self.dir}
""")
        # The daemons a deployed Postfix runs for SMTP reception, qmgr among them.
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(f"""127.0.0.1:{self.port} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
retry     unix - - n - - error
error     unix - - n - - error
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

    def pid(self):
        return int(open(os.path.join(self.dir, "queue", "pid", "master.pid")).read().split()[0])

    def between_rounds(self):
        # Each round adds thousands of held messages; a deployed Postfix would not keep them.
        subprocess.run(["postsuper", "-c", self.etc, "-d", "ALL", "hold"], capture_output=True, env=self.env)

    def stop(self):
        self.postfix("stop")
        time.sleep(1)

    def reload_once(self, i):
        self.postfix("reload")


class Nginx:
    """nginx's mail module as a STARTTLS server: C, event-driven, on the same OpenSSL. Only the
    handshake scenario runs against it (it proxies mail rather than queueing it)."""
    name = "nginx"
    scenarios = "cd"

    def __init__(self, work, cert, key):
        self.dir = os.path.join(work, "nginx")
        os.makedirs(self.dir)
        self.port = free_port()
        self.conf = os.path.join(self.dir, "nginx.conf")
        module = "/usr/lib/nginx/modules/ngx_mail_module.so"
        with open(self.conf, "w") as f:
            f.write(f"""load_module {module};
daemon on;
worker_processes {os.cpu_count()};
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 20000; }}
mail {{
    server_name bench.example;
    # Never called: the handshake scenario quits before MAIL FROM.
    auth_http 127.0.0.1:9/auth;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers {CIPHERS};
    ssl_prefer_server_ciphers on;
    ssl_session_cache shared:MAIL:10m;
    ssl_session_tickets on;
    ssl_session_timeout 1h;
    server {{
        listen 127.0.0.1:{self.port};
        protocol smtp;
        smtp_auth none;
        starttls on;
    }}
}}
""")

    def start(self):
        result = subprocess.run(["nginx", "-e", os.path.join(self.dir, "error.log"), "-p", self.dir,
                                 "-c", self.conf], capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit("nginx did not start: " + result.stderr)
        wait_port(self.port)

    def pid(self):
        return int(open(os.path.join(self.dir, "nginx.pid")).read())

    def between_rounds(self):
        pass

    def stop(self):
        subprocess.run(["nginx", "-e", os.path.join(self.dir, "error.log"), "-p", self.dir, "-c", self.conf,
                        "-s", "stop"], capture_output=True)
        time.sleep(0.5)


def load(bindir, server, seconds, messages, starttls, connections=50, reuse=False):
    """The generator's report, plus `server_cpu_seconds`: the CPU the server's own processes
    spent during the run (/proc/PID/stat of the server's process tree)."""
    before = process_tree_cpu(server.pid())
    result = _load(bindir, server.port, seconds, messages, starttls, connections, reuse)
    result["server_cpu_seconds"] = process_tree_cpu(server.pid()) - before
    return result


def _load(bindir, port, seconds, messages, starttls, connections, reuse=False):
    args = [os.path.join(bindir, "postern-load"), "--port", str(port), "--connections", str(connections),
            "--duration", str(seconds), "--messages", str(messages), "--size", "4096", "--ciphers", CIPHERS]
    if starttls:
        args.append("--starttls")
    if reuse:
        args.append("--reuse-sessions")
    return json.loads(run(*args).stdout)


def process_tree(root):
    """The pids of a process and all its living descendants."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st:
                parents[int(entry)] = st[0]
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, ppid in parents.items():
            if ppid == parent and pid not in tree:
                tree.add(pid)
                frontier.append(pid)
    return tree


def memory_bytes(root):
    """Proportional set size of a server's process tree (shared pages counted once in all),
    from /proc/PID/smaps_rollup: what the server's processes cost the machine."""
    total = 0
    for pid in process_tree(root):
        try:
            for line in open(f"/proc/{pid}/smaps_rollup"):
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def idle_sessions(server, bindir, seconds, count):
    """Scenario (e): scenario (a)'s load alone, then beside `count` idle sessions (half after
    STARTTLS). Returns the latencies of both runs and the memory the sessions cost."""
    server.between_rounds()
    quiet = load(bindir, server, seconds, 1, True)
    before = memory_bytes(server.pid())
    held = IdleSessions(server.port, count, tls_share=0.5, ciphers=CIPHERS)
    try:
        holding = memory_bytes(server.pid())
        busy = load(bindir, server, seconds, 1, True)
    finally:
        opened = len(held.sockets)
        held.close()
    return {"count": count, "opened": opened, "failed": held.failed, "bytes": holding - before,
            "quiet_p50": quiet["transaction_p50_ms"], "quiet_p99": quiet["transaction_p99_ms"],
            "busy_p50": busy["transaction_p50_ms"], "busy_p99": busy["transaction_p99_ms"],
            "busy_failed": busy["failed"]}


SCENARIOS = [
    ("a", "STARTTLS + one 4 KiB message per connection", dict(messages=1, starttls=True), "messages_per_second"),
    ("b", "plaintext, 10 messages of 4 KiB per connection", dict(messages=10, starttls=False), "messages_per_second"),
    ("c", "TLS handshakes only (EHLO, STARTTLS, QUIT)", dict(messages=0, starttls=True), "handshakes_per_second"),
    ("d", "TLS handshakes resuming the session (EHLO, STARTTLS, QUIT; each client offers its last session, "
          "as Postfix's smtp_tls_session_cache_database does)", dict(messages=0, starttls=True, reuse=True),
     "handshakes_per_second"),
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
        load(bindir, server, seconds, 1, True)))
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


def print_scenarios(scenarios, servers, results, generator_cpu, unit_cpu, resumed_share, resumed_runs):
    """One table per load scenario: rate, CPU per unit from each server's own processes, and
    the per-round ratios to Postern with their range."""
    for key_, title, _, metric in scenarios:
        names = [s.name for s in servers if key_ in s.scenarios]
        unit = "handshakes/s" if metric == "handshakes_per_second" else "msg/s"
        per = "handshake" if metric == "handshakes_per_second" else "message"
        print(f"\n({key_}) {title}; generator CPU {statistics.median(generator_cpu[key_]) * 100:.0f}% of the machine")
        print(f"| server | {unit} | CPU per {per} (server's own processes) | Postern/server {unit} (range) "
              f"| server/Postern CPU per {per} (range) |")
        print("|---|---|---|---|---|")
        mine, mine_cpu = results[key_]["Postern"], unit_cpu[key_]["Postern"]
        for name in names:
            rate, cost = results[key_][name], unit_cpu[key_][name]
            line = f"| {name} | {statistics.median(rate):.0f} | {statistics.median(cost) * 1e6:.0f} µs |"
            if name == "Postern":
                line += " | |"
            else:
                ratios = [a / b for a, b in zip(mine, rate) if b]
                costs = [b / a for a, b in zip(mine_cpu, cost) if a]
                line += (f" {statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f}) |"
                         f" {statistics.median(costs):.2f} ({min(costs):.2f}-{max(costs):.2f}) |")
            print(line)
        if key_ == "d":
            print("Resumed share of the handshakes (median of rounds): " + ", ".join(
                f"{name} {statistics.median(resumed_share[name]) * 100:.1f}%" for name in names
                if resumed_share[name]))
            print_resumed(names, resumed_runs, unit_cpu)


def print_resumed(names, resumed_runs, unit_cpu):
    """Each client's first connection in (d) is a full handshake. The CPU of a resumed one is
    what remains of the run's CPU once its full handshakes are counted at the same round's
    scenario (c) cost, divided by the resumed handshakes."""
    print("| server | resumed handshakes/s | CPU per resumed handshake (derived with the round's (c) cost) "
          "| server/Postern CPU per resumed handshake (range) |")
    print("|---|---|---|---|")
    derived = {}
    for name in names:
        costs = []
        for cpu, handshakes, resumed, _, round_ in resumed_runs[name]:
            full = unit_cpu["c"][name]
            if resumed and round_ < len(full):
                costs.append((cpu - (handshakes - resumed) * full[round_]) / resumed)
        derived[name] = costs
    for name in names:
        rates = [run[3] for run in resumed_runs[name]]
        if not rates:
            continue
        cost = f"{statistics.median(derived[name]) * 1e6:.0f} µs" if derived[name] else "(needs scenario c)"
        ratio = ""
        if name != "Postern" and derived[name] and derived.get("Postern"):
            ratios = [b / a for a, b in zip(derived["Postern"], derived[name]) if a > 0]
            if ratios:
                ratio = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        print(f"| {name} | {statistics.median(rates):.0f} | {cost} | {ratio} |")


def print_speed(sign, ecdh):
    print(f"\nopenssl speed ({os.cpu_count()} cores): RSA-2048 sign {sign:.0f}/s "
          f"({os.cpu_count() / sign * 1e6:.0f} µs of CPU each), X25519 {ecdh:.0f}/s.")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", metavar="SCENARIOS",
                        help="run only these of the load scenarios a-d (e.g. cd), without reloads, idle sessions, "
                             "commit latency and HAT scale")
    parser.add_argument("--rounds", type=int, help="rounds per scenario and server")
    options = parser.parse_args()
    scenarios = [s for s in SCENARIOS if not options.only or s[0] in options.only]
    # This class of machine drifts by a third over minutes (shared cores, CPU frequency): every
    # comparison is made between runs seconds apart, alternating which server goes first,
    # and the tables give the median of the per-round ratios with their spread.
    if options.quick:
        seconds, rounds, reload_seconds, reload_pairs, speed_seconds = 4, 2, 10, 1, 1
    else:
        seconds, rounds, reload_seconds, reload_pairs, speed_seconds = 8, 7, 15, 3, 3
    rounds = options.rounds or rounds
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
    nginx = Nginx(work, cert, key) if shutil.which("nginx") else None
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')} on {os.cpu_count()} cores, {cpu}; {platform.platform()}")
    print(f"# {rounds} rounds of {seconds} s per scenario and server, 50 connections; "
          f"{run('openssl', 'version').stdout.strip()}")
    servers = [s for s in (postern, postfix, nginx)
               if s and (not options.only or any(key_ in s.scenarios for key_ in options.only))]
    results = {s[0]: {server.name: [] for server in servers} for s in SCENARIOS}
    generator_cpu = {s[0]: [] for s in SCENARIOS}
    # Scenario (d): the share of its handshakes each server resumed.
    resumed_share = {server.name: [] for server in servers}
    # Scenario (d) per round: (server CPU seconds, handshakes, resumed, resumed per second, round).
    resumed_runs = {server.name: [] for server in servers}
    # CPU per unit of work (message or handshake), from each server's own processes.
    unit_cpu = {s[0]: {server.name: [] for server in servers} for s in SCENARIOS}
    reloads = {"Postern": [], "Postfix": []}  # (without, with, failed, errors) per pair
    try:
        for server in servers:
            server.start()
        for round_ in range(rounds):
            for key_, _, args, metric in scenarios:
                # nginx proxies mail instead of queueing it: it takes part in the handshake scenario only.
                runners = [s for s in servers if key_ in s.scenarios]
                for server in runners if round_ % 2 == 0 else reversed(runners):
                    server.between_rounds()
                    r = load(options.bin, server, seconds, **args)
                    if r["failed"]:
                        print(f"  ! {server.name} scenario {key_}: {r['errors']}", file=sys.stderr)
                    results[key_][server.name].append(r[metric])
                    generator_cpu[key_].append(r["generator_cpu_share"])
                    units = r["handshakes"] if metric == "handshakes_per_second" else r["messages"]
                    if args.get("reuse") and r["handshakes"]:
                        resumed_share[server.name].append(r["resumed"] / r["handshakes"])
                        resumed_runs[server.name].append((r["server_cpu_seconds"], r["handshakes"], r["resumed"],
                                                          r["resumed_per_second"], round_))
                    if units:
                        unit_cpu[key_][server.name].append(r["server_cpu_seconds"] / units)
        if nginx:
            nginx.stop()
        sign, ecdh = crypto_ceiling(speed_seconds)
        if not options.only:
            # Each run with reloads is paired with one without, just before or after it.
            for pair in range(reload_pairs):
                for server in (postern, postfix):
                    server.between_rounds()
                    quiet_first = pair % 2 == 0
                    quiet = load(options.bin, server, reload_seconds, 1, True) if quiet_first else None
                    busy = under_reloads(server, options.bin, reload_seconds, 20)
                    if not quiet_first:
                        quiet = load(options.bin, server, reload_seconds, 1, True)
                    reloads[server.name].append((quiet["messages_per_second"], busy["messages_per_second"],
                                                 busy["failed"], busy["errors"]))
            # Postfix holds a process per session: 1,000 of them show its cost per session without
            # filling this machine's memory with 10,000.
            idle = {"Postern": idle_sessions(postern, options.bin, seconds, 2000 if options.quick else 10_000),
                    "Postfix": idle_sessions(postfix, options.bin, seconds, 200 if options.quick else 1000)}
            postfix.stop()
            latencies = commit_latency(postern, 3 if options.quick else 7)
    finally:
        for server in servers:
            server.stop()
    if options.only:
        print_scenarios(scenarios, servers, results, generator_cpu, unit_cpu, resumed_share, resumed_runs)
        print_speed(sign, ecdh)
        shutil.rmtree(work, ignore_errors=True)
        return
    hat = json.loads(run(os.path.join(options.bin, "postern-hatbench"),
                         "200000" if options.quick else "1000000").stdout)

    print_scenarios(scenarios, servers, results, generator_cpu, unit_cpu, resumed_share, resumed_runs)
    print_speed(sign, ecdh)
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
    print("\n(e) idle sessions (half in plaintext after EHLO, half after STARTTLS) held beside scenario (a)'s load")
    print("| server | idle sessions held | memory per idle session (PSS of its processes) | load p50/p99 without "
          "| load p50/p99 with | failed transactions with |")
    print("|---|---|---|---|---|---|")
    for name, e in idle.items():
        per = e["bytes"] / e["opened"] / 1024 if e["opened"] else 0
        print(f"| {name} | {e['opened']} of {e['count']} | {per:.1f} KiB | {e['quiet_p50']:.1f} / {e['quiet_p99']:.1f} ms "
              f"| {e['busy_p50']:.1f} / {e['busy_p99']:.1f} ms | {e['busy_failed']} |")
    print(f"\nCommit latency at 10,000 sender-group entries (postern -c start to the engine applying it): "
          f"median {statistics.median(latencies):.0f} ms, max {max(latencies):.0f} ms over {len(latencies)} commits.")
    print(f"\nHAT scale, {hat['entries']} entries (addresses, CIDRs, ranges) in {hat['groups']} groups: compile "
          f"{hat['compile_seconds'] * 1000:.0f} ms, compiled tables {hat['compiled_bytes'] / 1e6:.1f} MB "
          f"(RSS +{hat['rss_growth_bytes'] / 1e6:.1f} MB); over {hat['lookups']} lookups each timed alone, "
          f"median {hat['lookup_median_ns']:.0f} ns, p99 {hat['lookup_p99_ns']:.0f} ns "
          f"(clock reading of {hat['clock_ns']:.0f} ns subtracted); parsing the entries took "
          f"{hat['parse_seconds']:.1f} s.")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
