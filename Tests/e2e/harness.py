"""Shared helpers for the end-to-end tests: a throwaway appliance home, the real
postern and posternd binaries, and waits on conditions (never bare sleeps)."""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import zlib

BIN = os.environ.get("POSTERN_BIN", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug"))
POSTERN = os.path.join(BIN, "postern")
POSTERND = os.path.join(BIN, "posternd")


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=15.0, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class Appliance:
    """A home with the factory configuration moved to a free port, and its engine. Delivery
    is suspended, so accepted mail stays in the queue for the test to read; delivery tests
    resume it."""

    def __init__(self, port=None):
        self.home = tempfile.mkdtemp(prefix="postern-e2e-")
        self.engine = None
        self.port = port or free_port()
        self.cli(f'listenerconfig edit InboundMail interface Loopback smtp {self.port}; suspenddel; '
                 f'commit "test port" Y')

    # -- the CLI --------------------------------------------------------------------

    def cli(self, commands, check=True, env=None, timeout=60):
        """postern -c '<commands>'; returns the CompletedProcess."""
        environment = dict(os.environ, **(env or {}))
        result = subprocess.run([POSTERN, "--home", self.home, "-c", commands], capture_output=True, text=True,
                                env=environment, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"postern -c {commands!r} exited {result.returncode}:\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def piped(self, lines, check=True, timeout=60):
        """Lines piped into postern, as `printf '...' | postern` does."""
        result = subprocess.run([POSTERN, "--home", self.home], input="\n".join(lines) + "\n", capture_output=True,
                                text=True, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"piped session exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    # -- the engine -----------------------------------------------------------------

    def start(self, dns_server=None, preexec_fn=None, wrapper=()):
        """Starts posternd; `dns_server` (host:port) replaces the system resolver's servers;
        `preexec_fn` runs in the child before exec (e.g. to set resource limits); `wrapper`
        is a command that runs posternd (e.g. setpriv, to drop a capability)."""
        arguments = [*wrapper, POSTERND, "--home", self.home, "--threads", "2"]
        if dns_server:
            arguments += ["--dns-servers", dns_server]
        with open(os.path.join(self.home, "posternd.stderr"), "ab") as log:
            self.engine = subprocess.Popen(arguments, stdout=log, stderr=log, preexec_fn=preexec_fn)
        wait_for(lambda: self.engine.poll() is not None or self.listening(), what="posternd to listen")
        if self.engine.poll() is not None:
            raise AssertionError("posternd exited:\n" + open(os.path.join(self.home, "posternd.stderr")).read())
        return self

    def listening(self):
        status = self.status()
        return status is not None and status.get("pid") == self.engine.pid and \
            all(l["state"] == "listening" for l in status["listeners"])

    def stop(self):
        if self.engine and self.engine.poll() is None:
            self.engine.send_signal(signal.SIGTERM)
            try:
                self.engine.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.engine.kill()
                self.engine.wait()
        self.engine = None

    def kill(self):
        self.engine.kill()
        self.engine.wait()
        self.engine = None

    def reload(self):
        self.engine.send_signal(signal.SIGHUP)

    def status(self):
        try:
            with open(os.path.join(self.home, "run", "status.json")) as f:
                return json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait_generation(self, generation):
        return wait_for(lambda: (self.status() or {}).get("generation") == generation,
                        what=f"the engine to serve generation {generation}")

    # -- files ----------------------------------------------------------------------

    def place(self, path):
        """Copies a file into the home's configuration directory, where IMPORT reads; its name there."""
        directory = os.path.join(self.home, "configuration")
        os.makedirs(directory, exist_ok=True)
        shutil.copy(path, directory)
        return os.path.basename(path)

    def current(self):
        with open(os.path.join(self.home, "config", "current.json")) as f:
            return json.load(f)

    def mail_log(self):
        try:
            with open(os.path.join(self.home, "logs", "mail.log")) as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def spool(self):
        """{mid: (envelope dict, message bytes)} for every message in the queue, read from the
        segment files independently of the engine's code (Docs/engine.md, "The queue")."""
        directory = os.path.join(self.home, "queue", "segments")
        records = []
        try:
            names = os.listdir(directory)
        except FileNotFoundError:
            return {}
        for name in sorted((n for n in names if n.endswith(".seg")), key=lambda n: int(n[:-4])):
            try:
                with open(os.path.join(directory, name), "rb") as f:
                    data = f.read()
            except FileNotFoundError:
                continue  # every message in it was done and it went while we listed
            records.extend(spool_records(data))
        out = {}
        for kind, mid, payload, envelope_length in records:
            if kind == 1:
                out[mid] = (json.loads(payload[:envelope_length - 1]), payload[envelope_length:])
            else:
                out.pop(mid, None)
        return out

    def remove(self):
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def fill_queue(home, count, deferred_until=None, body=b"Subject: queued\r\n\r\nx\r\n", first_mid=1):
    """Writes `count` messages straight into HOME/queue/segments in the spool's format
    (Docs/engine.md, "The queue"), as a long-running appliance would have them, without
    sending them over SMTP; with `deferred_until` (an ISO 8601 time) each also gets a
    delivery state that defers it until then. For tests and benchmarks of a big queue."""
    segments = os.path.join(home, "queue", "segments")
    os.makedirs(segments, exist_ok=True)
    segment, size, out = 1, 0, open(os.path.join(segments, "1.seg"), "wb")
    try:
        for mid in range(first_mid, first_mid + count):
            envelope = json.dumps({
                "mid": mid, "icid": mid, "sender": "a@example.org", "recipients": ["b@example.com"],
                "heloName": "client.example", "clientAddress": "127.0.0.1", "clientName": "localhost",
                "listener": "InboundMail", "body8Bit": False, "receivedAt": "2026-11-29T00:00:00Z"},
                separators=(",", ":"), sort_keys=True).encode() + b"\n"
            payload = envelope + body
            header = struct.pack("<4sBBxxQIQI", b"PSPL", 1, 1, mid, len(envelope), len(body), zlib.crc32(payload))
            out.write(header + payload)
            size += len(header) + len(payload)
            if size >= 64 * 1024 * 1024:
                out.close()
                segment, size = segment + 1, 0
                out = open(os.path.join(segments, f"{segment}.seg"), "wb")
            if deferred_until:
                with open(os.path.join(home, "queue", f"{mid}.state"), "w") as f:
                    json.dump({"attempts": 1, "nextAttempt": deferred_until, "bounceQueued": False,
                               "recipients": [{"address": "b@example.com", "status": "pending",
                                               "detail": "deferred by the test"}]}, f)
    finally:
        out.close()


def spool_records(data):
    """(kind, mid, payload, envelope length) for each whole record of one segment; a torn
    tail (a write in progress) ends the list."""
    out = []
    offset = 0
    while offset + 32 <= len(data):
        magic, version, kind, mid, envelope_length, message_length, crc = struct.unpack_from("<4sBBxxQIQI", data, offset)
        end = offset + 32 + envelope_length + message_length
        assert magic == b"PSPL" and version == 1 and kind in (1, 2), f"bad record header at {offset}"
        if end > len(data):
            break
        payload = data[offset + 32:end]
        assert zlib.crc32(payload) == crc, f"CRC mismatch at {offset}"
        out.append((kind, mid, payload, envelope_length))
        offset = end
    return out


def smtp_reply(file):
    """One whole SMTP reply (all its lines) read from a binary file object."""
    lines = []
    while True:
        line = file.readline()
        if not line:
            raise ConnectionError("closed")
        lines.append(line)
        if line[3:4] != b"-":
            return b"".join(lines)


def openssl_ca(directory, name):
    """ca.key and ca.crt, a two-day CA named `name`, in `directory`; returns the openssl runner."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return run


def openssl_pki(directory):
    """A CA, a client certificate it signed, and a stranger's self-signed one (openssl CLI)."""
    run = openssl_ca(directory, "Partner Test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr",
        "-subj", "/CN=mx.partner.example")
    with open(os.path.join(directory, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth,serverAuth\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "client.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "client.crt", "-days", "2", "-extfile", "client.ext")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "stranger.key", "-out", "stranger.crt",
        "-days", "2", "-subj", "/CN=stranger.example")
    return {name: os.path.join(directory, name) for name in
            ["ca.crt", "client.crt", "client.key", "stranger.crt", "stranger.key"]}


def server_pki(directory, hostname):
    """A CA and a server certificate for `hostname` that it signed (openssl CLI)."""
    def run(*args):
        subprocess.run(["openssl", *args], cwd=directory, check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=Selftest CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", f"/CN={hostname}")
    with open(os.path.join(directory, "server.ext"), "w") as f:
        f.write(f"extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\nsubjectAltName=DNS:{hostname}\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.crt", "-days", "2", "-extfile", "server.ext")
    return {name: os.path.join(directory, name) for name in ["ca.crt", "server.crt", "server.key"]}
