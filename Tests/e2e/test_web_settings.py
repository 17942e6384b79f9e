"""The web interface's settings and surroundings: sslconfig GUI and the HTTPS port as OpenSSL
clients see them after a commit, the HTTP redirect, the idle timeout, the Guest role, and the
accounts as userconfig and passwd make them."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import POSTERN, Appliance, free_port, wait_for
from webharness import ADMIN_PASSWORD, READONLY_PASSWORD, Client, Web, browser, sign_in

try:
    from selenium.webdriver.common.by import By
    HAVE_SELENIUM = True
except ImportError:  # scripts/test installs it; a bare run says why it skips
    HAVE_SELENIUM = False


@unittest.skipUnless(HAVE_SELENIUM, "selenium is not installed (scripts/test installs it)")
class IdleTimeoutTest(unittest.TestCase):
    def test_an_idle_session_must_log_in_again(self):
        appliance = Appliance()
        web = Web(appliance, idle_minutes=0.03)  # 1.8 seconds
        driver = browser()
        try:
            web.add_user("web1", "administrator", ADMIN_PASSWORD)
            sign_in(driver, web.url, "web1", ADMIN_PASSWORD)
            # Being idle is the condition under test: any request would reset the clock.
            time.sleep(2.5)
            driver.get(web.url + "/commit")
            self.assertIn("/login", driver.current_url)
            self.assertIn("Your session has expired", driver.find_element(By.ID, "notice").text)
        finally:
            driver.quit()
            web.stop()
            appliance.remove()


@unittest.skipUnless(HAVE_SELENIUM, "selenium is not installed (scripts/test installs it)")
class GuiTLSTest(unittest.TestCase):
    """`sslconfig GUI` as OpenSSL's own client sees it, after a commit, without a restart, and
    a moved port: a signed-in browser keeps its session and its pending changes through both."""

    def handshake(self, port, *args):
        result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", *args],
                                input="", capture_output=True, text=True, timeout=30)
        for line in result.stdout.splitlines():
            if "Cipher is" in line:
                cipher = line.split("Cipher is")[1].strip()
                return None if cipher == "(NONE)" else cipher
        return None

    def test_the_gui_method_and_ciphers_apply_after_a_commit(self):
        appliance = Appliance()
        web = Web(appliance)
        driver = browser()
        try:
            web.add_user("web1", "administrator", ADMIN_PASSWORD)
            sign_in(driver, web.url, "web1", ADMIN_PASSWORD)
            driver.get(web.url + "/mail-policies/mail-flow-policies/edit?listener=InboundMail&policy=default")
            driver.find_element(By.ID, "tls-preferred").click()
            driver.find_element(By.ID, "submit").click()
            wait_for(lambda: driver.find_elements(By.ID, "notice"), what="the change to be staged")

            self.assertIsNotNone(self.handshake(web.port, "-tls1_3"))
            appliance.cli('sslconfig gui tlsv1.2 "AES128-SHA"; commit "GUI TLS 1.2, one cipher" Y')
            wait_for(lambda: self.handshake(web.port, "-tls1_3") is None, what="posternweb to apply sslconfig GUI")
            self.assertEqual(self.handshake(web.port, "-tls1_2"), "AES128-SHA")
            self.assertIsNone(self.handshake(web.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"))
            scan = subprocess.run(["sslscan", "--no-colour", f"127.0.0.1:{web.port}"], capture_output=True,
                                  text=True, timeout=120).stdout
            accepted = [line.split()[4] for line in scan.splitlines() if line.startswith(("Preferred", "Accepted"))]
            self.assertEqual(accepted, ["AES128-SHA"], scan)
            self.assertNotIn("TLSv1.3   enabled", scan)

            # Move HTTPS to another port: the old one closes, the new one serves, and the
            # browser (cookies are per host, not per port) is still signed in with its change.
            new_port = free_port()
            appliance.cli(f'interfaceconfig edit Loopback --https={new_port}; commit "GUI port" Y')
            wait_for(lambda: self.handshake(new_port, "-tls1_2") == "AES128-SHA", what="the new GUI port")
            wait_for(lambda: self.handshake(web.port, "-tls1_2") is None, what="the old GUI port to close")
            driver.get(f"https://127.0.0.1:{new_port}/commit")
            pending = wait_for(lambda: driver.find_elements(By.ID, "pending-changes"), what="the pending changes")
            self.assertIn("Listener InboundMail > HAT > Default policy > Use TLS: No -> Preferred", pending[0].text)
        finally:
            driver.quit()
            web.stop()
            appliance.remove()


class GuiResumptionTest(unittest.TestCase):
    """`sslconfig GUI` session resumption (issue 16 §3): on by default, off after a commit."""

    def s_client(self, port, *args):
        result = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-ign_eof", *args],
                                input="GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", capture_output=True, text=True, timeout=30)
        return result.stdout

    def test_gui_sessions_resume_until_resumption_is_turned_off(self):
        appliance = Appliance()
        web = Web(appliance)
        directory = tempfile.mkdtemp(prefix="postern-gui-sessions-")
        try:
            for version in ("-tls1_2", "-tls1_3"):
                path = os.path.join(directory, version)
                self.assertIn("New,", self.s_client(web.port, version, "-sess_out", path))
                self.assertIn("Reused,", self.s_client(web.port, version, "-sess_in", path), version)
            appliance.cli('sslconfig gui --resumption=no; commit "GUI without resumption" Y')
            path = os.path.join(directory, "off")
            # Without a ticket s_client has no session to write, and then none to offer.
            wait_for(lambda: "New," in self.s_client(web.port, "-tls1_3", "-sess_out", path)
                     and "Reused," not in self.s_client(web.port, "-tls1_3", "-sess_in", path),
                     what="posternweb to stop resuming sessions")
        finally:
            web.stop()
            appliance.remove()
            shutil.rmtree(directory, ignore_errors=True)


class AccountsCLITest(unittest.TestCase):
    """userconfig and passwd as an administrator scripts them: passwords on standard input."""

    def run_cli(self, appliance, command, stdin):
        return subprocess.run([POSTERN, "--home", appliance.home, "-c", command], input=stdin, capture_output=True,
                              text=True, timeout=60)

    def test_accounts_are_made_checked_and_kept_private(self):
        appliance = Appliance()
        try:
            weak = self.run_cli(appliance, "userconfig new web1 --role=operator", "short\n")
            self.assertNotEqual(weak.returncode, 0)
            self.assertIn("at least 8 characters", weak.stdout + weak.stderr)
            # Staged: showchanges names the account in the CLI's words, never the hash; the
            # session ends without commit, so nothing is kept.
            staged = self.run_cli(appliance, "userconfig new web1 --role=operator; showchanges", ADMIN_PASSWORD + "\n")
            self.assertEqual(staged.returncode, 0, staged.stdout + staged.stderr)
            self.assertIn("User web1 > Role: Operators (added)", staged.stdout)
            self.assertIn("User web1 > Password: set (added)", staged.stdout)
            self.assertNotIn("$y$", staged.stdout + staged.stderr)
            self.assertNotIn("web1", appliance.cli("userconfig print").stdout)
            made = self.run_cli(appliance, 'userconfig new web1 --role=operator; commit "add web1" Y',
                                ADMIN_PASSWORD + "\n")
            self.assertEqual(made.returncode, 0, made.stdout + made.stderr)
            self.assertNotIn(ADMIN_PASSWORD, made.stdout + made.stderr)
            listing = appliance.cli("userconfig print").stdout
            self.assertIn('web1 - "web1" (Operators)', listing)
            self.assertIn("admin - \"Administrator\" (Administrators) [no password set]", listing)
            current = os.path.join(appliance.home, "config", "current.json")
            self.assertEqual(os.stat(current).st_mode & 0o777, 0o640)
            with open(current) as f:
                text = f.read()
            self.assertNotIn(ADMIN_PASSWORD, text)
            self.assertIn("$y$", text)
            appliance.cli('userconfig edit web1 --role=guest; commit "demote" Y')
            self.assertIn("(Guests)", appliance.cli("userconfig print").stdout)
            before = text
            # passwd takes effect at once, as in AsyncOS: its own generation, no commit.
            changed = self.run_cli(appliance, "passwd web1", READONLY_PASSWORD + "\n")
            self.assertEqual(changed.returncode, 0, changed.stdout + changed.stderr)
            with open(current) as f:
                self.assertNotEqual(f.read(), before)
            self.assertIn("passwd: password changed for web1", appliance.cli("commitdetail").stdout)
            refused = appliance.cli("userconfig delete admin", check=False)
            self.assertNotEqual(refused.returncode, 0)
            self.assertIn("cannot be deleted", refused.stdout + refused.stderr)
            appliance.cli('userconfig delete web1; commit "drop web1" Y')
            self.assertNotIn("web1", appliance.cli("userconfig print").stdout)
        finally:
            appliance.remove()

    def test_the_web_login_sees_only_committed_accounts(self):
        appliance = Appliance()
        web = Web(appliance)
        try:
            staged = self.run_cli(appliance, "userconfig new web2 --role=administrator", ADMIN_PASSWORD + "\n")
            self.assertEqual(staged.returncode, 0, staged.stdout + staged.stderr)
            with self.assertRaises(AssertionError):
                Client(web).login("web2", ADMIN_PASSWORD)
            web.add_user("web2", "administrator", ADMIN_PASSWORD)
            Client(web).login("web2", ADMIN_PASSWORD)
        finally:
            web.stop()
            appliance.remove()


class RedirectTest(unittest.TestCase):
    def test_plain_http_is_redirected_to_https(self):
        import http.client
        appliance = Appliance()
        web = Web(appliance)
        try:
            http_port = free_port()
            appliance.cli(f"interfaceconfig edit Loopback --https={web.port} --http={http_port}; commit http Y")

            def redirect():
                connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
                try:
                    connection.request("GET", "/mail-policies/mail-flow-policies?listener=InboundMail")
                    response = connection.getresponse()
                    return response.status, response.getheader("Location")
                except OSError:
                    return None
                finally:
                    connection.close()
            status, location = wait_for(redirect, what="the HTTP port to redirect")
            self.assertEqual(status, 301)
            self.assertEqual(location, f"https://127.0.0.1:{web.port}/mail-policies/mail-flow-policies"
                                       "?listener=InboundMail")
            # A Host header that is no host name cannot steer the redirect elsewhere.
            for forged in ("evil.example/phish?", "evil.example#", "user@evil.example", "evil example"):
                connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
                try:
                    connection.putrequest("GET", "/login", skip_host=True)
                    connection.putheader("Host", forged)
                    connection.endheaders()
                    response = connection.getresponse()
                    if response.status == 301:
                        self.assertTrue(response.getheader("Location").startswith(
                            f"https://127.0.0.1:{web.port}/"), (forged, response.getheader("Location")))
                    else:
                        self.assertEqual(response.status, 400, forged)
                finally:
                    connection.close()
        finally:
            web.stop()
            appliance.remove()


@unittest.skipUnless(HAVE_SELENIUM, "selenium is not installed (scripts/test installs it)")
class GuestTest(unittest.TestCase):
    def test_a_guest_sees_only_monitor(self):
        appliance = Appliance()
        web = Web(appliance)
        driver = browser()
        try:
            web.add_user("guest1", "guest", ADMIN_PASSWORD)
            sign_in(driver, web.url, "guest1", ADMIN_PASSWORD, landing="system-status")
            self.assertEqual(driver.find_elements(By.LINK_TEXT, "Mail Policies"), [])
            self.assertEqual(driver.find_elements(By.ID, "commit-changes-button"), [])
            driver.get(web.url + "/mail-policies/mail-flow-policies")
            self.assertIn("may only see Monitor", driver.find_element(By.TAG_NAME, "body").text)
        finally:
            driver.quit()
            web.stop()
            appliance.remove()


if __name__ == "__main__":
    unittest.main()
