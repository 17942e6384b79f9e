"""Issue 12 §3: reverse DNS on the asynchronous resolver, against a responder of our own
that answers, delays or drops. A lookup that gets no answer ends by the configured timeout
as the HAT's temporary failure, and never holds up other clients."""
import socket
import threading
import time
import unittest

from dnsresponder import Responder, ptr_name
from harness import Appliance, wait_for

RULES = [
    {"name": ptr_name("127.0.0.1"), "type": "PTR", "values": ["mail.test"]},
    {"name": "mail.test", "type": "A", "values": ["127.0.0.1"]},
    {"name": ptr_name("127.0.0.3"), "type": "PTR", "values": ["liar.test"]},
    {"name": "liar.test", "type": "A", "values": ["127.0.0.99"]},
    {"name": ptr_name("127.0.0.4"), "type": "PTR", "values": ["slow.test"], "delay": 0.4},
    {"name": "slow.test", "type": "A", "values": ["127.0.0.4"]},
    {"name": "*.in-addr.arpa", "type": "PTR", "action": "drop"},
]


def greet(port, source, timeout=30):
    """(first line, seconds to get it) of a connection from `source`."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(source, 0)) as s:
        line = s.makefile("rb").readline()
    return line, time.monotonic() - start


class ReverseDNSTests(unittest.TestCase):
    def setUp(self):
        self.dns = Responder(RULES)
        self.appliance = Appliance()

    def tearDown(self):
        self.appliance.remove()
        self.dns.close()

    def configure(self, timeout):
        self.appliance.cli("listenerconfig edit InboundMail hostaccess new sendergroup NAMED mail.test accept; "
                           f"listenerconfig setup --reverse_dns_timeout={timeout}; commit dns Y")
        self.appliance.start(dns_server=self.dns.server)

    def test_a_verified_name_matches_the_hat_and_the_log(self):
        self.configure(5)
        line, _ = greet(self.appliance.port, "127.0.0.1")
        self.assertTrue(line.startswith(b"220 "), line)
        line, _ = greet(self.appliance.port, "127.0.0.3")
        self.assertTrue(line.startswith(b"220 "), line)
        line, elapsed = greet(self.appliance.port, "127.0.0.4")
        self.assertTrue(line.startswith(b"220 "), line)
        self.assertGreaterEqual(elapsed, 0.35)  # the delayed answer was waited for, not dropped
        log = wait_for(lambda: self.appliance.mail_log().count("New SMTP ICID") >= 3 and self.appliance.mail_log(),
                       what="three connections in the mail log")
        self.assertIn("address 127.0.0.1 reverse dns host mail.test verified yes", log)
        self.assertRegex(log, r"ICID \d+ ACCEPT SG NAMED match mail\.test SBRS None")
        # A PTR name whose A record is another address is not verified, so it cannot match.
        self.assertIn("address 127.0.0.3 reverse dns host liar.test verified no", log)
        self.assertIn("address 127.0.0.4 reverse dns host slow.test verified yes", log)
        self.assertEqual(self.dns.count(ptr_name("127.0.0.1"), "PTR"), 1)

    def test_a_dropped_ptr_query_times_out_to_the_temporary_failure_and_stalls_no_one(self):
        self.configure(2)
        stalled = {}

        def stall():
            stalled["reply"] = greet(self.appliance.port, "127.0.0.2")

        thread = threading.Thread(target=stall)
        thread.start()
        wait_for(lambda: self.dns.count(ptr_name("127.0.0.2"), "PTR") > 0, what="the PTR query of 127.0.0.2")
        # While 127.0.0.2's lookup hangs, a client whose PTR is answered greets at once.
        line, elapsed = greet(self.appliance.port, "127.0.0.1")
        self.assertTrue(line.startswith(b"220 "), line)
        self.assertLess(elapsed, 1.0)
        thread.join(30)
        line, elapsed = stalled["reply"]
        self.assertEqual(line, b"421 4.4.3 Temporary failure looking up your host; try again later\r\n")
        self.assertGreaterEqual(elapsed, 1.9)
        self.assertLess(elapsed, 4.0)

    def test_a_zero_timeout_skips_the_lookup(self):
        self.configure(0)
        line, elapsed = greet(self.appliance.port, "127.0.0.1")
        self.assertEqual(line, b"421 4.4.3 Temporary failure looking up your host; try again later\r\n")
        self.assertEqual(self.dns.count(ptr_name("127.0.0.1"), "PTR"), 0)


if __name__ == "__main__":
    unittest.main()
