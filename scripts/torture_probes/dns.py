"""DNS that cannot stall greetings (issue 12 §3): while 8 threads open connections from fresh
127.x addresses whose PTR queries the DNS server drops, a normal client (fresh addresses too,
PTR answered) measures its greeting latency. Target: p99 under 100 ms."""
import collections
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _engine import appliance, percentile  # noqa: E402
from dnsresponder import Responder  # noqa: E402  (Tests/e2e, put on the path by _engine)

ATTACKERS = 8
OPEN_PER_ATTACKER = 40  # stalled connections each attacker keeps open (the oldest is closed)
PACE = 0.02  # seconds between an attacker's connections: 8 x 50/s, under the accept backlog


def address(block, n):
    return f"127.{block}.{n // 250 % 250}.{n % 250 + 1}"


def probes(env):
    samples_wanted = 150 if env.quick else 600
    dns = Responder([{"name": "*.10.127.in-addr.arpa", "type": "PTR", "values": ["good.test"]},
                     {"name": "good.test", "type": "A", "values": ["127.0.0.1"]},
                     {"name": "*.in-addr.arpa", "type": "PTR", "action": "drop"}])
    box = appliance(env, ["listenerconfig edit InboundMail limits 2000 1024",
                          "listenerconfig setup --max_connections=2000 --reverse_dns_timeout=20"], dns.server)
    stop = threading.Event()
    opened = [0] * ATTACKERS

    def attack(index):
        held = collections.deque()
        n = 0
        while not stop.is_set():
            n += 1
            try:
                s = socket.create_connection(("127.0.0.1", box.port), timeout=5,
                                             source_address=(address(20 + index, n), 0))
                held.append(s)
                opened[index] += 1
            except OSError:
                continue
            if len(held) > OPEN_PER_ATTACKER:
                held.popleft().close()
            stop.wait(PACE)
        for s in held:
            s.close()

    try:
        threads = [threading.Thread(target=attack, args=(i,), daemon=True) for i in range(ATTACKERS)]
        for t in threads:
            t.start()
        # Let the attack fill the resolver before measuring.
        deadline = time.monotonic() + 30
        while sum(opened) < ATTACKERS * OPEN_PER_ATTACKER and time.monotonic() < deadline:
            time.sleep(0.05)
        latencies, failures, began = [], 0, time.monotonic()
        for n in range(samples_wanted):
            start = time.monotonic()
            try:
                with socket.create_connection(("127.0.0.1", box.port), timeout=30,
                                              source_address=(address(10, n), 0)) as s:
                    line = s.makefile("rb").readline()
                    s.sendall(b"QUIT\r\n")
            except OSError:
                line = b""
            if line.startswith(b"220 "):
                latencies.append((time.monotonic() - start) * 1000)
            else:
                failures += 1
            stop.wait(0.025)  # spread the samples over the attack: 600 take about 15 s
        stop.set()
        for t in threads:
            t.join(10)
        asked = list(dns.asked)
        dropped = sum(dns.count(k[0], "PTR") for k in asked if not k[0].endswith(".10.127.in-addr.arpa"))
        answered = sum(dns.count(k[0], "PTR") for k in asked if k[0].endswith(".10.127.in-addr.arpa"))
        p50 = percentile(latencies, 50) if latencies else float("inf")
        p99 = percentile(latencies, 99) if latencies else float("inf")
        duration = time.monotonic() - began
        yield {"probe": "greeting while PTR queries are dropped (8 threads, fresh 127.x)",
               "trials": samples_wanted, "held": failures == 0 and p99 < 100,
               "figure": f"p50 {p50:.1f} ms, p99 {p99:.1f} ms; {failures} not greeted; "
                         f"{sum(opened)} attacking connections in {duration:.0f} s, {dropped} PTR queries dropped, "
                         f"{answered} of the client's PTR queries answered"}
    finally:
        stop.set()
        box.remove()
        dns.close()
