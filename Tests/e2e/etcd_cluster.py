"""A real etcd cluster on loopback ports picked at start, in a temporary directory, for the
fleet tests and scripts/fleet-demo. Members can be killed, stopped and continued."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.request

from harness import free_port, wait_for

ETCD = shutil.which("etcd") or "/usr/bin/etcd"


class EtcdCluster:
    def __init__(self, members=3, directory=None):
        self.directory = directory or tempfile.mkdtemp(prefix="postern-etcd-")
        self.names = [f"m{i}" for i in range(members)]
        self.client_ports = [free_port() for _ in self.names]
        self.peer_ports = [free_port() for _ in self.names]
        self.processes = [None] * members

    @property
    def endpoints(self):
        return [f"http://127.0.0.1:{port}" for port in self.client_ports]

    def start(self, attempts=3):
        for attempt in range(attempts):
            for i in range(len(self.names)):
                self.start_member(i, new=True)
            try:
                wait_for(self.healthy, timeout=30, what="etcd to elect a leader")
                return self
            except AssertionError:
                # A port found free can be taken by another program before etcd binds it (seen
                # with two test suites on one machine): start again, on new ports, from nothing.
                logs = self.log_tails()
                self.stop(remove=False)
                if attempt == attempts - 1:
                    raise AssertionError("etcd did not elect a leader:\n" + logs)
                for name in self.names:
                    shutil.rmtree(os.path.join(self.directory, name), ignore_errors=True)
                self.client_ports = [free_port() for _ in self.names]
                self.peer_ports = [free_port() for _ in self.names]

    def log_tails(self):
        tails = []
        for name in self.names:
            try:
                with open(os.path.join(self.directory, f"{name}.log"), errors="replace") as log:
                    tails.append(f"--- {name}\n" + "".join(log.readlines()[-5:]))
            except OSError:
                pass
        return "\n".join(tails)

    def start_member(self, i, new=False):
        peers = ",".join(f"{n}=http://127.0.0.1:{p}" for n, p in zip(self.names, self.peer_ports))
        client = f"http://127.0.0.1:{self.client_ports[i]}"
        peer = f"http://127.0.0.1:{self.peer_ports[i]}"
        with open(os.path.join(self.directory, f"{self.names[i]}.log"), "ab") as log:
            self.processes[i] = subprocess.Popen(
                [ETCD, "--name", self.names[i], "--data-dir", os.path.join(self.directory, self.names[i]),
                 "--listen-client-urls", client, "--advertise-client-urls", client,
                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                 "--initial-cluster", peers, "--initial-cluster-state", "new" if new else "existing",
                 "--initial-cluster-token", os.path.basename(self.directory)],
                stdout=log, stderr=log)

    def call(self, endpoint, path, body, timeout=2):
        request = urllib.request.Request(endpoint + path, data=json.dumps(body).encode(), method="POST",
                                         headers={"Grpc-Metadata-hasleader": "true"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)

    def healthy(self, endpoints=None):
        """A linearizable read answers on every given endpoint (default: all running)."""
        for i, endpoint in enumerate(endpoints or self.endpoints):
            try:
                self.call(endpoint, "/v3/kv/range", {"key": "L2hlYWx0aA=="})
            except Exception:
                return False
        return True

    def revision(self):
        for endpoint in self.endpoints:
            try:
                return int(self.call(endpoint, "/v3/kv/range", {"key": "L2hlYWx0aA=="})["header"]["revision"])
            except Exception:
                continue
        raise AssertionError("no etcd member answers")

    def compact(self, revision):
        for endpoint in self.endpoints:
            try:
                return self.call(endpoint, "/v3/kv/compaction", {"revision": str(revision), "physical": True})
            except Exception:
                continue
        raise AssertionError("no etcd member answers")

    def signal(self, i, number):
        self.processes[i].send_signal(number)

    def kill(self, i):
        self.processes[i].kill()
        self.processes[i].wait()

    def stop(self, remove=True):
        for process in self.processes:
            if process and process.poll() is None:
                process.send_signal(signal.SIGCONT)
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        if remove:
            shutil.rmtree(self.directory, ignore_errors=True)
