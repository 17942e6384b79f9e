"""Issue 15, Monitor → TLS Connections by TLS level and direction: one incoming STARTTLS under
a Preferred policy that succeeds, one under a Required policy whose handshake fails, and one
outgoing delivery over TLS to a destination set to Preferred; each is seen in `status` and on
the page, read by a hand-driven logged-in session."""
import json
import os
import re
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import unittest

from dnsresponder import Responder
from harness import Appliance, wait_for
from test_outbound import Receiver
from webharness import ADMIN_PASSWORD, Client, Web, tls_context


class TLSReportTests(unittest.TestCase):
    def setUp(self):
        self.directory = tempfile.mkdtemp(prefix="postern-tlsreport-")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "mx.key", "-out",
                        "mx.crt", "-days", "2", "-subj", "/CN=mail.zeta.test"], cwd=self.directory, check=True,
                       capture_output=True)
        self.dns = Responder([{"name": "mail.zeta.test", "type": "A", "values": ["127.0.0.1"]},
                              {"name": "mail.zeta.test", "type": "AAAA", "action": "nodata"}])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(os.path.join(self.directory, "mx.crt"), os.path.join(self.directory, "mx.key"))
        self.receiver = Receiver([], context)
        self.appliance = Appliance()
        self.appliance.cli("; ".join([
            "listenerconfig edit InboundMail hostaccess new sendergroup LOCAL 127.0.0.1 relay",
            "listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes",
            f"smtproutes new zeta.test mail.zeta.test:{self.receiver.port}",
            "destconfig default --tls=preferred",
            "resumedel",
            'commit "preferred in and out" Y']))
        self.appliance.start(dns_server=self.dns.server)
        self.web = None

    def tearDown(self):
        if self.web:
            self.web.stop()
        self.appliance.stop()
        self.appliance.remove()
        self.receiver.close()
        self.dns.close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def counts(self):
        """The report's counts summed over its hours, by name (`incoming preferred succeeded`)."""
        try:
            with open(os.path.join(self.appliance.home, "reports", "tls-hourly.json")) as f:
                hours = json.load(f)["hours"]
        except (FileNotFoundError, ValueError):
            return {}
        total = {}
        for hour in hours:
            for name, count in hour.get("counts", {}).items():
                total[name] = total.get(name, 0) + count
        return total

    def test_levels_and_directions_reach_status_and_the_page(self):
        # Incoming under Preferred: STARTTLS succeeds, and the message relays out over TLS.
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=15) as client:
            client.starttls(context=tls_context())
            client.sendmail("alice@example.com", ["bob@zeta.test"], b"Subject: tls report\r\n\r\nhello\r\n")
        wait_for(lambda: len(self.receiver.messages) == 1, what="the delivery to the receiver")

        # Incoming under Required: the handshake after STARTTLS fails on a garbage ClientHello.
        generation = self.appliance.status()["generation"]
        self.appliance.cli('listenerconfig edit InboundMail hostaccess default --tls=required --demo=yes; '
                           'commit "required" Y')
        self.appliance.wait_generation(generation + 1)
        with socket.create_connection(("127.0.0.1", self.appliance.port), timeout=15) as raw:
            stream = raw.makefile("rb")
            self.assertTrue(stream.readline().startswith(b"220"))
            raw.sendall(b"EHLO client.test\r\n")
            while not stream.readline()[3:4] == b" ":
                pass
            raw.sendall(b"STARTTLS\r\n")
            self.assertTrue(stream.readline().startswith(b"220"))
            raw.sendall(b"this is no ClientHello\r\n" * 4)
            self.assertEqual(stream.read(), b"")  # the engine closes the failed connection

        wanted = {"incoming preferred succeeded": 1, "incoming required failed": 1, "outgoing preferred succeeded": 1}
        wait_for(lambda: all(self.counts().get(name) == count for name, count in wanted.items()),
                 what=f"the engine to count {wanted}")
        self.assertNotIn("outgoing preferred failed", self.counts())

        status = self.appliance.cli("status").stdout
        self.assertIn("  Incoming: Required 0 succeeded, 1 failed; Preferred 1 succeeded, 0 failed; ", status)
        self.assertIn("  Outgoing: Preferred 1 succeeded, 0 failed; ", status)
        self.assertIn("TLS in the last 24 hours: 1 succeeded, 1 failed", status)

        self.web = Web(self.appliance)
        self.web.add_user("web1", "administrator", ADMIN_PASSWORD)
        code, _, page = Client(self.web).login("web1", ADMIN_PASSWORD).get("/monitor/tls-connections")
        self.assertEqual(code, 200)

        def cell(id_):
            found = re.search(rf'id="{id_}">(\d+)<', page)
            self.assertIsNotNone(found, f"#{id_} on the page")
            return int(found.group(1))
        self.assertEqual(cell("incoming-preferred-succeeded"), 1)
        self.assertEqual(cell("incoming-preferred-failed"), 0)
        self.assertEqual(cell("incoming-required-failed"), 1)
        self.assertEqual(cell("outgoing-preferred-succeeded"), 1)
        self.assertEqual(cell("outgoing-required-failed"), 0)
        self.assertEqual(cell("incoming-day-succeeded"), 1)
        self.assertEqual(cell("outgoing-day-succeeded"), 1)
        for chart in ("tls-incoming-day-chart", "tls-incoming-week-chart", "tls-outgoing-day-chart",
                      "tls-outgoing-week-chart"):
            self.assertIn(f'id="{chart}"', page)
        self.assertEqual(len(re.findall(r"<tr>", page.split('id="tls-outgoing-day"')[1].split("</table>")[0])), 25)


if __name__ == "__main__":
    unittest.main()
