"""Issue 12 §5: what delivery sends depends on what the receiver offered. A scripted Python
receiver advertises chosen extensions and records the MAIL commands, the message data and
the TLS server name (SNI) it was asked for; the sender engine finds it through a DNS
responder of our own, by host name."""
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import unittest

from dnsresponder import Responder
from harness import Appliance, wait_for


class Receiver:
    """An SMTP receiver on 127.0.0.1 that offers `extensions` (and STARTTLS with `tls`),
    accepts everything, and records (mail command, data) per message and each SNI name."""

    def __init__(self, extensions, tls=None):
        self.extensions = extensions
        self.tls = tls
        self.messages = []
        self.server_names = []
        # Per TLS connection: whether the sender resumed an earlier session.
        self.reused = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        if tls:
            tls.sni_callback = lambda sock, name, context: self.server_names.append(name)
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(connection,), daemon=True).start()

    def serve(self, connection):
        stream = connection.makefile("rb")
        say = lambda text: connection.sendall(text.encode() + b"\r\n")
        secure = False
        mail = None
        try:
            say("220 fake.test ESMTP")
            while True:
                line = stream.readline()
                if not line:
                    return
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    offered = list(self.extensions) + (["STARTTLS"] if self.tls and not secure else [])
                    lines = ["fake.test"] + offered
                    for i, text in enumerate(lines):
                        say(("250 " if i == len(lines) - 1 else "250-") + text)
                elif verb == b"STAR":
                    say("220 go ahead")
                    connection = self.tls.wrap_socket(connection, server_side=True)
                    self.reused.append(connection.session_reused)
                    stream = connection.makefile("rb")
                    say = lambda text, c=connection: c.sendall(text.encode() + b"\r\n")
                    secure = True
                elif verb == b"MAIL":
                    mail = line.decode("utf-8", "replace").strip()
                    say("250 ok")
                elif verb == b"DATA":
                    say("354 go")
                    data = b""
                    while True:
                        chunk = stream.readline()
                        if chunk in (b".\r\n", b""):
                            break
                        data += chunk
                    self.messages.append((mail, data))
                    say("250 queued")
                elif verb == b"QUIT":
                    say("221 bye")
                    return
                else:
                    say("250 ok")
        except (OSError, ssl.SSLError):
            return
        finally:
            connection.close()

    def close(self):
        self.listener.close()


class OutboundTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="postern-outbound-")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "mx.key", "-out",
                        "mx.crt", "-days", "2", "-subj", "/CN=mail.zeta.test"], cwd=cls.directory, check=True,
                       capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.directory, ignore_errors=True)

    def setUp(self):
        self.dns = Responder([{"name": "mail.zeta.test", "type": "A", "values": ["127.0.0.1"]},
                              {"name": "mail.zeta.test", "type": "AAAA", "action": "nodata"}])
        self.receiver = None
        self.appliance = None

    def tearDown(self):
        if self.appliance:
            self.appliance.remove()
        if self.receiver:
            self.receiver.close()
        self.dns.close()

    def start(self, extensions, tls=False, extra=()):
        context = None
        if tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(os.path.join(self.directory, "mx.crt"), os.path.join(self.directory, "mx.key"))
        self.receiver = Receiver(extensions, context)
        self.appliance = Appliance()
        port = self.receiver.port
        # zeta.test's host is mail.zeta.test: SNI must name the host, not the domain.
        self.appliance.cli("; ".join([
            "listenerconfig edit InboundMail hostaccess new sendergroup LOCAL 127.0.0.1 relay",
            f"smtproutes new zeta.test mail.zeta.test:{port}",
            f"smtproutes new example.com mail.zeta.test:{port}",
            f"destconfig default --tls={'preferred' if tls else 'no'}",
            "resumedel",
            "bounceconfig --max_time=3600 --initial_retry=1 --max_retry=2 --send_bounces=yes",
            *extra,
            "commit outbound Y"]))
        self.appliance.start(dns_server=self.dns.server)

    def send(self, body, options=()):
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.sendmail("alice@example.com", ["bob@zeta.test"],
                            b"Subject: test\r\n\r\n" + body + b"\r\n", mail_options=list(options))

    def deliver_twice(self):
        for n in (1, 2):
            self.send(b"message %d" % n)
            wait_for(lambda: len(self.receiver.messages) == n, what=f"delivery {n}")
        return self.receiver.reused

    def test_delivery_offers_the_destinations_last_tls_session(self):
        # Issue 16 §3, as Postfix's smtp_tls_session_cache_database: the second connection
        # to the same MX resumes the first one's session.
        self.start(["8BITMIME"], tls=True)
        self.assertEqual(self.deliver_twice(), [False, True])

    def test_delivery_without_outbound_resumption_makes_full_handshakes(self):
        self.start(["8BITMIME"], tls=True, extra=["sslconfig outbound --resumption=no"])
        self.assertEqual(self.deliver_twice(), [False, False])

    def test_8bit_data_to_a_receiver_offering_8bitmime_with_sni_of_the_mx_host(self):
        self.start(["8BITMIME", "PIPELINING"], tls=True)
        self.send("grüße".encode(), ["BODY=8BITMIME"])
        wait_for(lambda: self.receiver.messages, what="the message at the receiver")
        mail, data = self.receiver.messages[0]
        self.assertEqual(mail, "MAIL FROM:<alice@example.com> BODY=8BITMIME")
        self.assertIn("grüße".encode(), data)
        self.assertEqual(self.receiver.server_names, ["mail.zeta.test"])

    def test_8bit_data_to_a_receiver_without_8bitmime_bounces(self):
        self.start(["PIPELINING"])
        self.send("grüße".encode(), ["BODY=8BITMIME"])
        wait_for(lambda: self.receiver.messages, timeout=30, what="the bounce at the receiver")
        mail, data = self.receiver.messages[0]
        self.assertEqual(mail, "MAIL FROM:<>")  # the DSN, not the message
        self.assertIn(b"5.6.3", data)
        self.assertEqual(len(self.receiver.messages), 1)

    def test_7bit_data_declared_8bitmime_goes_without_body_parameter(self):
        self.start(["PIPELINING"])
        self.send(b"plain ascii", ["BODY=8BITMIME"])
        wait_for(lambda: self.receiver.messages, what="the message at the receiver")
        mail, data = self.receiver.messages[0]
        self.assertEqual(mail, "MAIL FROM:<alice@example.com>")
        self.assertIn(b"plain ascii", data)

    def test_tlsverify_sends_the_host_as_sni_and_never_an_address(self):
        self.start(["8BITMIME"], tls=True)
        port = self.receiver.port
        # The receiver's certificate is self-signed: tlsverify says so and exits 1, after the handshake.
        out = self.appliance.cli(f"tlsverify zeta.test localhost:{port}", check=False).stdout
        self.assertIn("TLS connection established", out)
        out = self.appliance.cli(f"tlsverify zeta.test 127.0.0.1:{port}", check=False).stdout
        self.assertIn("TLS connection established", out)
        # Python reports a ClientHello without server_name as None (RFC 6066 §3: no literals).
        self.assertEqual(self.receiver.server_names, ["localhost", None])

    def raw_send(self, recipient):
        """A non-ASCII recipient, sent raw (smtplib will not without SMTPUTF8 offered)."""
        with socket.create_connection(("127.0.0.1", self.appliance.port), timeout=10) as s:
            reader = s.makefile("rb")
            reader.readline()
            s.sendall(b"EHLO probe.example\r\nMAIL FROM:<alice@example.com>\r\nRCPT TO:<" + recipient.encode() +
                      b">\r\nDATA\r\n")
            replies = []
            while len(replies) < 4:
                line = reader.readline()
                if not line.startswith(b"250-"):
                    replies.append(line)
            self.assertTrue(replies[3].startswith(b"354"), replies)
            s.sendall(b"Subject: utf8\r\n\r\nhello\r\n.\r\nQUIT\r\n")
            self.assertTrue(reader.readline().startswith(b"250"))

    def test_a_non_ascii_recipient_goes_only_to_a_receiver_offering_smtputf8(self):
        self.start(["8BITMIME", "SMTPUTF8"])
        self.raw_send("jörg@zeta.test")
        wait_for(lambda: self.receiver.messages, what="the message at the receiver")
        # The Received: header names the recipient, so the data is 8-bit too (RFC 6532).
        self.assertEqual(self.receiver.messages[0][0], "MAIL FROM:<alice@example.com> BODY=8BITMIME SMTPUTF8")

    def test_a_non_ascii_recipient_to_a_receiver_without_smtputf8_bounces(self):
        self.start(["8BITMIME"])
        self.raw_send("jörg@zeta.test")
        wait_for(lambda: self.receiver.messages, timeout=30, what="the bounce at the receiver")
        mail, data = self.receiver.messages[0]
        self.assertTrue(mail.startswith("MAIL FROM:<> "), mail)  # the DSN quotes 8-bit headers
        self.assertNotIn("SMTPUTF8", mail)
        self.assertIn(b"5.6.7", data)
        self.assertEqual(len(self.receiver.messages), 1)


if __name__ == "__main__":
    unittest.main()
