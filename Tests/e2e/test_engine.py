"""Issue 4: the engine with real clients (openssl s_client, smtplib, swaks), STARTTLS
injection, client certificates, reloads mid-DATA, and SIGKILL during a stream."""
import os
import re
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import Appliance, openssl_pki, server_pki, wait_for


def unverified():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def s_client(port, *extra):
    return subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect", f"127.0.0.1:{port}", "-brief",
                           *extra], input="QUIT\n", capture_output=True, text=True, timeout=30)


def accepted_mid(reply):
    match = re.search(rb"Message (\d+) accepted", reply)
    return int(match.group(1)) if match else None


class TLSLevelTests(unittest.TestCase):
    def setUp(self):
        self.appliance = Appliance()

    def tearDown(self):
        self.appliance.remove()

    def test_required_refuses_plaintext_mail_and_accepts_after_starttls(self):
        self.appliance.cli('listenerconfig edit InboundMail hostaccess default --tls=required --demo=yes; commit "tls" Y')
        self.appliance.start()
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.ehlo("client.example")
            self.assertTrue(client.has_extn("starttls"))
            self.assertEqual(client.docmd("MAIL FROM:<a@b.example>"), (530, b"Must issue a STARTTLS command first"))
            client.starttls(context=unverified())
            client.ehlo("client.example")
            self.assertFalse(client.has_extn("starttls"))
            client.mail("a@b.example")
            client.rcpt("joe@example.com")
            code, reply = client.data(b"Subject: over TLS\r\nMessage-ID: <t1@b.example>\r\n\r\nhello\r\n")
            self.assertEqual(code, 250)
        mid = accepted_mid(reply)
        envelope, message = self.appliance.spool()[mid]
        self.assertEqual(envelope["recipients"], ["joe@example.com"])
        self.assertEqual(envelope["tlsProtocol"], "TLSv1.3")
        self.assertIn(b"with ESMTPS (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384)", message)
        self.assertTrue(message.endswith(b"Subject: over TLS\r\nMessage-ID: <t1@b.example>\r\n\r\nhello\r\n"))
        log = self.appliance.mail_log()
        self.assertIn("TLS was required but remote host did not initiate it", log)
        self.assertRegex(log, r"ICID \d+ TLS success protocol TLSv1.3 cipher TLS_AES_256_GCM_SHA384")
        self.assertIn(f"MID {mid} Message-ID '<t1@b.example>'", log)
        self.assertIn(f"MID {mid} queued for delivery", log)

    def test_preferred_with_an_address_list_refuses_listed_senders_in_plaintext(self):
        """Issue 14 §6: TLS is Mandatory for Address List. A listed sender over plaintext gets 530
        and a mail log line; over TLS it is accepted; a sender not on the list needs no TLS."""
        self.appliance.cli("addresslistconfig new PARTNERS @partner.example,ceo@; "
                           "listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes "
                           "--tls_address_list=PARTNERS; commit partners Y")
        self.appliance.start()
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.ehlo("client.example")
            code, text = client.docmd("MAIL FROM:<anna@partner.example>")
            self.assertEqual(code, 530)
            self.assertIn(b"try again using STARTTLS", text)
            client.starttls(context=unverified())
            client.ehlo("client.example")
            self.assertEqual(client.mail("anna@partner.example")[0], 250)
            client.rcpt("joe@example.com")
            self.assertEqual(client.data(b"Subject: partner over TLS\r\n\r\nhello\r\n")[0], 250)
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.ehlo("client.example")
            self.assertEqual(client.mail("someone@other.example")[0], 250)
        wait_for(lambda: "TLS was required for sender <anna@partner.example> (address list PARTNERS) "
                         "but remote host did not initiate it" in self.appliance.mail_log(), what="the log line")

    def test_no_tls_does_not_advertise_starttls(self):
        self.appliance.start()
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.ehlo("client.example")
            self.assertFalse(client.has_extn("starttls"))
            self.assertEqual(client.docmd("STARTTLS")[0], 454)

    def test_s_client_gets_exactly_the_committed_protocol_and_cipher(self):
        self.appliance.cli('listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes; '
                           'sslconfig inbound tlsv1.2 ECDHE-RSA-AES128-GCM-SHA256; commit "one cipher" Y')
        self.appliance.start()
        result = s_client(self.appliance.port)
        self.assertIn("Protocol version: TLSv1.2", result.stdout + result.stderr)
        self.assertIn("Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256", result.stdout + result.stderr)
        refused = s_client(self.appliance.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("handshake failure", refused.stdout + refused.stderr)
        self.assertIn("TLS failed: no shared cipher", self.appliance.mail_log())
        tls13 = s_client(self.appliance.port, "-tls1_3")
        self.assertNotEqual(tls13.returncode, 0)

    def test_swaks_with_tls(self):
        self.appliance.cli('listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes; commit t Y')
        self.appliance.start()
        result = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.appliance.port}", "--tls",
                                 "--to", "joe@example.com", "--from", "a@b.example", "--body", "swaks over tls"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("TLS started", result.stdout)
        self.assertRegex(result.stdout, r"<~\s+250 2\.0\.0 Ok: Message \d+ accepted")

    def test_sslscan_sees_only_the_configured_versions(self):
        self.appliance.cli('listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes; commit t Y')
        self.appliance.start()
        result = subprocess.run(["sslscan", "--no-colour", "--starttls-smtp", f"127.0.0.1:{self.appliance.port}"],
                                capture_output=True, text=True, timeout=120)
        out = result.stdout
        self.assertRegex(out, r"TLSv1\.3\s+enabled")
        self.assertRegex(out, r"TLSv1\.2\s+enabled")
        self.assertRegex(out, r"TLSv1\.1\s+disabled")
        self.assertRegex(out, r"TLSv1\.0\s+disabled")


class ClientCertificateTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="postern-pki-")
        cls.pki = openssl_pki(cls.directory)

    def run_level(self, level):
        appliance = Appliance()
        appliance.cli(f'certconfig certauthority custom import {appliance.place(self.pki["ca.crt"])}; '
                      f'listenerconfig edit InboundMail hostaccess default --tls={level} --demo=yes; commit verify Y')
        appliance.start()
        return appliance

    def attempt(self, port, certificate=None):
        """STARTTLS (with a client certificate or none), then a message; the reply code or the error."""
        context = unverified()
        if certificate:
            context.load_cert_chain(self.pki[certificate + ".crt"], self.pki[certificate + ".key"])
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.ehlo("client.example")
                client.starttls(context=context)
                client.ehlo("client.example")
                client.mail("a@b.example")
                client.rcpt("joe@example.com")
                return client.data(b"Subject: cert\r\n\r\nx\r\n")[0]
        except (smtplib.SMTPException, ssl.SSLError, ConnectionError, OSError) as error:
            return type(error).__name__

    def test_preferred_verify(self):
        appliance = self.run_level("preferred-verify")
        try:
            self.assertEqual(self.attempt(appliance.port, "client"), 250)
            self.assertEqual(self.attempt(appliance.port, None), 250)
            self.assertNotEqual(self.attempt(appliance.port, "stranger"), 250)
            # Under TLS 1.3 the client may hear of the refusal before the engine logs it.
            log = wait_for(lambda: (lambda text: text if re.search(r"TLS failed: .*certificate", text) else None)(
                appliance.mail_log()), what="TLS failed: ... certificate")
            self.assertIn("client certificate CN=mx.partner.example verified yes", log)
        finally:
            appliance.remove()

    def test_required_verify(self):
        appliance = self.run_level("required-verify")
        try:
            self.assertEqual(self.attempt(appliance.port, "client"), 250)
            self.assertNotEqual(self.attempt(appliance.port, None), 250)
            self.assertNotEqual(self.attempt(appliance.port, "stranger"), 250)
            with smtplib.SMTP("127.0.0.1", appliance.port, timeout=10) as client:
                client.ehlo("x")
                self.assertEqual(client.docmd("MAIL FROM:<a@b.example>")[0], 530)
        finally:
            appliance.remove()

    def test_the_chain_sent_is_the_configured_one(self):
        """A certificate the imported authority signed, with no chain configured: the engine
        sends it alone, not a chain OpenSSL would build on every handshake from the
        authorities that verify clients."""
        directory = tempfile.mkdtemp(prefix="postern-chain-")
        pki = server_pki(directory, "postern.example.com")
        appliance = Appliance()
        try:
            appliance.cli(f"certconfig certificate import Signed {appliance.place(pki['server.crt'])} "
                          f"{appliance.place(pki['server.key'])}; "
                          f"certconfig certauthority custom import {appliance.place(pki['ca.crt'])}; "
                          "listenerconfig edit InboundMail certificate Signed; "
                          "listenerconfig edit InboundMail hostaccess default --tls=preferred-verify; commit chain Y")
            appliance.start()
            shown = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect",
                                    f"127.0.0.1:{appliance.port}", "-showcerts"],
                                   input="QUIT\n", capture_output=True, text=True, timeout=30)
            self.assertIn("CN = postern.example.com", shown.stdout, shown.stdout + shown.stderr)
            self.assertEqual(shown.stdout.count("-----BEGIN CERTIFICATE-----"), 1, shown.stdout)
        finally:
            appliance.remove()


class ProtocolSafetyTests(unittest.TestCase):
    def setUp(self):
        self.appliance = Appliance()
        self.appliance.cli('listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes; commit t Y')
        self.appliance.start()

    def tearDown(self):
        self.appliance.remove()

    def test_commands_injected_behind_starttls_are_never_executed(self):
        raw = socket.create_connection(("127.0.0.1", self.appliance.port), timeout=10)
        reader = raw.makefile("rb")
        self.assertTrue(reader.readline().startswith(b"220"))
        raw.sendall(b"EHLO attacker.example\r\n")
        while not reader.readline().startswith(b"250 "):
            pass
        raw.sendall(b"STARTTLS\r\nMAIL FROM:<evil@x>\r\n")  # one packet
        self.assertTrue(reader.readline().startswith(b"220"))
        tls = unverified().wrap_socket(raw, server_hostname="localhost")
        tls.sendall(b"EHLO client.example\r\n")
        first = tls.recv(4096)
        self.assertTrue(first.startswith(b"250-"), first)  # the EHLO reply, not the injected MAIL's
        tls.sendall(b"QUIT\r\n")
        tls.close()
        log = wait_for(lambda: "close" in self.appliance.mail_log() and self.appliance.mail_log(), what="the log")
        self.assertIn("discarded 20 plaintext bytes pipelined after STARTTLS", log)
        self.assertNotIn("evil@x", log)

    def test_overlong_lines_and_bad_commands(self):
        with socket.create_connection(("127.0.0.1", self.appliance.port), timeout=10) as raw:
            reader = raw.makefile("rb")
            reader.readline()
            raw.sendall(b"NOOP " + b"x" * 5000 + b"\r\nNOOP\r\n")
            self.assertEqual(reader.readline(), b"500 5.5.2 Line too long\r\n")
            self.assertTrue(reader.readline().startswith(b"250"))
            for _ in range(3):
                raw.sendall(b"FROB\r\n")
                self.assertEqual(reader.readline(), b"500 #5.5.1 command not recognized\r\n")
            raw.sendall(b"FROB\r\n")
            self.assertEqual(reader.readline(), b"421 Exceeded bad SMTP command limit, disconnecting.\r\n")
            self.assertEqual(reader.readline(), b"")

    def test_pipelined_transaction_and_size_limit(self):
        self.appliance.cli('listenerconfig edit InboundMail hostaccess default --max_size=1k; commit small Y')
        with socket.create_connection(("127.0.0.1", self.appliance.port), timeout=10) as raw:
            reader = raw.makefile("rb")
            reader.readline()
            raw.sendall(b"EHLO c\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<joe@example.com>\r\nRCPT TO:<no@else.example>\r\n"
                        b"DATA\r\n")
            lines = []
            while len(lines) < 5:
                line = reader.readline()
                if not line.startswith(b"250-"):
                    lines.append(line)
            self.assertTrue(lines[0].startswith(b"250 "))
            self.assertEqual(lines[3], b"550 #5.1.0 Address rejected <no@else.example>\r\n")
            self.assertTrue(lines[4].startswith(b"354"))
            raw.sendall(b"Subject: big\r\n\r\n" + b"y" * 2000 + b"\r\n.\r\nQUIT\r\n")
            self.assertEqual(reader.readline(), b"552 #5.3.4 message size exceeds limit\r\n")
            self.assertTrue(reader.readline().startswith(b"221"))

    def test_rejected_and_refused_sender_groups(self):
        self.appliance.cli('listenerconfig edit InboundMail hostaccess new sendergroup BAD 127.0.0.2 reject; '
                           'listenerconfig edit InboundMail hostaccess new sendergroup WORSE 127.0.0.3 tcprefuse; '
                           'commit groups Y')
        with socket.create_connection(("127.0.0.1", self.appliance.port), timeout=10, source_address=("127.0.0.2", 0)) as raw:
            self.assertTrue(raw.makefile("rb").readline().startswith(b"554 "))
        with socket.create_connection(("127.0.0.1", self.appliance.port), timeout=10, source_address=("127.0.0.3", 0)) as raw:
            self.assertEqual(raw.makefile("rb").readline(), b"")
        log = wait_for(lambda: "TCPREFUSE" in self.appliance.mail_log() and self.appliance.mail_log(), what="the log")
        self.assertRegex(log, r"ICID \d+ REJECT SG BAD match 127\.0\.0\.2 SBRS None")
        self.assertIn("ICID 0 TCPREFUSE SG WORSE match 127.0.0.3 SBRS None", log)


class RecipientAccessTests(unittest.TestCase):
    """The RAT as a sender meets it (issue 14, section 5): a narrow entry added after a
    broader one still decides, and an Accept entry's custom response is what RCPT gets."""

    def setUp(self):
        self.appliance = Appliance()

    def tearDown(self):
        self.appliance.remove()

    def test_a_new_narrow_entry_decides_and_accept_responses_are_sent(self):
        self.appliance.cli("listenerconfig edit InboundMail rcptaccess new blocked@example.com reject N; "
                           "listenerconfig edit InboundMail rcptaccess new vip@example.com accept Y 251 archived N; "
                           "commit rat Y")
        self.appliance.start()
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.ehlo("sender.example")
            self.assertEqual(client.mail("a@sender.example")[0], 250)
            self.assertEqual(client.rcpt("blocked@example.com")[0], 550)
            self.assertEqual(client.rcpt("vip@example.com"), (251, b"archived"))
            self.assertEqual(client.rcpt("anyone@example.com")[0], 250)


class LimitTests(unittest.TestCase):
    def setUp(self):
        self.appliance = Appliance()

    def tearDown(self):
        self.appliance.remove()

    def banner(self, sock):
        return sock.makefile("rb").readline()

    def test_listener_and_per_ip_concurrency_and_idle_timeout(self):
        self.appliance.cli("listenerconfig edit InboundMail limits 3 10; "
                           "listenerconfig edit InboundMail hostaccess default --max_conn=2; "
                           "listenerconfig setup --idle_timeout=2; commit limits Y")
        self.appliance.start()
        port = self.appliance.port
        first = socket.create_connection(("127.0.0.1", port), timeout=10)
        second = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.assertTrue(self.banner(first).startswith(b"220"))
        self.assertTrue(self.banner(second).startswith(b"220"))
        # A third from the same address passes the listener's limit (3) but not the policy's per-IP one (2).
        third = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.assertEqual(self.banner(third), b"421 4.4.5 Too many concurrent connections from your address; "
                                             b"try again later\r\n")
        # The engine closes it and only then stops counting it: wait for the close, or the next
        # connection can still find the listener full (seen under load).
        self.assertEqual(third.recv(1), b"")
        third.close()
        other = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=("127.0.0.5", 0))
        greeting = self.banner(other)
        self.assertTrue(greeting.startswith(b"220"), greeting)
        fourth = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=("127.0.0.6", 0))
        self.assertEqual(self.banner(fourth), b"421 4.4.5 Too many concurrent connections; try again later\r\n")
        fourth.close()
        # Idle sessions are closed with the AsyncOS reply.
        reader = first.makefile("rb")
        self.assertEqual(reader.readline(), b"421 Timed out waiting for successful message injection, "
                                            b"disconnecting.\r\n")
        for s in (first, second, other):
            s.close()
        self.assertIn("Receiving Failed: Connection limit exceeded", self.appliance.mail_log())

    def test_the_global_limit_of_concurrent_tls_connections(self):
        self.appliance.cli("listenerconfig setup --max_tls_connections=1; "
                           "listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes; commit tls1 Y")
        self.appliance.start()
        first = smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10)
        first.starttls(context=unverified())
        self.assertEqual(first.ehlo("one")[0], 250)
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as second:
            second.ehlo("two")
            self.assertEqual(second.docmd("STARTTLS"), (454, b"4.7.0 TLS not available due to temporary reason"))
            # TLS Preferred: the second client may go on in plaintext.
            self.assertEqual(second.sendmail("a@b.example", ["joe@example.com"], "Subject: p\r\n\r\nx\r\n"), {})
        first.quit()
        # The slot is given back when the first connection ends.
        def third_gets_tls():
            with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as third:
                third.ehlo("three")
                return third.docmd("STARTTLS")[0] == 220
        wait_for(third_gets_tls, what="a TLS slot to be free again")
        self.assertIn("TLS failed: the limit of concurrent TLS connections is reached", self.appliance.mail_log())

    def test_a_blackhole_listener_answers_and_keeps_nothing(self):
        from harness import free_port
        sink = free_port()
        self.appliance.cli(f"listenerconfig new Sink blackhole Loopback smtp --port={sink} --accept=example.com; "
                           "commit sink Y")
        self.appliance.start()
        with smtplib.SMTP("127.0.0.1", sink, timeout=10) as client:
            self.assertEqual(client.sendmail("a@b.example", ["joe@example.com"], "Subject: gone\r\n\r\nx\r\n"), {})
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            self.assertEqual(client.sendmail("a@b.example", ["joe@example.com"], "Subject: kept\r\n\r\ny\r\n"), {})
        log = wait_for(lambda: "queued for delivery" in self.appliance.mail_log() and self.appliance.mail_log(),
                       what="the kept message")
        self.assertRegex(log, r"MID \d+ discarded by a blackhole listener")
        kept = [message for _, message in self.appliance.spool().values()]
        self.assertEqual(len(kept), 1)
        self.assertIn(b"Subject: kept", kept[0])

    def test_recipients_per_hour_per_host_survive_a_reload(self):
        self.appliance.cli("listenerconfig edit InboundMail hostaccess default --rate_lim=yes --max_rcpts_per_hour=3; "
                           "commit rate Y")
        self.appliance.start()
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            self.assertEqual(client.sendmail("a@b.example", ["joe@example.com", "ann@example.com"], "Subject: 1\r\n\r\nx\r\n"), {})
        # A commit in between reloads the engine; the count stays with the host.
        before = self.appliance.status()["generation"]
        self.appliance.cli('listenerconfig edit InboundMail limits 900 50; commit "other change" Y')
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.ehlo("c")
            client.mail("a@b.example")
            self.assertEqual(client.rcpt("bob@example.com")[0], 250)
            code, text = client.rcpt("eve@example.com")
            self.assertEqual((code, text), (452, b"#4.5.3 Too many recipients received this hour"))
            code, _ = client.data("Subject: 2\r\n\r\ny\r\n")
            self.assertEqual(code, 250)
        # Another host has its own count.
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10, source_address=("127.0.0.7", 0)) as client:
            self.assertEqual(client.sendmail("a@b.example", ["joe@example.com"], "Subject: 3\r\n\r\nz\r\n"), {})
        self.assertRegex(self.appliance.mail_log(), r"MID \d+ ICID \d+ To: <eve@example\.com> Rejected by Receiving Control")
        wait_for(lambda: self.appliance.status()["counters"]["recipientsRejected"] == 1, what="the refused recipient counted")
        self.assertIn("1 recipient refused (RAT or rate limit)", self.appliance.cli("status").stdout)
        self.appliance.wait_generation(before + 1)


class DurabilityTests(unittest.TestCase):
    def setUp(self):
        self.appliance = Appliance()
        self.appliance.cli('listenerconfig edit InboundMail hostaccess default --max_msgs=1000 --max_conn=100; '
                           'commit limits Y')
        self.appliance.start()

    def tearDown(self):
        self.appliance.remove()

    def send_slowly(self, index, results, in_data, reloaded):
        """One message whose DATA is held open until reloads have happened in its middle."""
        try:
            with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=30) as client:
                client.ehlo("slow.example")
                client.mail(f"sender{index}@b.example")
                client.rcpt("joe@example.com")
                code, _ = client.docmd("DATA")
                assert code == 354, code
                in_data.release()
                piece = 0
                while not reloaded.is_set():
                    client.send(f"X-Piece: {index}-{piece}\r\n".encode())
                    piece += 1
                    reloaded.wait(0.02)
                client.send(f"\r\nbody {index}\r\n.\r\n".encode())
                code, reply = client.getreply()
                results[index] = (code, accepted_mid(reply))
        except Exception as error:  # recorded, then asserted
            results[index] = (repr(error), None)

    def test_every_session_completes_across_many_reloads(self):
        results = {}
        in_data = threading.Semaphore(0)
        reloaded = threading.Event()
        threads = [threading.Thread(target=self.send_slowly, args=(i, results, in_data, reloaded)) for i in range(12)]
        for t in threads:
            t.start()
        for _ in threads:
            self.assertTrue(in_data.acquire(timeout=30))  # every session is inside DATA
        generation = self.appliance.status()["generation"]
        for i in range(10):
            self.appliance.cli(f'listenerconfig edit InboundMail limits {900 + i} 50; commit "reload {i}" Y')
        self.assertEqual(self.appliance.status()["sessionsByGeneration"].get(str(generation)), 12)
        reloaded.set()
        for t in threads:
            t.join()
        self.assertEqual(self.appliance.status()["generation"], generation + 10)
        self.assertEqual(sorted(code for code, _ in results.values()), [250] * 12, results)
        spool = self.appliance.spool()
        for index, (_, mid) in results.items():
            envelope, message = spool[mid]
            self.assertEqual(envelope["sender"], f"sender{index}@b.example")
            self.assertIn(f"body {index}\r\n".encode(), message)

    def test_every_acknowledged_message_survives_sigkill(self):
        acknowledged = {}
        stop = threading.Event()

        def stream():
            n = 0
            while not stop.is_set():
                try:
                    with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
                        client.ehlo("stream.example")
                        for _ in range(5):
                            n += 1
                            marker = f"marker-{n}-" + "z" * 2000
                            client.mail("a@b.example")
                            client.rcpt("joe@example.com")
                            code, reply = client.data(f"Subject: {n}\r\n\r\n{marker}\r\n".encode())
                            if code == 250:
                                acknowledged[accepted_mid(reply)] = marker
                except (smtplib.SMTPException, OSError):
                    return

        threads = [threading.Thread(target=stream) for _ in range(3)]
        for t in threads:
            t.start()
        wait_for(lambda: len(acknowledged) >= 60, what="60 acknowledged messages")
        self.appliance.kill()
        stop.set()
        for t in threads:
            t.join()
        spool = self.appliance.spool()
        for mid, marker in list(acknowledged.items()):
            self.assertIn(mid, spool, f"MID {mid} was acknowledged but is not in the queue")
            self.assertTrue(spool[mid][1].endswith(f"{marker}\r\n".encode()), f"MID {mid} is damaged")
        self.assertGreaterEqual(len(acknowledged), 60)


if __name__ == "__main__":
    unittest.main()
