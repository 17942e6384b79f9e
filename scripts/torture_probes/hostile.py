"""What a hostile client tries against the SMTP listener (issue 12, the list of what held):
STARTTLS injection, the per-address and global connection caps, idle and slowloris
clients, 1 MB lines, huge bodies, 10,000 pipelined commands and SMTP-smuggling
separators. Each probe is a real exchange with a release engine on loopback."""
import os
import socket
import ssl
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _engine import appliance  # noqa: E402
from harness import wait_for  # noqa: E402

INJECTIONS = [
    b"STARTTLS\r\nNOOP\r\n", b"STARTTLS\r\nMAIL FROM:<evil@x.example>\r\nRSET\r\n", b"STARTTLS\r\nNOO",
    b"STARTTLS\r\nRSET\r\nRSET\r\n", b"STARTTLS\r\nHELP\r\n", b"STARTTLS\r\nQUIT\r\n", b"STARTTLS\nNOOP\n",
    b"STARTTLS\r\nEHLO evil.example\r\n", b"STARTTLS\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@example.com>\r\nDATA\r\n",
    b"STARTTLS\r\n" + b"NOOP\r\n" * 100,
]
SEPARATORS = [b"\n.\r\n", b"\r.\r\n", b"\r\n.\n", b"\n.\n", b"\r\n.\r", b"\r\n\x00.\r\n"]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Client:
    """A raw SMTP connection from `source`; `reply()` reads one whole (multi-line) reply."""

    def __init__(self, port, source="127.0.0.1", timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0))
        self.reader = self.sock.makefile("rb")

    def reply(self):
        lines = []
        while True:
            line = self.reader.readline()
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                return b"".join(lines)

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def starttls_injection(port):
    held = 0
    for variant in INJECTIONS:
        c = Client(port)
        c.reply()
        c.send(b"EHLO probe.example\r\n")
        c.reply()
        c.send(variant)
        if not c.reply().startswith(b"220"):
            c.close()
            continue
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        tls = context.wrap_socket(c.sock, server_hostname="postern.example.com")
        tls.sendall(b"EHLO probe.example\r\n")
        first = tls.makefile("rb").readline()
        # The EHLO reply is multi-line; an answer to an injected command would come first.
        if first.startswith(b"250-"):
            held += 1
        tls.close()
    return {"probe": "STARTTLS command injection (10 variants)", "trials": len(INJECTIONS),
            "held": held == len(INJECTIONS), "figure": f"{held}/{len(INJECTIONS)} first TLS replies were the EHLO's"}


def connection_caps(port):
    per_ip, clients = 10, []
    greeted = refused = 0
    for _ in range(per_ip + 5):
        c = Client(port)
        clients.append(c)
        line = c.reply()
        greeted += line.startswith(b"220")
        refused += line.startswith(b"421 4.4.5")
    for c in clients:
        c.close()
    yield {"probe": "per-address connection cap (10)", "trials": per_ip + 5,
           "held": greeted == per_ip and refused == 5, "figure": f"{greeted} greeted, {refused} refused with 421 4.4.5"}
    overall, clients = 50, []
    greeted = refused = 0
    for n in range(overall + 10):
        c = Client(port, source=f"127.30.{n // 250}.{n % 250 + 1}")
        clients.append(c)
        line = c.reply()
        greeted += line.startswith(b"220")
        refused += line.startswith(b"421")
    for c in clients:
        c.close()
    yield {"probe": "global connection cap (50)", "trials": overall + 10,
           "held": greeted == overall and refused == 10, "figure": f"{greeted} greeted, {refused} refused with 421"}


def idle_and_slowloris(port, idle, lifetime):
    c = Client(port, source="127.31.0.1")
    c.reply()
    start = time.monotonic()
    line = c.reply()
    quiet = time.monotonic() - start
    c.close()
    yield {"probe": f"idle client (idle timeout {idle} s)", "trials": 1,
           "held": line.startswith(b"421") and quiet < idle + 2, "figure": f"421 after {quiet:.1f} s"}
    c = Client(port, source="127.31.0.2")
    c.reply()
    start, sent, closed_after, reply = time.monotonic(), 0, None, b""
    c.sock.settimeout(0.5)
    while time.monotonic() - start < lifetime + 10:
        try:
            c.send(b"N")
            sent += 1
            reply = c.sock.recv(4096)
            if reply == b"" or reply.startswith(b"421"):
                closed_after = time.monotonic() - start
                break
        except socket.timeout:
            continue
        except OSError:
            closed_after = time.monotonic() - start
            break
    c.close()
    # XXX: every byte re-arms the idle timer, so a trickle is bounded by the connection-time
    # limit, not the idle timeout (Postfix's answer is smtpd_per_record_deadline).
    yield {"probe": f"slowloris (a byte every 0.5 s; idle {idle} s, connection time {lifetime} s)", "trials": sent,
           "held": closed_after is not None and closed_after < lifetime + 2,
           "figure": (f"closed after {closed_after:.1f} s with {reply.strip()[:60].decode(errors='replace')!r}"
                      if closed_after else f"still open after {lifetime + 10} s")}


def long_lines(port, pid):
    before = rss_mb(pid)
    c = Client(port)
    c.reply()
    c.send(b"NOOP " + b"x" * (1 << 20) + b"\r\nNOOP\r\n")
    first, second = c.reply(), c.reply()
    c.close()
    return {"probe": "1 MB command line", "trials": 1,
            "held": first.startswith(b"500") and second.startswith(b"250"),
            "figure": f"{first.strip().decode(errors='replace')}, then NOOP {second[:3].decode()}; "
                      f"RSS {before:.0f} -> {rss_mb(pid):.0f} MB"}


def huge_body(port, pid, megabytes):
    before, peak = rss_mb(pid), 0.0
    c = Client(port, timeout=120)
    c.reply()
    c.send(b"EHLO probe.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@example.com>\r\nDATA\r\n")
    for _ in range(3):
        c.reply()
    if not c.reply().startswith(b"354"):
        return {"probe": f"{megabytes} MB body", "trials": 1, "held": False, "figure": "DATA refused"}
    chunk = (b"y" * 998 + b"\r\n") * 1024
    start = time.monotonic()
    for n in range(megabytes):
        c.send(chunk)
        if n % 16 == 0:
            peak = max(peak, rss_mb(pid))
    c.send(b".\r\n")
    line = c.reply()
    elapsed = time.monotonic() - start
    c.close()
    return {"probe": f"{megabytes} MB body (limit 10 MB)", "trials": 1, "held": line.startswith(b"552"),
            "figure": f"{line[:3].decode()} after {elapsed:.1f} s; RSS {before:.0f} MB, peak {peak:.0f} MB"}


def pipelined(port, count):
    c = Client(port, timeout=60)
    c.reply()
    start = time.monotonic()
    sender = threading.Thread(target=c.send, args=(b"NOOP\r\n" * count,))
    sender.start()
    ok = 0
    for _ in range(count):
        if c.reply().startswith(b"250"):
            ok += 1
    sender.join()
    elapsed = time.monotonic() - start
    c.close()
    return {"probe": f"{count:,} pipelined commands", "trials": count, "held": ok == count,
            "figure": f"{ok} replies in order in {elapsed:.2f} s"}


def smuggling(port, box):
    held = 0
    for n, separator in enumerate(SEPARATORS):
        c = Client(port)
        c.reply()
        c.send(b"EHLO probe.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@example.com>\r\nDATA\r\n")
        for _ in range(3):
            c.reply()
        c.reply()
        smuggled = f"smuggled{n}@evil.example".encode()
        c.send(b"Subject: carrier\r\n\r\nbody" + separator + b"MAIL FROM:<" + smuggled + b">\r\n"
               b"RCPT TO:<joe@example.com>\r\nDATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\nQUIT\r\n")
        replies = []
        while True:
            line = c.reader.readline()
            if not line:
                break
            replies.append(line)
        c.close()
        senders = [envelope.get("sender") for envelope, _ in box.spool().values()]
        # Held: the smuggled transaction never became a message of its own.
        if smuggled.decode() not in senders:
            held += 1
    return {"probe": "SMTP smuggling separators (6 variants)", "trials": len(SEPARATORS),
            "held": held == len(SEPARATORS),
            "figure": f"{held}/{len(SEPARATORS)} kept the smuggled commands out of the envelope"}


def probes(env):
    idle, lifetime = 3, 8
    timers = appliance(env, [f"listenerconfig setup --idle_timeout={idle} --max_connection_time={lifetime}"])
    try:
        yield from idle_and_slowloris(timers.port, idle, lifetime)
    finally:
        timers.remove()
    box = appliance(env, ["listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes "
                          "--max_conn=10",
                          "listenerconfig edit InboundMail limits 100 50",
                          "listenerconfig setup --max_connections=50"])
    try:
        pid = box.engine.pid
        yield starttls_injection(box.port)
        yield from connection_caps(box.port)
        yield long_lines(box.port, pid)
        yield huge_body(box.port, pid, 20 if env.quick else 200)
        yield pipelined(box.port, 10_000)
        yield smuggling(box.port, box)
    finally:
        box.remove()
