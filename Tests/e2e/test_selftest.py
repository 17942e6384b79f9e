"""Issue 18: `selftest` checks the live listeners from loopback with the delivery client; every
check passes against the engine and fails against a server broken in that one way."""
import json
import shutil
import tempfile
import unittest

from harness import Appliance, free_port, openssl_pki, server_pki
from misbehaving_smtp import MisbehavingSMTP

TLS_REQUIRED = 'listenerconfig edit InboundMail hostaccess default --tls=required --demo=yes; commit "tls" Y'


class SelfTestTests(unittest.TestCase):
    def setUp(self):
        self.appliance = Appliance()
        self.appliance.cli(TLS_REQUIRED)

    def tearDown(self):
        self.appliance.stop()
        self.appliance.remove()

    def test_the_engine_passes_every_check(self):
        # A certificate for the interface's host name from a CA the appliance trusts.
        directory = tempfile.mkdtemp(prefix="postern-e2e-pki-")
        self.addCleanup(shutil.rmtree, directory, True)
        pki = server_pki(directory, "postern.example.com")
        a = self.appliance
        a.cli(f"certconfig certificate import Signed {a.place(pki['server.crt'])} {a.place(pki['server.key'])}; "
              f"certconfig certauthority custom import {a.place(pki['ca.crt'])}; "
              "listenerconfig edit InboundMail certificate Signed; commit signed Y")
        self.appliance.start()
        result = self.appliance.cli("selftest", check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        for check in ["PASS  STARTTLS advertised only where the policy allows it (RFC 3207 §4)",
                      "PASS  530 for every command but NOOP, EHLO, STARTTLS and QUIT under Required (RFC 3207 §4): "
                      "MAIL FROM:<probe@selftest.postern.example.com> SIZE=0 → 530",
                      "PASS  STARTTLS not advertised after TLS (RFC 3207 §4.2)",
                      "PASS  Plaintext pipelined behind STARTTLS discarded (CVE-2011-0411) (RFC 3207 §5)",
                      "PASS  Protocol versions exactly those sslconfig INBOUND lists (RFC 8996, sslconfig): accepted "
                      "TLS v1.2/TLS v1.3; configured TLS v1.2/TLS v1.3",
                      "PASS  Session reset after STARTTLS (EHLO needed again) (RFC 3207 §4.2): MAIL before EHLO inside "
                      "TLS: 503",
                      "PASS  Certificate chain complete up to a trusted authority (RFC 5280 §6)",
                      "PASS  Certificate names the listener's host name (RFC 6125 §6.4)",
                      "PASS  TLS 1.2 ciphers exactly those sslconfig INBOUND lists (RFC 5246 §7.4.1.2, sslconfig)"]:
            self.assertIn(check, result.stdout)
        self.assertIn("10 check(s), 0 failed.", result.stdout)
        report = json.loads(self.appliance.cli("selftest --json").stdout)
        self.assertEqual([c["passed"] for c in report["listeners"][0]["checks"]], [True] * 10)

    def broken(self, *faults):
        directory = tempfile.mkdtemp(prefix="postern-e2e-pki-")
        self.addCleanup(shutil.rmtree, directory, True)
        pki = openssl_pki(directory)
        server = MisbehavingSMTP(self.appliance.port, pki["stranger.crt"], pki["stranger.key"], faults)
        self.addCleanup(server.close)
        result = self.appliance.cli("selftest", check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        return result.stdout

    def test_each_check_fails_against_a_server_broken_that_way(self):
        out = self.broken("starttls_after_tls", "plain_mail")
        self.assertIn("FAIL  STARTTLS not advertised after TLS (RFC 3207 §4.2): the EHLO after TLS lists STARTTLS", out)
        self.assertIn("FAIL  530 for every command but NOOP, EHLO, STARTTLS and QUIT under Required (RFC 3207 §4): "
                      "MAIL FROM:<probe@selftest.postern.example.com> → 250 ok; RCPT TO:<postmaster@example.com> → 250 ok; "
                      "RSET → 250 ok", out)
        # Its certificate names stranger.example, not the listener's host.
        self.assertIn("FAIL  Certificate names the listener's host name (RFC 6125 §6.4): CN=stranger.example", out)
        self.assertIn("FAIL  Certificate chain complete up to a trusted authority (RFC 5280 §6): self-signed certificate",
                      out)
        self.assertIn("PASS  STARTTLS advertised only where the policy allows it", out)
        self.assertIn("PASS  Plaintext pipelined behind STARTTLS discarded", out)
        self.assertIn("PASS  Session reset after STARTTLS", out)

    def test_a_server_that_keeps_the_session_across_starttls_fails(self):
        out = self.broken("keeps_session")
        self.assertIn("FAIL  Session reset after STARTTLS (EHLO needed again) (RFC 3207 §4.2): MAIL before EHLO inside "
                      "TLS: 250 ok", out)

    def test_a_server_that_answers_commands_pipelined_behind_starttls_fails(self):
        out = self.broken("answers_pipelined")
        self.assertIn("FAIL  Plaintext pipelined behind STARTTLS discarded (CVE-2011-0411) (RFC 3207 §5): HELP sent in "
                      "the clear with STARTTLS was answered inside TLS: 214", out)

    def test_a_server_that_refuses_a_configured_protocol_fails(self):
        out = self.broken("tls13_only")
        self.assertIn("FAIL  Protocol versions exactly those sslconfig INBOUND lists (RFC 8996, sslconfig): accepted "
                      "TLS v1.3; configured TLS v1.2/TLS v1.3", out)

    def test_verify_refusal_passes_against_the_engine_and_fails_against_a_server_that_asks_for_nothing(self):
        self.appliance.cli('listenerconfig edit InboundMail hostaccess default --tls=required-verify; commit verify Y')
        self.appliance.start()
        result = self.appliance.cli("selftest", check=False)
        self.assertIn("PASS  Client without a certificate refused under -Verify (RFC 3207 §4.1)", result.stdout,
                      result.stdout + result.stderr)
        self.assertEqual(result.returncode, 0, result.stdout)
        self.appliance.stop()
        out = self.broken()
        self.assertIn("FAIL  Client without a certificate refused under -Verify (RFC 3207 §4.1): the handshake "
                      "completed without a client certificate", out)

    def test_resumption_across_a_verify_boundary_passes_against_the_engine_and_fails_against_a_shared_cache(self):
        directory = tempfile.mkdtemp(prefix="postern-e2e-pki-")
        self.addCleanup(shutil.rmtree, directory, True)
        pki = openssl_pki(directory)
        a = self.appliance
        a.cli(f'certconfig certauthority custom import {a.place(pki["ca.crt"])}; '
              'listenerconfig edit InboundMail hostaccess default --tls=required-verify; '
              'listenerconfig edit InboundMail hostaccess new policy PREF accept --tls=preferred --demo=yes; '
              'listenerconfig edit InboundMail hostaccess new sendergroup OTHERS 127.0.0.2 $PREF; commit resumption Y')
        a.start()
        out = a.cli("selftest", check=False).stdout
        self.assertIn("PASS  TLS session resumption does not cross a -Verify boundary (RFC 3207 §4.1, RFC 8446 §2.2): a "
                      "session made from 127.0.0.2 (TLS Preferred) offered from 127.0.0.1 (TLS Required - Verify): not "
                      "resumed; within its own policy it resumes", out)
        a.stop()
        # One session cache for every client, no certificate asked: the session crosses.
        out = self.broken()
        self.assertIn("FAIL  TLS session resumption does not cross a -Verify boundary (RFC 3207 §4.1, RFC 8446 §2.2): a "
                      "session made from 127.0.0.2 (TLS Preferred) offered from 127.0.0.1 (TLS Required - Verify): "
                      "resumed", out)

    def test_tls13_suites_must_be_exactly_the_configured_ones(self):
        ciphers = self.appliance.current()["configuration"]["ssl"]["inbound"]["ciphers"]
        self.appliance.cli(f'sslconfig inbound tlsv1.2/tlsv1.3 "{ciphers}" TLS_AES_256_GCM_SHA384; commit suites Y')
        self.appliance.start()
        out = self.appliance.cli("selftest", check=False).stdout
        self.assertIn("PASS  TLS 1.3 suites exactly those sslconfig INBOUND lists (RFC 8446 §B.4, sslconfig): accepted "
                      "TLS_AES_256_GCM_SHA384; configured TLS_AES_256_GCM_SHA384", out)
        self.appliance.stop()
        # Python's server takes its default suites whatever sslconfig says.
        out = self.broken()
        self.assertRegex(out, r"FAIL  TLS 1.3 suites exactly those sslconfig INBOUND lists \(RFC 8446 §B.4, sslconfig\): "
                              r"accepted TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256")

    def test_a_server_that_takes_other_ciphers_than_configured_fails(self):
        out = self.broken("one_cipher")
        self.assertRegex(out, r"FAIL  TLS 1\.2 ciphers exactly those sslconfig INBOUND lists \(RFC 5246 §7\.4\.1\.2, sslconfig\): "
                              r"1 accepted, \d+ configured for this certificate; configured but refused: ")

    def test_a_server_that_does_not_offer_starttls_under_required_fails(self):
        out = self.broken("no_starttls")
        self.assertIn("FAIL  STARTTLS advertised only where the policy allows it (RFC 3207 §4): policy TLS Required; "
                      "STARTTLS not advertised", out)

    def test_every_group_a_loopback_source_falls_in_is_checked_and_the_others_are_named(self):
        a = self.appliance
        a.cli("listenerconfig edit InboundMail hostaccess new sendergroup BAD 127.0.0.3 reject; "
              "listenerconfig edit InboundMail hostaccess new policy PREF accept --tls=preferred --demo=yes; "
              "listenerconfig edit InboundMail hostaccess new sendergroup FRIENDS 127.0.0.2 $PREF; commit groups Y")
        a.start()
        result = a.cli("selftest", check=False)
        out = result.stdout
        self.assertIn("  BAD, from 127.0.0.3: REJECT, TLS", out, out + result.stderr)
        self.assertIn("PASS  Sender refused as the policy says (Reject) (RFC 5321 §3.1, HAT)", out)
        self.assertIn("  FRIENDS, from 127.0.0.2: $PREF, TLS Preferred", out)
        self.assertIn("  UNKNOWNLIST, from 127.0.0.1: $ACCEPTED, TLS Required", out)
        self.assertRegex(out, r"  BLACKLIST: not checked: no loopback address falls in it \(127\.0\.0\.0/8 has no "
                              r"reputation score")
        self.assertIn("  WHITELIST: not checked: the group has no entries.", out)
        self.assertIn("  ALL: not checked: every loopback address falls in an earlier group.", out)
        # The demo certificate is self-signed: the one failure, once for the listener, not per group.
        self.assertEqual(result.returncode, 1, out)
        self.assertEqual(out.count("FAIL  "), 1)
        self.assertIn("The listener's TLS:\n    FAIL  Certificate chain complete up to a trusted authority", out)
        # One 530 check (the Required group), one STARTTLS check per group that lets a client in.
        self.assertEqual(out.count("PASS  530 for every command"), 1)
        self.assertEqual(out.count("PASS  STARTTLS advertised only where the policy allows it"), 2)
        report = json.loads(a.cli("selftest --json", check=False).stdout)
        listener = report["listeners"][0]
        self.assertEqual({g["name"]: g.get("source") for g in listener["groups"]},
                         {"BAD": "127.0.0.3", "FRIENDS": "127.0.0.2", "WHITELIST": None, "BLACKLIST": None,
                          "SUSPECTLIST": None, "UNKNOWNLIST": "127.0.0.1", "ALL": None})
        self.assertEqual({c.get("group") for c in listener["checks"]}, {"BAD", "FRIENDS", "UNKNOWNLIST", None})
        self.assertEqual(sum(c["name"].startswith("Certificate chain") for c in listener["checks"]), 1)
        self.assertTrue(all(c["clause"] for c in listener["checks"]))
        a.stop()
        # A server that lets everyone in fails the REJECT group's check.
        out = self.broken("plain_mail")
        self.assertIn("FAIL  Sender refused as the policy says (Reject) (RFC 5321 §3.1, HAT): 250 ok", out)

    def test_a_preferred_verify_group_is_met_by_a_client_without_a_certificate(self):
        # The probe presents no certificate: under Preferred - Verify such a sender is let in.
        a = self.appliance
        a.cli("listenerconfig edit InboundMail hostaccess new policy PV accept --tls=preferred-verify --demo=yes; "
              "listenerconfig edit InboundMail hostaccess new sendergroup PVG 127.0.0.2 $PV; commit pv Y")
        a.start()
        out = a.cli("selftest", check=False).stdout
        self.assertRegex(out, r"  PVG, from 127\.0\.0\.2: \$PV, TLS Preferred", out)
        self.assertNotIn("FAIL  TLS handshake", out)
        self.assertNotIn("certificate verify failed", a.mail_log())

    def test_a_server_that_offers_starttls_where_the_policy_says_no_fails(self):
        self.appliance.cli("listenerconfig edit InboundMail hostaccess default --tls=no; commit off Y")
        self.appliance.start()
        out = self.appliance.cli("selftest").stdout
        self.assertIn("PASS  STARTTLS advertised only where the policy allows it (RFC 3207 §4): policy TLS No; STARTTLS "
                      "not advertised", out)
        self.assertIn("The listener's TLS: not checked: no checked sender group's policy offers TLS without -Verify", out)
        self.appliance.stop()
        out = self.broken()
        self.assertIn("FAIL  STARTTLS advertised only where the policy allows it (RFC 3207 §4): policy TLS No; STARTTLS "
                      "advertised", out)

    def test_a_server_that_refuses_ehlo_after_tls_fails(self):
        out = self.broken("no_ehlo_after_tls")
        self.assertIn("FAIL  EHLO answered after TLS (RFC 3207 §4.2): no 250 to the EHLO after the handshake", out)

    def test_a_server_whose_handshake_fails_fails(self):
        out = self.broken("breaks_handshake")
        # Which reason depends on how TCP delivers the server's plaintext: with the 220 (the
        # probe drops it as bytes pipelined in the clear, then the connection ends) or after
        # it (the TLS layer reads it as a record: "wrong version number"). Either is a FAIL.
        self.assertRegex(out, r"FAIL  TLS handshake \(RFC 3207 §4\.1\): "
                              r"(the connection ended during the TLS handshake|wrong version number)")
        # Nothing that needs TLS passes on a handshake that never happened.
        self.assertNotIn("PASS  Plaintext pipelined behind STARTTLS discarded", out)
        self.assertNotIn("EHLO answered after TLS", out)

    def test_a_listener_nobody_answers_on_fails(self):
        # The engine is not running: nothing passes vacuously.
        result = self.appliance.cli("selftest", check=False)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("FAIL  Connection (RFC 5321 §3.1)", result.stdout)
        self.assertNotIn("PASS", result.stdout)

    def test_an_ipv6_listener_is_checked_from_the_ipv6_loopback(self):
        port = free_port("::1")
        a = self.appliance
        a.cli(f"interfaceconfig new Six ::1 128 six.example.com; "
              f"listenerconfig new Six6 private Six smtp --port={port} --relay=::1; "
              f"listenerconfig edit Six6 hostaccess default --tls=preferred --demo=yes; commit six Y")
        a.start()
        result = a.cli("selftest", check=False)
        out = result.stdout
        self.assertIn(f"Listener Six6 (::1 port {port}):", out, out + result.stderr)
        self.assertRegex(out, r"RELAYLIST, from ::1: \$RELAYED")
        self.assertIn("PASS  STARTTLS not advertised after TLS", out.split("Listener Six6")[1])


if __name__ == "__main__":
    unittest.main()
