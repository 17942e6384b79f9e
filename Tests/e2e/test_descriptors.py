"""The engine's file-descriptor limit: raised to the hard limit at start, and connections
refused for lack of descriptors counted in `status` while the engine keeps serving."""
import os
import re
import resource
import socket
import unittest

from harness import Appliance, wait_for


def limits_of(pid):
    """(soft, hard) open-files limits of a running process, from /proc/PID/limits."""
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return int(soft), int(hard)
    raise AssertionError("no open-files line")


class DescriptorLimitTest(unittest.TestCase):
    def tearDown(self):
        self.appliance.remove()

    def test_soft_limit_is_raised_to_the_hard_limit(self):
        self.appliance = Appliance()
        self.appliance.start(preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (256, 4096)))
        self.assertEqual(limits_of(self.appliance.engine.pid), (4096, 4096))

    def test_running_out_of_descriptors_is_counted_and_survived(self):
        self.appliance = a = Appliance()
        a.cli("listenerconfig edit InboundMail limits 1000 1024; "
              "listenerconfig edit InboundMail hostaccess default --max_conn=1000; "
              "listenerconfig setup --max_connections=1000; commit limits Y")
        # A hard limit of 96 descriptors.
        a.start(preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (96, 96)))
        clients = []
        try:
            for _ in range(150):
                clients.append(socket.create_connection(("127.0.0.1", a.port), timeout=5))
            # 96 descriptors leave a budget of 64 connections: the rest are refused, and the
            # engine keeps descriptors for itself (it still writes its status file).
            wait_for(lambda: (a.status()["counters"].get("connectionsRefusedForDescriptors", 0)) >= 150 - 64,
                     what="status to count connections refused for lack of descriptors")
            self.assertLess(len(os.listdir(f"/proc/{a.engine.pid}/fd")), 96)
            shown = a.cli("status").stdout
            self.assertRegex(shown, r"\d+ of them for lack of file descriptors")
        finally:
            for c in clients:
                c.close()
        # Once descriptors are free again, a new client is greeted.
        def greeted():
            try:
                with socket.create_connection(("127.0.0.1", a.port), timeout=5) as s:
                    s.settimeout(5)
                    return s.recv(512).startswith(b"220 ")
            except OSError:
                return False
        wait_for(greeted, timeout=20, what="a greeting after the shortage")
        self.assertIsNone(a.engine.poll())


if __name__ == "__main__":
    unittest.main()
