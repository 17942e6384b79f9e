"""Issue 19: SMTP AUTH against a private slapd, with swaks and smtplib: smtpauthconfig's
batch forms and TEST, the policy's --smtp_auth and --tls_auth, 530 before AUTH, relaying
after it, the failure limit, the directory stopped mid-session, and secrets kept out of
showconfig and cli.log."""
import os
import signal
import smtplib
import ssl
import stat
import subprocess
import unittest

from harness import Appliance, wait_for
from ldapfixture import PrivateDirectory, READER_DN, READER_PASSWORD, SUFFIX, USERS


def unverified():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class SMTPAuthTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = PrivateDirectory().start()

    @classmethod
    def tearDownClass(cls):
        cls.directory.remove()

    def setUp(self):
        if self.directory.process is None:
            self.directory.start()
        self.appliance = Appliance()

    def tearDown(self):
        self.appliance.remove()

    def cli_stdin(self, command, stdin, check=True, home=None):
        result = subprocess.run([self.appliance_bin(), "--home", home or self.appliance.home, "-c", command],
                                input=stdin,
                                capture_output=True, text=True, timeout=60)
        if check:
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result

    @staticmethod
    def appliance_bin():
        from harness import POSTERN
        return POSTERN

    def profile(self, policy="--smtp_auth=preferred", extra="", cache=0):
        """An LDAP profile binding as the reader (password on stdin), chosen for InboundMail."""
        self.cli_stdin(f"smtpauthconfig new corp ldap --url={self.directory.url} --base=ou=people,{SUFFIX} "
                       f"--query='(uid={{u}})' --bind_dn={READER_DN} --timeout=3 --cache={cache} {extra}; "
                       f"listenerconfig edit InboundMail smtpauth corp; "
                       f"listenerconfig edit InboundMail hostaccess default {policy}; commit auth Y",
                       READER_PASSWORD + "\n")

    def wait_status(self, line):
        """The engine writes its counters to status.json once a second."""
        wait_for(lambda: line in self.appliance.cli("status").stdout, what=line)

    def smtp(self):
        return smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=30)

    # -- configuration -----------------------------------------------------------------

    def test_commit_refuses_auth_without_a_profile(self):
        result = self.appliance.cli("listenerconfig edit InboundMail hostaccess default --smtp_auth=required; "
                                    "commit t Y", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("listener has no SMTP authentication profile", result.stdout + result.stderr)

    def test_the_bind_password_stays_out_of_config_logs_and_print(self):
        self.profile()
        printed = self.appliance.cli("smtpauthconfig print").stdout
        self.assertIn("SMTP Authentication Profiles", printed)
        self.assertIn(f"Bind: {READER_DN} (password stored)", printed)
        shown = self.appliance.cli("showconfig").stdout
        self.assertIn("bindPasswordFile", shown)
        home = self.appliance.home
        texts = [printed, shown]
        for path in ["config/current.json", "logs/cli.log"]:
            with open(os.path.join(home, path)) as f:
                texts.append(f.read())
        for text in texts:
            self.assertNotIn(READER_PASSWORD, text)
        secret = self.appliance.current()["configuration"]["smtpAuth"]["profiles"][0]["method"]["ldap"]["bindPasswordFile"]
        mode = stat.S_IMODE(os.stat(os.path.join(home, "certs", secret)).st_mode)
        self.assertEqual(mode, 0o640)
        with open(os.path.join(home, "certs", secret)) as f:
            self.assertEqual(f.read(), READER_PASSWORD)

    def test_a_password_on_the_command_line_is_refused(self):
        result = self.appliance.cli(f"smtpauthconfig new corp ldap --url={self.directory.url} --base={SUFFIX} "
                                    f"--bind_dn={READER_DN} --password={READER_PASSWORD}", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("corp", self.appliance.cli("smtpauthconfig print").stdout)
        with open(os.path.join(self.appliance.home, "logs", "cli.log")) as f:
            audit = f.read()
        self.assertIn("--password=[redacted]", audit)
        self.assertNotIn(READER_PASSWORD, audit)

    def test_the_test_subcommand_says_each_step(self):
        self.profile()
        good = self.cli_stdin("smtpauthconfig test corp alice", USERS["alice"] + "\n").stdout
        self.assertIn(f"Connecting to {self.directory.url}.", good)
        self.assertIn(f"Bound as {READER_DN}.", good)
        self.assertIn("Searched ou=people,dc=example,dc=com for (uid=alice): uid=alice,ou=people", good)
        self.assertIn("Result: the credentials of alice are valid.", good)
        self.assertNotIn(USERS["alice"], good)
        bad = self.cli_stdin("smtpauthconfig test corp alice", "wrong\n").stdout
        self.assertIn("Result: the credentials of alice were refused: the directory refused the password.", bad)
        # A user name that tries to widen the filter matches only the entry literally named so.
        injected = self.cli_stdin("smtpauthconfig test corp '*'", "alice-pw-1\n").stdout
        self.assertIn("for (uid=\\2a): 0 entries", injected)

    # -- the engine --------------------------------------------------------------------

    def test_smtplib_login_right_and_wrong_and_relay_only_after_auth(self):
        self.profile()
        self.appliance.start()
        with self.smtp() as s:
            s.ehlo()
            self.assertIn("auth", s.esmtp_features)
            self.assertEqual(s.esmtp_features["auth"].split(), ["LOGIN", "PLAIN"])
            s.mail("a@b.example")
            code, _ = s.rcpt("someone@elsewhere.example")
            self.assertEqual(code, 550)  # not authenticated: the RAT decides
            s.rset()
            with self.assertRaises(smtplib.SMTPAuthenticationError) as refused:
                s.login("alice", "wrong")
            self.assertEqual(refused.exception.smtp_code, 535)
        with self.smtp() as s:
            s.ehlo()
            code, _ = s.login("alice", USERS["alice"])
            self.assertEqual(code, 235)
            s.mail("alice@example.com")
            code, _ = s.rcpt("someone@elsewhere.example")
            self.assertEqual(code, 250)
            s.data(b"Subject: relayed\r\n\r\nhi\r\n")
        log = self.appliance.mail_log()
        self.assertRegex(log, r"SMTP Auth: \(ICID \d+\) succeeded for user: alice using AUTH mechanism: PLAIN "
                              r"with profile: corp")
        self.assertRegex(log, r"SMTP Auth: \(ICID \d+\) failed for user: alice using AUTH mechanism: (PLAIN|LOGIN)")
        self.assertNotIn(USERS["alice"], log)
        self.assertNotIn("wrong", log)
        # smtplib tries PLAIN, then LOGIN, before it gives up: two failed attempts.
        self.wait_status("SMTP AUTH: 1 succeeded, 2 failed")

    def test_swaks_plain_and_login(self):
        self.profile()
        self.appliance.start()
        for mechanism in ["PLAIN", "LOGIN"]:
            result = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.appliance.port}", "--auth", mechanism,
                                     "--auth-user", "carol", "--auth-password", USERS["carol"],
                                     "--to", "joe@example.com", "--from", "carol@example.com"],
                                    capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn("235 2.7.0 Authentication successful", result.stdout)
            self.assertRegex(result.stdout, r"250 2\.0\.0 Ok: Message \d+ accepted")
        self.assertIn("using AUTH mechanism: LOGIN with profile: corp", self.appliance.mail_log())

    def test_required_answers_530_before_auth(self):
        self.profile("--smtp_auth=required")
        self.appliance.start()
        with self.smtp() as s:
            s.ehlo()
            code, message = s.mail("a@b.example")
            self.assertEqual((code, message), (530, b"5.7.0 Authentication required"))
            s.login("bob", USERS["bob"])
            code, _ = s.mail("a@b.example")
            self.assertEqual(code, 250)

    def test_auth_offered_only_after_starttls_when_the_policy_says_so(self):
        self.profile("--tls=preferred --demo=yes --smtp_auth=preferred --tls_auth=yes")
        self.appliance.start()
        with self.smtp() as s:
            s.ehlo()
            self.assertNotIn("auth", s.esmtp_features)
            code, message = s.docmd("AUTH", "PLAIN AGFsaWNlAGFsaWNlLXB3LTE=")
            self.assertEqual(code, 538)
            s.starttls(context=unverified())
            s.ehlo()
            self.assertIn("auth", s.esmtp_features)
            self.assertEqual(s.login("alice", USERS["alice"])[0], 235)

    def test_compare_instead_of_binding_as_the_user(self):
        self.profile(extra="--bind_as_user=no")
        self.appliance.start()
        with self.smtp() as s:
            s.ehlo()
            self.assertEqual(s.login("bob", USERS["bob"])[0], 235)
        with self.smtp() as s:
            s.ehlo()
            with self.assertRaises(smtplib.SMTPAuthenticationError):
                s.login("bob", "not-bobs")

    def start_limited(self):
        """The profile, a limit of 3 failures with short delays, and the engine."""
        self.profile()
        self.appliance.cli("smtpauthconfig setup --max_failures=3 --failure_delay=50 --max_failure_delay=200; "
                           "commit limits Y")
        self.appliance.start()

    def test_the_failure_limit_then_421(self):
        self.start_limited()
        with self.smtp() as s:
            s.ehlo()
            for _ in range(2):
                self.assertEqual(s.docmd("AUTH", "PLAIN AGFsaWNlAGd1ZXNz")[0], 535)
            code, message = s.docmd("AUTH", "PLAIN AGFsaWNlAGd1ZXNz")
            self.assertEqual(code, 421)
            self.assertIn(b"Too many failed authentication attempts", message)
        # The address stays refused on a new connection, even with the right password.
        with self.smtp() as s:
            s.ehlo()
            code, _ = s.docmd("AUTH", "PLAIN AGFsaWNlAGFsaWNlLXB3LTE=")
            self.assertEqual(code, 421)
        self.assertIn("too many failed attempts from this address", self.appliance.mail_log())

    def test_a_success_between_guesses_does_not_reset_the_limit(self):
        # Someone with an account of their own guesses at bob's password, logging in as
        # themselves between guesses: the guesses still add up to the limit.
        self.start_limited()
        with self.smtp() as s:
            s.ehlo()
            codes = []
            for guess in ("AGJvYgBndWVzczE=", "AGJvYgBndWVzczI=", "AGJvYgBndWVzczM="):  # \0bob\0guess1..3
                codes.append(s.docmd("AUTH", "PLAIN " + guess)[0])
                if codes[-1] != 535:
                    break
                with self.smtp() as own:
                    own.ehlo()
                    self.assertEqual(own.login("alice", USERS["alice"])[0], 235)
        self.assertEqual(codes, [535, 535, 421])

    def test_directory_stopped_mid_session_is_a_temporary_454(self):
        self.profile()
        self.appliance.start()
        with self.smtp() as s:
            s.ehlo()
            self.assertEqual(s.login("alice", USERS["alice"])[0], 235)  # a connection to the directory is kept
        with self.smtp() as s:
            s.ehlo()
            self.directory.stop()
            code, message = s.docmd("AUTH", "PLAIN AGNhcm9sAGNhcm9sLXB3LTM=")
            self.assertEqual((code, message), (454, b"4.7.0 Temporary authentication failure"))
            self.assertEqual(s.noop()[0], 250)  # the session goes on
            self.directory.start()
            code, _ = s.docmd("AUTH", "PLAIN AGNhcm9sAGNhcm9sLXB3LTM=")
            self.assertEqual(code, 235)
        self.assertIn("could not check user: carol", self.appliance.mail_log())
        self.wait_status("SMTP AUTH: 2 succeeded, 0 failed")

    def test_a_session_keeps_its_profile_across_a_reload(self):
        self.profile()
        self.appliance.start()
        with self.smtp() as old:
            old.ehlo()
            # The listener loses its profile and AUTH; the open session was accepted before.
            self.appliance.cli("listenerconfig edit InboundMail hostaccess default --smtp_auth=no; "
                               "listenerconfig edit InboundMail smtpauth none; smtpauthconfig delete corp Y; "
                               "commit 'no auth' Y")
            self.appliance.wait_generation(self.appliance.current()["commit"]["generation"])
            self.assertEqual(old.login("alice", USERS["alice"])[0], 235)
        with self.smtp() as new:
            new.ehlo()
            self.assertNotIn("auth", new.esmtp_features)
            self.assertEqual(new.docmd("AUTH", "PLAIN AGFsaWNlAGFsaWNlLXB3LTE=")[0], 502)

    def test_a_success_is_cached_for_those_credentials_only(self):
        self.profile(cache=60)
        self.appliance.start()
        with self.smtp() as s:
            s.ehlo()
            self.assertEqual(s.login("alice", USERS["alice"])[0], 235)
        self.directory.stop()
        with self.smtp() as s:
            s.ehlo()
            # The same user and password: answered from the cache, without the directory.
            self.assertEqual(s.docmd("AUTH", "PLAIN AGFsaWNlAGFsaWNlLXB3LTE=")[0], 235)
        with self.smtp() as s:
            s.ehlo()
            # Another password for the same user is not in it: the directory is asked, and is down.
            self.assertEqual(s.docmd("AUTH", "PLAIN AGFsaWNlAGFsaWNlLXB3LTI=")[0], 454)

    def test_a_hung_directory_holds_up_only_the_sessions_waiting_for_it(self):
        self.profile()  # --timeout=3
        self.appliance.start()
        waiting = self.smtp()
        try:
            waiting.ehlo()
            os.kill(self.directory.process.pid, signal.SIGSTOP)
            try:
                waiting.send(b"AUTH PLAIN AGFsaWNlAGFsaWNlLXB3LTE=\r\n")
                # Meanwhile another client is served at once, a whole message.
                with self.smtp() as other:
                    other.ehlo()
                    other.sendmail("a@b.example", ["joe@example.com"], b"Subject: x\r\n\r\nhi\r\n")
                self.assertIn("queued for delivery", self.appliance.mail_log())
                self.assertNotIn("SMTP Auth:", self.appliance.mail_log())  # the AUTH is still waiting
                # The directory's timeout ends the wait with a temporary failure.
                code, message = waiting.getreply()
                self.assertEqual((code, message), (454, b"4.7.0 Temporary authentication failure"))
            finally:
                os.kill(self.directory.process.pid, signal.SIGCONT)
        finally:
            waiting.close()

    def test_starttls_to_the_directory_verifies_its_certificate(self):
        directory = PrivateDirectory(tls=True).start()
        try:
            self.cli_stdin(f"smtpauthconfig new corp ldap --url={directory.url} --starttls=yes "
                           f"--base=ou=people,{SUFFIX} --bind_dn={READER_DN}; "
                           f"listenerconfig edit InboundMail smtpauth corp; "
                           f"listenerconfig edit InboundMail hostaccess default --smtp_auth=preferred; commit tls Y",
                           READER_PASSWORD + "\n")
            # The directory's CA is not among the system's: StartTLS fails, nothing is sent.
            refused = self.cli_stdin("smtpauthconfig test corp alice", USERS["alice"] + "\n", check=False)
            self.assertIn("Failed: StartTLS", refused.stdout + refused.stderr)
            self.assertIn("Result: the directory could not be asked", refused.stdout + refused.stderr)
            self.appliance.start()
            with self.smtp() as s:
                s.ehlo()
                self.assertEqual(s.docmd("AUTH", "PLAIN AGFsaWNlAGFsaWNlLXB3LTE=")[0], 454)
            # With the CA imported as a custom authority, StartTLS verifies and AUTH works.
            self.appliance.cli(f"certconfig certauthority custom import {self.appliance.place(directory.ca_file)}; "
                               "commit ca Y")
            good = self.cli_stdin("smtpauthconfig test corp alice", USERS["alice"] + "\n").stdout
            self.assertIn("StartTLS: the connection is encrypted.", good)
            self.assertIn("Result: the credentials of alice are valid.", good)
            with self.smtp() as s:
                s.ehlo()
                self.assertEqual(s.login("alice", USERS["alice"])[0], 235)
        finally:
            directory.remove()

    def test_forward_profile_against_a_second_posternd(self):
        # The upstream: a second appliance checking with the directory, AUTH only under TLS.
        upstream = Appliance()
        try:
            self.cli_stdin(f"smtpauthconfig new corp ldap --url={self.directory.url} --base=ou=people,{SUFFIX} "
                           f"--bind_dn={READER_DN}; listenerconfig edit InboundMail smtpauth corp; "
                           f"listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes "
                           f"--smtp_auth=preferred --tls_auth=yes; commit upstream Y", READER_PASSWORD + "\n",
                           home=upstream.home)
            upstream.start()
            self.appliance.cli(f"smtpauthconfig new up forward --server=127.0.0.1:{upstream.port} --require_tls=yes; "
                               f"listenerconfig edit InboundMail smtpauth up; "
                               f"listenerconfig edit InboundMail hostaccess default --smtp_auth=required; commit fwd Y")
            self.assertIn(f"Server: 127.0.0.1:{upstream.port}", self.appliance.cli("smtpauthconfig print").stdout)
            good = self.cli_stdin("smtpauthconfig test up alice", USERS["alice"] + "\n").stdout
            self.assertIn(f"Connecting to 127.0.0.1 on port {upstream.port}.", good)
            self.assertIn("TLS connection established: protocol TLSv1.3", good)
            self.assertIn("Sending AUTH PLAIN for alice.", good)
            self.assertIn("The server answered: 235 2.7.0 Authentication successful", good)
            self.assertIn("Result: the credentials of alice are valid.", good)
            self.assertNotIn(USERS["alice"], good)
            bad = self.cli_stdin("smtpauthconfig test up alice", "wrong\n").stdout
            self.assertIn("Result: the credentials of alice were refused: the server refused them.", bad)
            self.appliance.start()
            with self.smtp() as s:
                s.ehlo()
                with self.assertRaises(smtplib.SMTPAuthenticationError):
                    s.login("alice", "wrong")
                self.assertEqual(s.login("alice", USERS["alice"])[0], 235)
                self.assertEqual(s.mail("alice@example.com")[0], 250)
            self.assertIn("succeeded for user: alice using AUTH mechanism: PLAIN with profile: up",
                          self.appliance.mail_log())
            # The upstream saw the credentials over TLS only.
            upstream_log = upstream.mail_log()
            self.assertIn("TLS success", upstream_log)
            self.assertIn("succeeded for user: alice using AUTH mechanism: PLAIN with profile: corp", upstream_log)
            # The upstream gone: a temporary failure, not a refusal.
            upstream.stop()
            with self.smtp() as s:
                s.ehlo()
                code, _ = s.docmd("AUTH", "PLAIN AGFsaWNlAGFsaWNlLXB3LTE=")
                self.assertEqual(code, 454)
        finally:
            upstream.remove()


if __name__ == "__main__":
    unittest.main()
