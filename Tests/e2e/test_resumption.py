"""Issue 12 §1: TLS session resumption never crosses a verification requirement. A session
made under a policy that asks for no certificate (127.0.0.2 → TLS Preferred) must not resume
under Required - Verify (127.0.0.1), with Python's ssl and with openssl s_client, TLS 1.2
and 1.3; within one policy resumption still works."""
import os
import re
import socket
import ssl
import subprocess
import tempfile
import unittest

from harness import Appliance, openssl_pki

OTHER = "127.0.0.2"  # the sender group whose policy is TLS Preferred
VERIFIED = "127.0.0.1"  # ALL: Required - Verify with the custom authority


def client_context(version, pki=None):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = context.maximum_version = version
    if pki:
        context.load_cert_chain(pki["client.crt"], pki["client.key"])
    return context


class SMTPOverTLS:
    """A plain SMTP conversation, STARTTLS with a chosen session, then commands over TLS."""

    def __init__(self, port, source, context, session=None):
        self.raw = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=(source, 0))
        self.file = self.raw.makefile("rb")
        self.expect(220)
        self.command(b"EHLO client.example", 250)
        self.command(b"STARTTLS", 220)
        self.tls = context.wrap_socket(self.raw, session=session)
        self.file = self.tls.makefile("rb")

    def reply(self):
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("closed")
            lines.append(line)
            if line[3:4] != b"-":
                return int(line[:3]), b"".join(lines)

    def expect(self, code):
        got, text = self.reply()
        if got != code:
            raise AssertionError(f"expected {code}, got {text!r}")

    def command(self, line, code=None):
        (self.tls if hasattr(self, "tls") else self.raw).sendall(line + b"\r\n")
        got, text = self.reply()
        if code is not None and got != code:
            raise AssertionError(f"{line!r}: expected {code}, got {text!r}")
        return got

    def close(self):
        try:
            self.command(b"QUIT")
        except (OSError, ssl.SSLError, ConnectionError):
            pass
        (self.tls if hasattr(self, "tls") else self.raw).close()


class ResumptionTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.mkdtemp(prefix="postern-pki-")
        cls.pki = openssl_pki(cls.directory)
        cls.appliance = Appliance()
        cls.appliance.cli(
            f'certconfig certauthority custom import {cls.appliance.place(cls.pki["ca.crt"])}; '
            'listenerconfig edit InboundMail hostaccess default --tls=required-verify --demo=yes; '
            'listenerconfig edit InboundMail hostaccess new policy PREF accept --tls=preferred --demo=yes; '
            f'listenerconfig edit InboundMail hostaccess new sendergroup OTHERS {OTHER} $PREF; '
            'commit "resumption" Y')
        cls.appliance.start()

    @classmethod
    def tearDownClass(cls):
        cls.appliance.remove()

    def session_from_other(self, version):
        """A TLS session made from 127.0.0.2, where no certificate is asked; MAIL works there."""
        context = client_context(version)
        first = SMTPOverTLS(self.appliance.port, OTHER, context)
        first.command(b"EHLO client.example", 250)  # reading it also takes in the TLS 1.3 tickets
        first.command(b"MAIL FROM:<a@b.example>", 250)
        session = first.tls.session
        first.close()
        self.assertIsNotNone(session)
        # Within the one policy the session does resume.
        again = SMTPOverTLS(self.appliance.port, OTHER, context, session=session)
        self.assertTrue(again.tls.session_reused, "resumption within one policy must keep working")
        again.command(b"EHLO client.example", 250)
        again.close()
        return context, session

    def attempt_mail(self, context, session):
        """STARTTLS from 127.0.0.1 offering `session`; the MAIL reply code, or the error."""
        try:
            conversation = SMTPOverTLS(self.appliance.port, VERIFIED, context, session=session)
        except (ssl.SSLError, OSError, ConnectionError) as error:
            return type(error).__name__, None
        try:
            reused = conversation.tls.session_reused
            conversation.command(b"EHLO client.example")
            return conversation.command(b"MAIL FROM:<a@b.example>"), reused
        except (ssl.SSLError, OSError, ConnectionError) as error:
            return type(error).__name__, reused
        finally:
            conversation.close()

    def check_python(self, version):
        failures_before = self.appliance.mail_log().count("TLS failed")
        context, session = self.session_from_other(version)
        outcome, reused = self.attempt_mail(context, session)
        self.assertNotEqual(outcome, 250, "a session from a no-certificate policy passed Required - Verify")
        self.assertNotEqual(reused, True)
        self.assertGreater(self.appliance.mail_log().count("TLS failed"), failures_before)

    def test_python_tls13_session_does_not_cross_into_required_verify(self):
        self.check_python(ssl.TLSVersion.TLSv1_3)

    def test_python_tls12_session_does_not_cross_into_required_verify(self):
        self.check_python(ssl.TLSVersion.TLSv1_2)

    def test_a_verified_session_resumes_under_required_verify(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            context = client_context(version, self.pki)
            first = SMTPOverTLS(self.appliance.port, VERIFIED, context)
            first.command(b"EHLO client.example", 250)
            session = first.tls.session
            first.close()
            again = SMTPOverTLS(self.appliance.port, VERIFIED, context, session=session)
            self.assertTrue(again.tls.session_reused, version)
            again.command(b"EHLO client.example", 250)
            again.command(b"MAIL FROM:<a@b.example>", 250)
            again.close()

    def s_client(self, source, *extra, commands="EHLO client.example\nMAIL FROM:<a@b.example>\nQUIT\n"):
        return subprocess.run(
            ["openssl", "s_client", "-starttls", "smtp", "-connect", f"127.0.0.1:{self.appliance.port}",
             "-bind", f"{source}:0", "-crlf", "-ign_eof", *extra],
            input=commands, capture_output=True, text=True, timeout=30)

    def check_s_client(self, version_flag):
        path = os.path.join(self.directory, f"session{version_flag}.pem")
        made = self.s_client(OTHER, version_flag, "-sess_out", path)
        self.assertIn("250 2.1.0 sender <a@b.example> ok", made.stdout, made.stdout + made.stderr)
        self.assertTrue(os.path.getsize(path) > 0)
        within = self.s_client(OTHER, version_flag, "-sess_in", path)
        self.assertRegex(within.stdout, r"(?m)^Reused, TLSv1\.[23]", "resumption within one policy")
        crossed = self.s_client(VERIFIED, version_flag, "-sess_in", path)
        self.assertNotRegex(crossed.stdout, r"(?m)^Reused,")
        self.assertNotIn("250 2.1.0 sender", crossed.stdout, crossed.stdout + crossed.stderr)

    def test_s_client_tls13_session_does_not_cross_into_required_verify(self):
        self.check_s_client("-tls1_3")

    def test_s_client_tls12_session_does_not_cross_into_required_verify(self):
        self.check_s_client("-tls1_2")

    def test_failures_are_logged(self):
        context, session = self.session_from_other(ssl.TLSVersion.TLSv1_3)
        self.attempt_mail(context, session)
        self.assertTrue(re.search(r"ICID \d+ TLS failed: .*certificate", self.appliance.mail_log()))


if __name__ == "__main__":
    unittest.main()
