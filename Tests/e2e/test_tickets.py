"""Issue 16 §3: session tickets whose keys the engine keeps under the home (mode 0600, never
logged), so a session resumes after a reload and after a restart of posternd; a ticket made
on a listener that asks for no certificate never resumes on one whose policy is Required -
Verify (the keys are shared; the session-id context is not); `sslconfig` turns resumption
off. openssl s_client -sess_out/-sess_in, TLS 1.2 and 1.3."""
import os
import re
import stat
import subprocess
import tempfile
import unittest

from harness import Appliance, free_port, openssl_pki

VERSIONS = ("-tls1_2", "-tls1_3")


class TicketTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="postern-tickets-")
        cls.pki = openssl_pki(cls.directory)
        cls.appliance = Appliance()
        cls.open_port = free_port()
        cls.appliance.cli(
            f'certconfig certauthority custom import {cls.appliance.place(cls.pki["ca.crt"])}; '
            'listenerconfig edit InboundMail hostaccess default --tls=required-verify --demo=yes; '
            f'listenerconfig new Open private Loopback smtp --port={cls.open_port} --relay=127.0.0.0/8; '
            'listenerconfig edit Open hostaccess default --tls=preferred --demo=yes; '
            'commit "two listeners" Y')
        cls.appliance.start()

    @classmethod
    def tearDownClass(cls):
        cls.appliance.remove()

    def s_client(self, port, *extra, certificate=False):
        arguments = ["openssl", "s_client", "-starttls", "smtp", "-connect", f"127.0.0.1:{port}", "-crlf",
                     "-ign_eof", *extra]
        if certificate:
            arguments += ["-cert", self.pki["client.crt"], "-key", self.pki["client.key"]]
        return subprocess.run(arguments, input="EHLO client.example\nMAIL FROM:<a@b.example>\nQUIT\n",
                              capture_output=True, text=True, timeout=30)

    def session(self, port, version, name, certificate=False):
        path = os.path.join(self.directory, f"{name}{version}.pem")
        made = self.s_client(port, version, "-sess_out", path, certificate=certificate)
        self.assertIn("250 2.1.0 sender <a@b.example> ok", made.stdout, made.stdout + made.stderr)
        self.assertRegex(made.stdout, r"(?m)^New, TLSv1\.[23]")
        return path

    def reused(self, port, version, path, certificate=False):
        result = self.s_client(port, version, "-sess_in", path, certificate=certificate)
        return re.search(r"(?m)^Reused, TLSv1\.[23]", result.stdout) is not None, result

    def test_a_ticket_resumes_after_a_reload_and_after_a_restart(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                path = self.session(self.open_port, version, "restart")
                generation = self.appliance.status()["generation"]
                # A commit compiles new SSL_CTXs: OpenSSL's own keys would be gone with the old ones.
                rcpts = 49 if version == "-tls1_2" else 48
                self.appliance.cli(f'listenerconfig edit Open hostaccess default --max_rcpt={rcpts}; '
                                   f'commit "reload {version}" Y')
                self.appliance.wait_generation(generation + 1)
                ok, result = self.reused(self.open_port, version, path)
                self.assertTrue(ok, "not resumed after a reload:\n" + result.stdout)
                self.appliance.stop()
                self.appliance.start()
                ok, result = self.reused(self.open_port, version, path)
                self.assertTrue(ok, "not resumed after a restart:\n" + result.stdout)

    def test_an_open_listeners_ticket_does_not_resume_under_required_verify(self):
        for version in VERSIONS:
            with self.subTest(version=version):
                path = self.session(self.open_port, version, "crossing")
                ok, result = self.reused(self.appliance.port, version, path)
                self.assertFalse(ok, "a ticket from a no-certificate listener resumed under Required - Verify")
                self.assertNotIn("250 2.1.0 sender", result.stdout, result.stdout + result.stderr)
                # With the certificate the full handshake passes: the check was made, not skipped.
                ok, result = self.reused(self.appliance.port, version, path, certificate=True)
                self.assertFalse(ok)
                self.assertIn("250 2.1.0 sender <a@b.example> ok", result.stdout, result.stdout + result.stderr)
                # And a verified session resumes where it was made.
                verified = self.session(self.appliance.port, version, "verified", certificate=True)
                ok, result = self.reused(self.appliance.port, version, verified, certificate=True)
                self.assertTrue(ok, result.stdout)

    def test_one_ticket_per_full_handshake_and_none_for_a_resumed_one(self):
        """A sending MTA keeps one session per destination; a second TLS 1.3 ticket would cost
        the server an encoding, an encryption and a MAC for nothing (Postfix sends one too).
        A session resumed under the newest key keeps its ticket."""
        path = os.path.join(self.directory, "count-tls1_3.pem")
        made = self.s_client(self.open_port, "-tls1_3", "-msg", "-sess_out", path)
        self.assertIn("250 2.1.0 sender <a@b.example> ok", made.stdout, made.stdout + made.stderr)
        self.assertEqual(made.stdout.count("NewSessionTicket"), 1, made.stdout)
        again = self.s_client(self.open_port, "-tls1_3", "-msg", "-sess_in", path)
        self.assertRegex(again.stdout, r"(?m)^Reused, TLSv1\.3")
        self.assertEqual(again.stdout.count("NewSessionTicket"), 0, again.stdout)

    def test_the_key_file_is_private_and_no_key_reaches_a_log(self):
        path = os.path.join(self.appliance.home, "tls", "session-ticket-keys")
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode), 0o700)
        with open(path) as f:
            secrets = [field for line in f.read().split("\n") if line for field in line.split()[1:]]
        self.assertTrue(secrets)
        logs = ""
        for root, _, files in os.walk(self.appliance.home):
            for name in files:
                if name.endswith(".log") or name.endswith(".stderr"):
                    with open(os.path.join(root, name), errors="replace") as f:
                        logs += f.read()
        for secret in secrets:
            self.assertNotIn(secret, logs)

    def test_resumption_off_gives_full_handshakes(self):
        path = self.session(self.open_port, "-tls1_3", "off")
        generation = self.appliance.status()["generation"]
        shown = self.appliance.cli('sslconfig inbound --resumption=no; sslconfig print; commit "no resumption" Y')
        self.assertIn("Inbound SMTP session resumption: Disabled", shown.stdout)
        self.appliance.wait_generation(generation + 1)
        try:
            for version in VERSIONS:
                ok, result = self.reused(self.open_port, version, path)
                self.assertFalse(ok, result.stdout)
        finally:
            generation = self.appliance.status()["generation"]
            self.appliance.cli('sslconfig inbound --resumption=yes --ticket_lifetime=3600; commit "back on" Y')
            self.appliance.wait_generation(generation + 1)


if __name__ == "__main__":
    unittest.main()
