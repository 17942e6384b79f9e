"""The web interface in a real browser (headless Chromium + Selenium): the seed's GUI steps,
the other pages, roles, CSRF, conflicts, logout and lock-out, against one appliance."""
import os
import socket
import unittest

from harness import Appliance, wait_for
from webharness import ADMIN_PASSWORD, READONLY_PASSWORD, Web, browser, screenshot, sign_in

try:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    HAVE_SELENIUM = True
except ImportError:  # scripts/test installs it; a bare run says why it skips
    HAVE_SELENIUM = False



def smtp_reply(sock):
    data = b""
    while True:
        chunk = sock.recv(4096)
        if not chunk:
            return data.decode()
        data += chunk
        lines = data.decode().split("\r\n")
        if len(lines) >= 2 and len(lines[-2]) >= 4 and lines[-2][3] == " ":
            return data.decode()


@unittest.skipUnless(HAVE_SELENIUM, "selenium is not installed (scripts/test installs it)")
class WebInterfaceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.appliance = Appliance()
        cls.appliance.start()
        cls.web = Web(cls.appliance)
        cls.web.add_user("web1", "administrator", ADMIN_PASSWORD)
        cls.web.add_user("ro1", "readonly", READONLY_PASSWORD)
        cls.driver = browser()

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.web.stop()
        cls.appliance.stop()
        cls.appliance.remove()

    def setUp(self):
        self.driver.delete_all_cookies()

    def login(self, user, password):
        sign_in(self.driver, self.web.url, user, password)

    def element(self, id_, text=None):
        """The element once the page that has it (and, if given, with that text in it) has loaded."""
        def found():
            try:
                for element in self.driver.find_elements(By.ID, id_):
                    if text is None or text in element.text:
                        return element
            except StaleElementReferenceException:
                pass  # the page changed under the look; look again
            return None
        return wait_for(found, what=f"#{id_}" + (f" saying {text!r}" if text else ""))

    def session_cookie(self):
        return "postern_session=" + self.driver.get_cookie("postern_session")["value"]

    def csrf(self):
        return self.driver.find_element(By.NAME, "csrf").get_attribute("value")

    def commits_log(self):
        with open(os.path.join(self.appliance.home, "config", "commits.log")) as f:
            return f.read().splitlines()

    def test_1_the_seeds_gui_steps_make_tls_required(self):
        d = self.driver
        d.get(self.web.url + "/login")
        screenshot(d, "login")
        self.login("web1", ADMIN_PASSWORD)
        self.assertEqual(d.find_element(By.ID, "current-user").text, "web1")
        # Mail Policies -> Mail Flow Policies -> Default Policy Parameters
        d.find_element(By.LINK_TEXT, "Mail Policies").click()
        self.element("policies")
        screenshot(d, "mail-flow-policies")
        d.find_element(By.ID, "default-policy-parameters").click()
        self.element("encryption-and-authentication")
        legends = [e.text for e in d.find_elements(By.TAG_NAME, "legend")]
        self.assertEqual(legends, ["Policy", "Connections", "Rate Limit for Hosts", "Flow Control", "Spam Detection",
                                   "Virus Protection", "Encryption and Authentication"])
        self.assertTrue(d.find_element(By.ID, "demo-certificate-warning").is_displayed())
        # Use TLS: Required, Submit
        d.find_element(By.ID, "tls-required").click()
        d.execute_script("arguments[0].scrollIntoView()", d.find_element(By.ID, "encryption-and-authentication"))
        screenshot(d, "edit-policy")
        d.find_element(By.ID, "submit").click()
        self.element("notice", "was saved")
        button = d.find_element(By.ID, "commit-changes-button")
        self.assertEqual(button.text, "Commit Changes")
        self.assertIn("commit-pending", button.get_attribute("class"))
        # Commit Changes, with a comment
        button.click()
        self.element("pending-changes", "Listener InboundMail > HAT > Default policy > Use TLS: No -> Required")
        d.find_element(By.ID, "comment").send_keys("TLS required on InboundMail (seed GUI)")
        screenshot(d, "commit-changes")
        d.find_element(By.ID, "commit").click()
        self.assertEqual(self.element("notice").text, "Your changes have been committed.")
        self.assertEqual(d.find_element(By.ID, "commit-changes-button").text, "No Changes Pending")
        last = self.commits_log()[-1]
        self.assertIn('user="web1"', last)
        self.assertIn('source="gui 127.0.0.1"', last)
        self.assertIn('comment="TLS required on InboundMail (seed GUI)"', last)
        generation = int(last.split("generation=")[1].split()[0])
        self.appliance.wait_generation(generation)
        # Plaintext MAIL FROM is now refused until STARTTLS.
        with socket.create_connection(("127.0.0.1", self.appliance.port), timeout=10) as s:
            self.assertTrue(smtp_reply(s).startswith("220"))
            s.sendall(b"EHLO client.example\r\n")
            self.assertIn("STARTTLS", smtp_reply(s))
            s.sendall(b"MAIL FROM:<a@client.example>\r\n")
            self.assertTrue(smtp_reply(s).startswith("530"))
        with open(os.path.join(self.appliance.home, "logs", "cli.log")) as f:
            audit = f.read()
        self.assertIn('user=web1 source=gui 127.0.0.1', audit)
        self.assertIn('command="login" result=ok', audit)
        # Network -> Listeners shows the seed's summary line.
        d.find_element(By.LINK_TEXT, "Network").click()
        self.assertIn("TLS: Required", self.element("listener-InboundMail").text)
        screenshot(d, "listeners")

    def test_2_history_shows_the_commit_and_rolls_back(self):
        d = self.driver
        self.login("web1", ADMIN_PASSWORD)
        d.find_element(By.LINK_TEXT, "System Administration").click()
        table = self.element("generations", "TLS required on InboundMail (seed GUI)")
        self.assertIn("gui 127.0.0.1", table.text)
        generation = int(self.commits_log()[-1].split("generation=")[1].split()[0])
        d.get(f"{self.web.url}/system-administration/configuration-history?from={generation - 1}&to={generation}")
        self.assertIn("Use TLS: No -> Required", self.element("differences").text)
        screenshot(d, "configuration-history")
        self.element(f"rollback-{generation - 1}").click()
        self.element("pending-changes", "Use TLS: Required -> No")
        d.find_element(By.ID, "abandon").click()
        self.element("notice", "Your changes have been abandoned.")

    def test_3_tls_connections_are_counted_and_charted(self):
        import json
        import smtplib
        import ssl
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=15) as client:
            client.starttls(context=context)
            client.noop()
        report = os.path.join(self.appliance.home, "reports", "tls-hourly.json")

        def counted():
            try:
                with open(report) as f:
                    return sum(hour["succeeded"] for hour in json.load(f)["hours"])
            except (FileNotFoundError, ValueError):
                return 0
        wait_for(lambda: counted() >= 1, what="the engine to count the TLS session")
        d = self.driver
        self.login("web1", ADMIN_PASSWORD)
        d.find_element(By.LINK_TEXT, "Monitor").click()
        self.element("tls-connections-link").click()
        self.assertEqual(int(self.element("incoming-day-succeeded").text), counted())
        self.assertTrue(d.find_element(By.ID, "tls-incoming-day-chart").is_displayed())
        self.assertEqual(len(d.find_elements(By.CSS_SELECTOR, "#tls-incoming-day tbody tr")), 24)
        screenshot(d, "tls-connections")
        status = self.appliance.cli("status").stdout
        self.assertIn(f"TLS in the last 24 hours: {counted()} succeeded", status)

    def test_hat_overview_adds_checks_reorders_and_deletes_sender_groups(self):
        d = self.driver
        self.login("web1", ADMIN_PASSWORD)
        d.get(self.web.url + "/mail-policies/hat-overview?listener=InboundMail")
        self.element("sender-groups", "WHITELIST")
        # A bad sender is refused with the CLI's sentence; nothing is staged.
        d.find_element(By.ID, "group-name").send_keys("PARTNERS")
        d.find_element(By.ID, "group-senders").send_keys("10.1.1.300")
        d.find_element(By.ID, "save-group").click()
        self.assertIn("10.1.1.300", self.element("form-errors").text)
        self.assertEqual(d.find_element(By.ID, "commit-changes-button").text, "No Changes Pending")
        field = d.find_element(By.ID, "group-senders")
        field.clear()
        field.send_keys("10.1.1.0/24, .partner.example")
        from selenium.webdriver.support.ui import Select
        Select(d.find_element(By.ID, "group-action")).select_by_value("$TRUSTED")
        d.find_element(By.ID, "save-group").click()
        self.element("notice", 'Sender group "PARTNERS" was saved.')
        rows = [r.get_attribute("id") for r in d.find_elements(By.CSS_SELECTOR, "#sender-groups tbody tr[id]")]
        self.assertEqual(rows[-1], "group-PARTNERS")
        d.find_element(By.ID, "up-PARTNERS").click()
        self.element("notice", "was moved")
        rows = [r.get_attribute("id") for r in d.find_elements(By.CSS_SELECTOR, "#sender-groups tbody tr[id]")]
        self.assertEqual(rows[-2:], ["group-PARTNERS", "group-UNKNOWNLIST"])
        self.assertEqual(d.find_element(By.TAG_NAME, "legend").text, "Add Sender Group")
        screenshot(d, "hat-overview")
        d.find_element(By.ID, "commit-changes-button").click()
        self.element("pending-changes", "PARTNERS")
        d.get(self.web.url + "/mail-policies/hat-overview?listener=InboundMail")
        d.find_element(By.ID, "delete-PARTNERS").click()
        self.element("notice", 'Sender group "PARTNERS" was deleted.')
        self.assertEqual(d.find_elements(By.ID, "group-PARTNERS"), [])
        self.assertEqual(d.find_element(By.ID, "commit-changes-button").text, "No Changes Pending")

    def test_certificates_a_self_signed_one_is_made_in_the_browser(self):
        d = self.driver
        self.login("web1", ADMIN_PASSWORD)
        d.get(self.web.url + "/network/listeners")
        d.find_element(By.ID, "certificates-link").click()
        self.element("certificates", "Demo")
        d.find_element(By.ID, "new-name").send_keys("Lab")
        d.find_element(By.ID, "new-cn").send_keys("lab.example.com")
        d.find_element(By.ID, "new-org").send_keys("Example")
        d.find_element(By.ID, "new-country").send_keys("US")
        from selenium.webdriver.support.ui import Select
        Select(d.find_element(By.ID, "new-key-type")).select_by_value("ecdsa")
        d.find_element(By.ID, "new-dns").send_keys("lab.example.com")
        d.find_element(By.ID, "new-submit").click()
        self.element("notice", 'certificate profile "Lab" was saved')
        row = self.element("certificate-Lab").text
        self.assertIn("CN=lab.example.com", row)
        self.assertIn("ECDSA P-256", row)
        screenshot(d, "certificates")
        d.find_element(By.ID, "commit-changes-button").click()
        self.element("abandon").click()
        self.element("notice", "Your changes have been abandoned.")

    def test_a_read_only_operator_sees_but_cannot_submit_or_commit(self):
        d = self.driver
        self.login("ro1", READONLY_PASSWORD)
        d.get(self.web.url + "/mail-policies/mail-flow-policies/edit?listener=InboundMail&policy=default")
        self.assertEqual(d.find_elements(By.ID, "submit"), [])
        fields = {"csrf": self.csrf(), "listener": "InboundMail", "policy": "default", "tls": "off", "auth": "off"}
        self.assertEqual(self.web.post("/mail-policies/mail-flow-policies/edit", fields, self.session_cookie()), 403)
        before = self.commits_log()
        self.assertEqual(self.web.post("/commit", {"csrf": fields["csrf"], "action": "commit", "comment": "x"},
                                       self.session_cookie()), 403)
        self.assertEqual(self.commits_log(), before)

    def test_a_post_without_the_csrf_token_is_refused(self):
        self.login("web1", ADMIN_PASSWORD)
        cookie = self.session_cookie()
        self.assertEqual(self.web.post("/commit", {"action": "abandon"}, cookie), 403)
        self.assertEqual(self.web.post("/commit", {"action": "abandon", "csrf": "0" * 64}, cookie), 403)
        self.assertEqual(self.web.post("/commit", {"action": "abandon", "csrf": self.csrf()}, cookie), 302)
        # Without a session at all, a POST goes to the login page, never through.
        self.assertEqual(self.web.post("/commit", {"action": "abandon"}), 302)

    def test_a_commit_made_meanwhile_in_the_cli_is_reported_not_overwritten(self):
        d = self.driver
        self.login("web1", ADMIN_PASSWORD)
        d.get(self.web.url + "/mail-policies/mail-flow-policies/edit?listener=InboundMail&policy=THROTTLED")
        d.find_element(By.ID, "tls-preferred").click()
        d.find_element(By.ID, "submit").click()
        self.appliance.cli('sslconfig inbound tlsv1.2/tlsv1.3 "HIGH:!aNULL"; commit "from the CLI" Y')
        before = self.commits_log()
        self.element("notice", "was saved")
        d.find_element(By.ID, "commit-changes-button").click()
        self.element("commit").click()
        error = self.element("commit-error").text
        self.assertIn("changed by another user", error)
        self.assertIn("from the CLI", error)
        screenshot(d, "commit-conflict")
        self.assertEqual(self.commits_log(), before)
        self.assertIn("THROTTLED", d.find_element(By.ID, "pending-changes").text)
        d.find_element(By.ID, "abandon").click()
        self.element("notice", "Your changes have been abandoned.")

    def test_ssl_configuration_verifies_and_refuses_what_openssl_refuses(self):
        d = self.driver
        self.login("web1", ADMIN_PASSWORD)
        d.get(self.web.url + "/system-administration/ssl-configuration?verify=AES128-SHA")
        self.assertIn("AES128-SHA", self.element("verify-result").text)
        field = d.find_element(By.ID, "gui-ciphers")
        field.clear()
        field.send_keys("NOT-A-CIPHER")
        d.find_element(By.ID, "submit").click()
        self.assertIn("GUI HTTPS", self.element("form-errors").text)
        self.assertEqual(d.find_element(By.ID, "commit-changes-button").text, "No Changes Pending")

    def test_logout_ends_the_session(self):
        d = self.driver
        self.login("web1", ADMIN_PASSWORD)
        cookie = self.session_cookie()
        d.find_element(By.ID, "logout").click()
        self.element("notice", "You have been logged out.")
        d.get(self.web.url + "/commit")
        self.assertIn("/login", d.current_url)
        self.assertEqual(self.web.post("/commit", {"action": "abandon"}, cookie), 302)

    def test_wrong_passwords_lock_the_account(self):
        d = self.driver
        for _ in range(5):
            d.get(self.web.url + "/login")
            d.find_element(By.ID, "username").send_keys("ro1")
            d.find_element(By.ID, "password").send_keys("not-the-password")
            d.find_element(By.ID, "login").click()
            self.element("login-error")
        d.get(self.web.url + "/login")
        d.find_element(By.ID, "username").send_keys("ro1")
        d.find_element(By.ID, "password").send_keys(READONLY_PASSWORD)
        d.find_element(By.ID, "login").click()
        self.element("login-error", "locked")


if __name__ == "__main__":
    unittest.main()
