"""Issue 18: `commit --dry-run` / `commitcheck --probe` serve the pending configuration on
loopback in an engine of their own and probe it with the delivery client; the live engine
and its port are untouched."""
import smtplib
import socket
import unittest

from harness import Appliance, free_port

TLS_REQUIRED = 'listenerconfig edit InboundMail hostaccess default --tls=required --demo=yes'


class DryRunTests(unittest.TestCase):
    def setUp(self):
        self.appliance = Appliance().start()

    def tearDown(self):
        self.appliance.stop()
        self.appliance.remove()

    def test_dry_run_probes_every_group_and_says_what_changes(self):
        result = self.appliance.cli(f'{TLS_REQUIRED}; commit --dry-run', check=False)
        out = result.stdout
        self.assertIn("Listener InboundMail (127.0.0.1 port %d):" % self.appliance.port, out, out + result.stderr)
        # The factory WHITELIST has no entries: said, not probed.
        self.assertIn("Not probed: the group has no entries.", out)
        # ALL ($ACCEPTED) now requires TLS: a real plaintext client got 530, a TLS one got through.
        self.assertIn("Answer in the clear:    530", out)
        self.assertIn("STARTTLS offered:       Yes", out)
        self.assertIn("TLS negotiated:         TLSv1.3", out)
        self.assertRegex(out, r"InboundMail ALL \(ALL\): TLS No → Required: plaintext senders in this group will now "
                              r"get 530[.;]")
        # The demo certificate is fine for 30 days and more: no warning, exit status 0.
        self.assertEqual(result.returncode, 0, result.stderr)
        # Nothing was committed and the live listener is as it was: no STARTTLS, mail accepted in the clear.
        self.assertEqual(self.appliance.current()["commit"]["generation"], 2)
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.ehlo("x")
            self.assertFalse(client.has_extn("starttls"))
            self.assertEqual(client.mail("a@example.com")[0], 250)

    def test_a_certificate_expiring_within_30_days_is_a_warning_and_fails_the_batch(self):
        result = self.appliance.cli('certconfig certificate new Soon --cn=mx.example.com --days=10; '
                                    'listenerconfig edit InboundMail certificate Soon; '
                                    'listenerconfig edit InboundMail hostaccess default --tls=preferred; '
                                    'commitcheck --probe',
                                    check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertRegex(result.stderr, r"Warning: InboundMail: the certificate CN=mx\.example\.com\S* expires in 9 days")
        self.assertIn("Certificate:            CN=mx.example.com", result.stdout)

    def test_methods_no_current_client_speaks_are_a_warning(self):
        result = self.appliance.cli('listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes; '
                                    'sslconfig inbound tlsv1/tlsv1.1 "DEFAULT:@SECLEVEL=0"; commitcheck --probe',
                                    check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("Warning: sslconfig INBOUND: the methods TLS v1.0/TLS v1.1 are ones no current client speaks",
                      result.stderr)
        # The handshake fails for want of a common version, not of a client certificate.
        self.assertIn("TLS handshake:          failed (", result.stdout)
        self.assertNotIn("without a client certificate", result.stdout)

    def test_an_ipv6_listener_beside_another_is_probed_and_named_new(self):
        port = free_port("::1")
        result = self.appliance.cli(f"interfaceconfig new Six ::1 128 six.example.com; "
                                    f"listenerconfig new Six6 private Six smtp --port={port} --relay=2001:db8::/32; "
                                    f"listenerconfig edit Six6 hostaccess default --tls=required --demo=yes; "
                                    f"commit --dry-run", check=False)
        out = result.stdout
        self.assertEqual(result.returncode, 0, out + result.stderr)
        self.assertIn("Listener InboundMail (127.0.0.1 port %d):" % self.appliance.port, out)
        six = out.split(f"Listener Six6 (::1 port {port}):")[1]
        # The IPv6 group is stood in for by a loopback address and met its policy.
        self.assertIn("RELAYLIST (2001:db8::/32): $RELAYED, Relay, TLS", six)
        self.assertIn("TLS negotiated:         TLSv1.3", six)
        self.assertIn(f"Listener Six6 (::1 port {port}) is new.", out)

    def test_a_cipher_string_the_certificate_cannot_serve_with_tls12_is_a_warning(self):
        # ECDSA ciphers only, with the demo certificate's RSA key: TLS 1.3 still works, TLS 1.2 cannot.
        result = self.appliance.cli(f'{TLS_REQUIRED}; sslconfig inbound tlsv1.2/tlsv1.3 "ECDHE-ECDSA-AES128-GCM-SHA256"; '
                                    'commitcheck --probe', check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn('Warning: InboundMail: no cipher of "ECDHE-ECDSA-AES128-GCM-SHA256" can be used with TLS v1.2 '
                      "and the listener's certificate", result.stderr)

    def test_a_port_another_program_holds_is_a_warning(self):
        with socket.create_server(("127.0.0.1", 0)) as holder:
            held = holder.getsockname()[1]
            result = self.appliance.cli(f"listenerconfig new Relay private Loopback smtp --port={held} "
                                        f"--relay=127.0.0.0/8; commitcheck --probe", check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn(f"Warning: Relay: port {held} on 127.0.0.1 is in use by another program", result.stderr)
        # The live engine's own port is not another program's.
        self.assertNotIn("InboundMail: port", result.stderr)

    def test_the_dry_run_needs_no_live_engine(self):
        self.appliance.stop()
        result = self.appliance.cli(f"{TLS_REQUIRED}; commit --dry-run", check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertRegex(result.stdout, r"InboundMail ALL \(ALL\): TLS No → Required: plaintext senders")


if __name__ == "__main__":
    unittest.main()
