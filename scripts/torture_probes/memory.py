"""Torture probes of issue 12 §2: engine memory while clients pipeline NOOP and never read
their replies. Each probe starts a release posternd in a fresh home under env.workdir, opens
N connections from N loopback addresses (so the per-address limit of 10 does not apply),
waits for each greeting, then writes `NOOP\\r\\n` as fast as the sockets take it, reading
nothing, for the probe's time. The figure is the engine's resident memory (VmRSS) growth
from after the greetings to the peak while the clients pipeline; a probe holds when the
growth stays under its target (64 MB for 100 connections, as the issue sets).

Standalone: python3 -c 'import sys; sys.path.insert(0, "scripts/torture_probes"); import memory, types;
  [print(r) for r in memory.probes(types.SimpleNamespace(bin=".build/release", workdir="/tmp/x", quick=True))]'
"""
import os
import selectors
import signal
import socket
import subprocess
import tempfile
import time

MB = 1024 * 1024
# Stop early rather than let a broken engine take the shared machine's memory.
SAFETY_LIMIT = 2048 * MB


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def _wait(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


class Engine:
    """A release posternd on a free loopback port, delivery suspended."""

    def __init__(self, env, setup=""):
        """`setup`: more CLI commands (`;`-separated) committed with the port."""
        self.home = tempfile.mkdtemp(prefix="engine-", dir=env.workdir)
        self.port = _free_port()
        postern = os.path.join(env.bin, "postern")
        subprocess.run([postern, "--home", self.home, "-c",
                        f'listenerconfig edit InboundMail interface Loopback smtp {self.port}; suspenddel; '
                        + (setup + "; " if setup else "") + 'commit "torture probe" Y'],
                       check=True, capture_output=True, timeout=60)
        self.log = open(os.path.join(self.home, "posternd.stderr"), "ab")
        self.process = subprocess.Popen([os.path.join(env.bin, "posternd"), "--home", self.home],
                                        stdout=self.log, stderr=self.log)
        _wait(self._listening, 30, "posternd to listen")

    def _listening(self):
        if self.process.poll() is not None:
            raise RuntimeError("posternd exited")
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def rss(self):
        return _rss(self.process.pid)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _greeted(engine, count):
    """`count` connections from 127.0.1.1, 127.0.1.2, …, each past its 220."""
    sockets = []
    for i in range(count):
        source = f"127.0.{1 + i // 250}.{1 + i % 250}"
        s = socket.create_connection(("127.0.0.1", engine.port), timeout=30, source_address=(source, 0))
        buffer = b""
        while b"\r\n" not in buffer:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError(f"connection {i} closed before its greeting")
            buffer += chunk
        if not buffer.startswith(b"220"):
            raise RuntimeError(f"connection {i} greeted with {buffer!r}")
        s.setblocking(False)
        sockets.append(s)
    return sockets


def pipeline_without_reading(engine, connections, seconds):
    """Peak RSS growth (bytes), NOOP commands sent, and whether the safety limit stopped it."""
    sockets = _greeted(engine, connections)
    baseline = engine.rss()
    peak = baseline
    chunk = b"NOOP\r\n" * 2000
    sent = 0
    selector = selectors.DefaultSelector()
    for s in sockets:
        selector.register(s, selectors.EVENT_WRITE)
    deadline = time.monotonic() + seconds
    next_sample = 0.0
    stopped = False
    try:
        while time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.1):
                try:
                    sent += key.fileobj.send(chunk)
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    selector.unregister(key.fileobj)
            now = time.monotonic()
            if now >= next_sample:
                next_sample = now + 0.2
                peak = max(peak, engine.rss())
                if peak - baseline > SAFETY_LIMIT:
                    stopped = True
                    break
    finally:
        selector.close()
        for s in sockets:
            s.close()
    return peak - baseline, baseline, sent // 6, stopped


def probes(env):
    seconds = 5 if env.quick else 20
    for connections, target_mb in ((1, 16), (100, 64)):
        engine = Engine(env)
        try:
            growth, baseline, commands, stopped = pipeline_without_reading(engine, connections, seconds)
        finally:
            engine.stop()
        held = not stopped and growth < target_mb * MB
        yield {
            "probe": f"memory: {connections} connection{'s' if connections > 1 else ''} pipeline NOOP without reading "
                     f"for {seconds} s",
            "trials": 1,
            "held": held,
            "figure": f"RSS {baseline / MB:.0f} MB, peak growth {growth / MB:.1f} MB (target < {target_mb} MB); "
                      f"{commands:,} NOOPs sent" + ("; stopped at the safety limit" if stopped else ""),
        }


if __name__ == "__main__":
    import sys
    import types
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    workdir = tempfile.mkdtemp(prefix="torture-")
    env = types.SimpleNamespace(bin=os.path.join(root, ".build", "release"), workdir=workdir,
                                quick="--quick" in sys.argv)
    for row in probes(env):
        print(row)
