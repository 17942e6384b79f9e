"""The engine needs no privilege to serve and deliver mail. Run by root, the suite would not
notice a socket option only root may set: posternd asked for SO_DEBUG on every connection
(a TCP option named at the socket level), which needs CAP_NET_ADMIN, so an engine run by any
other user closed every connection it accepted and every one it opened. Here the engine
runs without that capability (as root, through setpriv; as any other user, as it is)."""
import os
import smtplib
import unittest

from harness import Appliance, wait_for
from test_delivery import bodies, receiver

WITHOUT_NET_ADMIN = ["setpriv", "--bounding-set", "-net_admin"] if os.geteuid() == 0 else []


class WithoutPrivilegeTest(unittest.TestCase):
    def setUp(self):
        self.appliances = []

    def tearDown(self):
        for appliance in self.appliances:
            appliance.stop()
            appliance.remove()

    def test_an_engine_without_net_admin_receives_and_delivers(self):
        target = receiver()
        self.appliances.append(target)
        relay = Appliance()
        self.appliances.append(relay)
        relay.cli("listenerconfig edit InboundMail hostaccess new sendergroup LOCAL 127.0.0.1 relay; "
                  f"smtproutes new example.net localhost:{target.port}; resumedel; commit relay Y")
        relay.start(wrapper=WITHOUT_NET_ADMIN)
        if WITHOUT_NET_ADMIN:
            with open(f"/proc/{relay.engine.pid}/status") as status:
                effective = next(int(line.split()[1], 16) for line in status if line.startswith("CapEff:"))
            self.assertFalse(effective & (1 << 12), "the engine still holds CAP_NET_ADMIN")
        with smtplib.SMTP("127.0.0.1", relay.port, timeout=10) as client:
            self.assertEqual(client.ehlo()[0], 250)
            client.sendmail("alice@example.com", ["joe@example.net"], b"Subject: t\r\n\r\nno privilege\r\n")
        wait_for(lambda: any(b"no privilege" in body for body in bodies(target)), timeout=30,
                 what="the message delivered by the engine without CAP_NET_ADMIN")


if __name__ == "__main__":
    unittest.main()
