"""Issue 12 §4 with a real engine and raw sockets: the EHLO argument, bare CR/LF in DATA,
<Postmaster>, mail loops, and control characters kept out of the mail log and headers."""
import re
import socket
import unittest

from harness import Appliance, smtp_reply, wait_for


class Raw:
    """A byte-exact SMTP client: what it sends is exactly what the test wrote."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        assert self.reply().startswith(b"220")

    def reply(self):
        return smtp_reply(self.file)

    def send(self, data):
        self.sock.sendall(data)
        return self.reply()

    def close(self):
        self.sock.close()


class StrictSyntaxTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.appliance = Appliance()
        cls.appliance.start()

    @classmethod
    def tearDownClass(cls):
        cls.appliance.remove()

    def setUp(self):
        self.client = Raw(self.appliance.port)

    def tearDown(self):
        self.client.close()

    def transaction(self):
        self.assertTrue(self.client.send(b"EHLO client.example\r\n").startswith(b"250"))
        self.assertTrue(self.client.send(b"MAIL FROM:<a@b.example>\r\n").startswith(b"250"))
        self.assertTrue(self.client.send(b"RCPT TO:<joe@example.com>\r\n").startswith(b"250"))
        self.assertTrue(self.client.send(b"DATA\r\n").startswith(b"354"))

    def test_hello_arguments_that_are_not_domains_get_501(self):
        for name in [b"evil.example\rX-Injected:\tyes", b"a\x00b", b"[999.0.0.1]", b"<x>"]:
            self.assertTrue(self.client.send(b"EHLO " + name + b"\r\n").startswith(b"501 5.5.4"), name)
        self.assertTrue(self.client.send(b"EHLO [127.0.0.1]\r\n").startswith(b"250"))

    def test_bare_lf_and_bare_cr_in_data_are_refused_and_nothing_is_queued(self):
        before = set(self.appliance.spool())
        for body in [b"Subject: a\r\n\r\nline\n.\nsmuggled\r\n.\r\n", b"Subject: b\r\n\r\nline\r.\rmore\r\n.\r\n"]:
            self.transaction()
            self.assertEqual(self.client.send(body), b"550 5.5.2 Error: bare <CR> or <LF> received\r\n")
        self.assertEqual(set(self.appliance.spool()), before)
        self.transaction()
        self.assertTrue(self.client.send(b"Subject: fine\r\n\r\nline\r\n.\r\n").startswith(b"250 2.0.0 Ok: Message"))

    def test_postmaster_without_a_domain_is_accepted(self):
        self.client.send(b"EHLO client.example\r\n")
        self.client.send(b"MAIL FROM:<a@b.example>\r\n")
        self.assertTrue(self.client.send(b"RCPT TO:<Postmaster>\r\n").startswith(b"250"))

    def test_a_mail_loop_is_refused(self):
        self.transaction()
        hops = b"".join(b"Received: from hop%d.example by mx.example; Sun, 29 Nov 2026 10:00:00 +0000\r\n" % i
                        for i in range(51))
        self.assertEqual(self.client.send(hops + b"Subject: loop\r\n\r\nx\r\n.\r\n"), b"554 5.4.6 Too many hops\r\n")

    def test_control_characters_never_reach_the_mail_log(self):
        self.transaction()
        reply = self.client.send(b"Subject: \x1b[31mred\x07 \x01\r\nMessage-ID: <c\x7f@b.example>\r\n\r\nx\r\n.\r\n")
        self.assertTrue(reply.startswith(b"250"))
        mid = int(re.search(rb"Message (\d+) accepted", reply).group(1))
        log = wait_for(lambda: (lambda text: text if f"MID {mid} queued" in text else None)(self.appliance.mail_log()),
                       what="the message in the log")
        self.assertIn(f"MID {mid} Subject '?[31mred? ?'", log)
        self.assertFalse(re.search(r"[\x00-\x08\x0b-\x1f\x7f]", log))


if __name__ == "__main__":
    unittest.main()
