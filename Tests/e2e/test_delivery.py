"""Issue 7: delivery between two real engines on loopback, under each destination TLS
level, with retries, bounces and a crash of the sender."""
import os
import re
import shutil
import signal
import smtplib
import subprocess
import tempfile
import threading
import unittest

from harness import Appliance, openssl_pki, wait_for


def receiver(tls="no", certificate=None, pki=None):
    """An engine that accepts mail for example.net and keeps it (delivery suspended)."""
    appliance = Appliance()
    commands = ["listenerconfig edit InboundMail hostaccess default --tls=%s --demo=yes" % tls if tls != "no" else None,
                "listenerconfig edit InboundMail rcptaccess new bad@example.net reject N",
                "listenerconfig edit InboundMail rcptaccess new example.net accept N",
                "suspenddel"]
    if certificate:
        commands.append(f"certconfig certificate import Receiver {appliance.place(pki[certificate + '.crt'])} "
                        f"{appliance.place(pki[certificate + '.key'])}")
        commands.append("listenerconfig edit InboundMail certificate Receiver")
    appliance.cli("; ".join(c for c in commands if c) + '; commit receiver Y')
    return appliance.start()


def sender(to_port, tls="no", extra=(), trust=None):
    """An engine that relays for 127.0.0.1 and routes example.net and example.com to `to_port`;
    with `trust`, that CA file is imported as its custom certificate authority."""
    appliance = Appliance()
    if trust:
        extra = [*extra, f"certconfig certauthority custom import {appliance.place(trust)}"]
    appliance.cli("; ".join([
        "listenerconfig edit InboundMail hostaccess new sendergroup LOCAL 127.0.0.1 relay",
        f"smtproutes new example.net localhost:{to_port}",
        f"smtproutes new example.com localhost:{to_port}",
        f"destconfig default --tls={tls}",
        "resumedel",
        "bounceconfig --max_time=3600 --initial_retry=1 --max_retry=2 --send_bounces=yes",
        *extra,
        'commit sender Y']))
    return appliance.start()


def send(appliance, recipients, body="hello", sender_address="alice@example.com"):
    with smtplib.SMTP("127.0.0.1", appliance.port, timeout=10) as client:
        client.sendmail(sender_address, recipients, f"Subject: test\r\n\r\n{body}\r\n".encode())


def bodies(appliance):
    return [message for _, message in appliance.spool().values()]


class DeliveryTLSTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="postern-pki-")
        cls.pki = openssl_pki(cls.directory)
        # A receiving certificate for localhost, signed by the test CA.
        run = lambda *a: subprocess.run(["openssl", *a], cwd=cls.directory, check=True, capture_output=True)
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "mx.key", "-out", "mx.csr", "-subj", "/CN=localhost")
        with open(os.path.join(cls.directory, "mx.ext"), "w") as f:
            f.write("subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n")
        run("x509", "-req", "-in", "mx.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "mx.crt",
            "-days", "2", "-extfile", "mx.ext")
        cls.pki["mx.crt"] = os.path.join(cls.directory, "mx.crt")
        cls.pki["mx.key"] = os.path.join(cls.directory, "mx.key")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    def setUp(self):
        self.appliances = []

    def tearDown(self):
        for a in self.appliances:
            a.remove()

    def pair(self, receiver_tls, sender_tls, certificate=None, extra=(), trust=None):
        b = receiver(receiver_tls, certificate, self.pki)
        self.appliances.append(b)
        a = sender(b.port, sender_tls, extra, trust)
        self.appliances.append(a)
        return a, b

    def test_required_to_a_receiver_without_tls_stays_queued(self):
        a, b = self.pair("no", "required")
        send(a, ["joe@example.net"], "must be encrypted")
        wait_for(lambda: "TLS was required but could not be successfully negotiated" in a.mail_log(), what="the refusal")
        self.assertEqual(bodies(b), [])
        state = a.spool()
        self.assertEqual(len(state), 1)
        self.assertIn("Alert: TLS to example.net", a.mail_log())
        # The queue's state file is written after the log line: wait for it, do not race it.
        wait_for(lambda: "pending: TLS was required" in a.cli("showqueue").stdout, what="the queue's reason")

    def test_preferred_to_a_receiver_without_tls_delivers_in_the_clear(self):
        a, b = self.pair("no", "preferred")
        send(a, ["joe@example.net"], "plain is fine")
        wait_for(lambda: len(b.spool()) == 1, what="delivery")
        envelope, message = list(b.spool().values())[0]
        self.assertIsNone(envelope.get("tlsProtocol"))
        self.assertIn(b"plain is fine", message)
        wait_for(lambda: a.spool() == {}, what="the sender's queue to empty")
        self.assertRegex(a.mail_log(), r"Message done DCID \d+ MID \d+ to RID \[0\]")

    def test_required_delivers_encrypted(self):
        a, b = self.pair("preferred", "required")
        send(a, ["joe@example.net"], "encrypted")
        wait_for(lambda: len(b.spool()) == 1, what="delivery")
        envelope, _ = list(b.spool().values())[0]
        self.assertEqual(envelope["tlsProtocol"], "TLSv1.3")
        self.assertRegex(a.mail_log(), r"DCID \d+ TLS success protocol TLSv1.3 cipher \S+ for example.net")

    def test_required_verify_needs_a_trusted_certificate(self):
        # The demo certificate (self-signed): not delivered.
        a, b = self.pair("preferred", "required-verify",
                         trust=self.pki['ca.crt'])
        send(a, ["joe@example.net"], "verify me")
        wait_for(lambda: "verification failed for example.net" in a.mail_log(), what="the failed verification")
        self.assertEqual(bodies(b), [])
        # A certificate from the trusted CA, naming the MX host: delivered.
        c, d = self.pair("preferred", "required-verify", certificate="mx",
                         trust=self.pki['ca.crt'])
        send(c, ["joe@example.net"], "verified")
        wait_for(lambda: len(d.spool()) == 1, what="verified delivery")
        self.assertIn("TLS certificate verified for example.net: name localhost", c.mail_log())

    def test_an_outbound_cipher_the_receiver_refuses_fails_the_handshake(self):
        a, b = self.pair("preferred", "preferred",
                         extra=["sslconfig outbound tlsv1.2 AES128-SHA"])
        b.cli("sslconfig inbound tlsv1.2 ECDHE-RSA-AES256-GCM-SHA384; commit ciphers Y")
        send(a, ["joe@example.net"], "cipher mismatch")
        wait_for(lambda: "TLS failed:" in a.mail_log(), what="the failed handshake")
        # The receiver sends its alert before it logs: the sender may log first.
        wait_for(lambda: "TLS failed: no shared cipher" in b.mail_log(), what="the receiver's reason")
        # The deferral is logged once the attempt is over: a (wrong) plaintext fallback would be done by then.
        delayed = r"Delayed: (DCID \d+ )?MID \d+ to RID 0 - 4\.7\.5 - TLS negotiation failed after STARTTLS"
        wait_for(lambda: re.search(delayed, a.mail_log()), what="the deferral")
        self.assertEqual(bodies(b), [])

    def test_tlsverify_reports_protocol_cipher_and_verification(self):
        a, b = self.pair("preferred", "preferred", certificate="mx",
                         trust=self.pki['ca.crt'])
        out = a.cli(f"tlsverify example.net localhost:{b.port}").stdout
        self.assertIn("TLS connection established: protocol TLSv1.3, cipher TLS_AES_256_GCM_SHA384.", out)
        self.assertIn("TLS certificate match localhost", out)
        self.assertIn("TLS certificate verified.", out)
        self.assertIn("TLS verification completed.", out)


class BounceAndCrashTests(unittest.TestCase):
    def test_a_550_bounces_back_to_the_sender(self):
        b = receiver()
        a = sender(b.port)
        try:
            send(a, ["bad@example.net", "joe@example.net"], "one good, one bad")
            # joe's copy, and the DSN for bad@ (from <>, to alice@example.com) routed to the same receiver.
            wait_for(lambda: len(b.spool()) == 2, what="the message and the bounce")
            dsn = [m for e, m in b.spool().values() if e["sender"] == ""]
            self.assertEqual(len(dsn), 1)
            text = dsn[0].decode()
            self.assertIn("Content-Type: multipart/report; report-type=delivery-status", text)
            self.assertIn("Final-Recipient: rfc822; bad@example.net", text)
            self.assertIn("Status: 5.1.0", text)
            self.assertIn("Action: failed", text)
            self.assertRegex(a.mail_log(), r"Bounced: DCID \d+ MID 1 to RID 0 - 5\.1\.0 -")
            self.assertRegex(a.mail_log(), r"MID \d+ was generated based on MID 1 by bounce")
            wait_for(lambda: a.spool() == {}, what="the sender's queue to empty")
        finally:
            a.remove()
            b.remove()

    def test_expired_mail_bounces_and_the_null_sender_gets_no_bounce(self):
        a = sender(1, extra=["smtproutes edit example.net 127.0.0.1:1", "bounceconfig --max_time=2"])
        try:
            send(a, ["joe@example.net"], "nobody listens", sender_address="")
            wait_for(lambda: "Message finished MID 1" in a.mail_log(), what="expiry")
            self.assertIn("5.4.7 - Delivery expired", a.mail_log())
            self.assertNotIn("generated based on MID 1", a.mail_log())
        finally:
            a.remove()

    def test_a_sender_killed_mid_delivery_loses_nothing(self):
        b = receiver()
        a = sender(b.port)
        try:
            a.cli("suspenddel; commit hold Y")
            for i in range(40):
                send(a, ["joe@example.net"], f"marker-{i}-end")
            a.cli("resumedel; commit go Y")
            wait_for(lambda: len(b.spool()) >= 5, what="some deliveries")
            a.kill()
            a.start()
            wait_for(lambda: a.spool() == {}, timeout=60, what="the sender's queue to drain after the restart")
            delivered = b"\n".join(bodies(b))
            for i in range(40):
                self.assertIn(f"marker-{i}-end".encode(), delivered, f"message {i} was lost")
        finally:
            a.remove()
            b.remove()


if __name__ == "__main__":
    unittest.main()
