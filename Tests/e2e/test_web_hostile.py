"""The web interface under attack, without a browser: what a hostile page, a curious user with
curl, or a careless administrator can send. Raw HTTPS requests (Python's http.client and ssl)
so that every header and byte of a request is the test's own."""
import os
import socket
import unittest

from harness import Appliance, wait_for
from webharness import ADMIN_PASSWORD, READONLY_PASSWORD, Client, Web, tls_context


class HostileWebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.appliance = Appliance()
        cls.web = Web(cls.appliance)
        cls.web.add_user("web1", "administrator", ADMIN_PASSWORD)
        cls.web.add_user("ro1", "readonly", READONLY_PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.web.stop()
        cls.appliance.remove()

    def commits(self):
        with open(os.path.join(self.appliance.home, "config", "commits.log")) as f:
            return f.read().splitlines()

    def test_a_deleted_account_is_signed_out_and_a_demoted_one_loses_its_powers(self):
        self.web.add_user("temp1", "administrator", ADMIN_PASSWORD)
        self.web.add_user("temp2", "administrator", ADMIN_PASSWORD)
        deleted = Client(self.web).login("temp1", ADMIN_PASSWORD)
        demoted = Client(self.web).login("temp2", ADMIN_PASSWORD)
        self.appliance.cli('userconfig delete temp1; userconfig edit temp2 --role=readonly; commit "accounts" Y')
        status, headers, _ = deleted.get("/commit")
        self.assertEqual(status, 302)
        self.assertIn("/login", headers["Location"])
        status, _, _ = demoted.post("/commit", {"csrf": demoted.csrf, "action": "abandon"})
        self.assertEqual(status, 403)
        status, _, text = demoted.get("/commit")
        self.assertEqual(status, 200)
        self.assertIn("Read-Only Operators", text)

    def test_a_guest_cannot_climb_out_of_monitor_by_dot_segments_or_encoding(self):
        self.web.add_user("guest1", "guest", ADMIN_PASSWORD)
        guest = Client(self.web).login("guest1", ADMIN_PASSWORD)
        for path in ("/monitor/../commit", "/monitor/%2e%2e/commit", "/monitor/..%2fcommit", "//commit",
                     "/monitor/../mail-policies/mail-flow-policies", "/Commit", "/commit/"):
            status, _, text = guest.get(path)
            self.assertNotEqual(status, 200, path)
            self.assertNotIn("Uncommitted Changes", text, path)

    def test_a_form_field_that_is_not_utf8_is_refused_and_changes_nothing(self):
        admin = Client(self.web).login("web1", ADMIN_PASSWORD)
        body = ("csrf=" + admin.csrf + "&listener=InboundMail&operation=save&group=&name=BAD%FFNAME"
                "&senders=10.0.0.1&action=%24ACCEPTED&comment=x").encode()
        status, _, text = admin.post("/mail-policies/hat-overview", None, raw=body)
        self.assertEqual(status, 400, text)
        # The same byte sent raw, not percent-encoded: refused, not stored as U+FFFD.
        raw = ("csrf=" + admin.csrf + "&listener=InboundMail&operation=save&group=&name=RAWBYTE"
               "&senders=10.0.0.2&action=%24ACCEPTED&comment=").encode() + b"caf\xe9"
        status, _, text = admin.post("/mail-policies/hat-overview", None, raw=raw)
        self.assertEqual(status, 400, text)
        self.assertIn("not UTF-8", text)
        _, _, page = admin.get("/commit")
        self.assertIn("No Changes Pending", page)

    def test_control_characters_and_markup_in_a_comment_are_refused_or_escaped(self):
        admin = Client(self.web).login("web1", ADMIN_PASSWORD)
        fields = {"csrf": admin.csrf, "listener": "InboundMail", "operation": "save", "group": "",
                  "name": "ESCAPES", "senders": "10.9.9.9", "action": "$ACCEPTED",
                  "comment": "line one\r\n\x1b[2Jforged"}
        status, _, text = admin.post("/mail-policies/hat-overview", fields)
        self.assertEqual(status, 400, text)
        self.assertIn("control characters", text)
        fields["comment"] = "<script>alert(1)</script>\"'><b>x</b>"
        fields["name"] = "MARKUP"
        status, _, _ = admin.post("/mail-policies/hat-overview", fields)
        self.assertEqual(status, 302)
        _, _, page = admin.get("/mail-policies/hat-overview?listener=InboundMail")
        self.assertNotIn("<script>alert(1)", page)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", page)
        admin.post("/commit", {"csrf": admin.csrf, "action": "abandon"})

    def test_plain_http_on_the_https_port_is_dropped_and_the_port_keeps_serving(self):
        with socket.create_connection(("127.0.0.1", self.web.port), timeout=30) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            received = b""
            while True:
                chunk = raw.recv(4096)
                if not chunk:
                    break
                received += chunk
            self.assertNotIn(b"HTTP/1.1", received)
        self.assertTrue(self.web.answers())

    def test_another_sessions_csrf_token_is_refused(self):
        admin = Client(self.web).login("web1", ADMIN_PASSWORD)
        other = Client(self.web).login("web1", ADMIN_PASSWORD)
        self.assertNotEqual(admin.csrf, other.csrf)
        status, _, _ = admin.post("/commit", {"csrf": other.csrf, "action": "abandon"})
        self.assertEqual(status, 403)

    def test_a_session_cookie_made_up_by_an_attacker_is_not_adopted_at_login(self):
        victim = Client(self.web)
        victim.cookies["postern_session"] = "a" * 64
        status, headers, _ = victim.get("/commit")
        self.assertEqual(status, 302)
        victim.login("web1", ADMIN_PASSWORD)
        self.assertNotEqual(victim.cookies["postern_session"], "a" * 64)

    def test_cookies_are_secure_httponly_and_strict(self):
        client = Client(self.web)
        _, headers, _ = client.get("/login")
        login_cookie = headers["Set-Cookie"]
        self.assertIn("Secure", login_cookie)
        self.assertIn("HttpOnly", login_cookie)
        self.assertIn("SameSite=Strict", login_cookie)
        status, headers, _ = client.post("/login", {"csrf": client.csrf, "username": "web1",
                                                    "password": ADMIN_PASSWORD})
        session_cookie = [c for c in headers.get_all("Set-Cookie") if c.startswith("postern_session=")][0]
        for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(flag, session_cookie)

    def test_a_login_form_token_from_another_browser_is_refused(self):
        attacker = Client(self.web)
        attacker.get("/login")
        victim = Client(self.web)
        victim.get("/login")
        victim.csrf = attacker.csrf
        status, _, _ = victim.post("/login", {"csrf": victim.csrf, "username": "web1", "password": ADMIN_PASSWORD})
        self.assertEqual(status, 403)
        self.assertNotIn("postern_session", victim.cookies)

    def test_an_over_long_body_is_refused_and_the_session_lives_on(self):
        admin = Client(self.web).login("web1", ADMIN_PASSWORD)
        fields = {"csrf": admin.csrf, "action": "commit", "comment": "x" * (400 * 1024)}
        status, _, _ = admin.post("/commit", fields)
        self.assertEqual(status, 413)
        status, _, _ = admin.get("/commit")
        self.assertEqual(status, 200)

    def test_two_browsers_committing_at_once_one_wins_and_one_is_told(self):
        first = Client(self.web).login("web1", ADMIN_PASSWORD)
        second = Client(self.web).login("web1", ADMIN_PASSWORD)
        for client, name in ((first, "FIRSTB"), (second, "SECONDB")):
            status, _, _ = client.post("/mail-policies/hat-overview", {
                "csrf": client.csrf, "listener": "InboundMail", "operation": "save", "group": "", "name": name,
                "senders": "10.1.1.1", "action": "$ACCEPTED", "comment": ""})
            self.assertEqual(status, 302)
        before = len(self.commits())
        status_one, _, _ = first.post("/commit", {"csrf": first.csrf, "action": "commit", "comment": "first"})
        status_two, _, text = second.post("/commit", {"csrf": second.csrf, "action": "commit", "comment": "second"})
        self.assertEqual(status_one, 302)
        self.assertEqual(status_two, 409)
        self.assertIn("first", text)
        self.assertEqual(len(self.commits()), before + 1)
        second.post("/commit", {"csrf": second.csrf, "action": "abandon"})


class IdleConnectionTest(unittest.TestCase):
    def test_a_connection_that_sends_nothing_after_the_handshake_is_closed(self):
        appliance = Appliance()
        web = Web(appliance, connection_idle_seconds=1)
        try:
            with socket.create_connection(("127.0.0.1", web.port), timeout=20) as raw:
                with tls_context().wrap_socket(raw) as tls:
                    # Nothing is sent: the server must hang up (b"") rather than hold the socket.
                    self.assertEqual(tls.recv(1), b"")
            self.assertTrue(web.answers())
        finally:
            web.stop()
            appliance.remove()


class RestartTest(unittest.TestCase):
    """What posternweb keeps across a restart, and what a commit changes in it."""

    def setUp(self):
        self.appliance = Appliance()
        self.web = Web(self.appliance)
        self.web.add_user("ro1", "readonly", READONLY_PASSWORD)

    def tearDown(self):
        self.web.stop()
        self.appliance.remove()

    def attempt(self, password):
        client = Client(self.web)
        client.get("/login")
        status, _, text = client.post("/login", {"csrf": client.csrf, "username": "ro1", "password": password})
        return status, text

    def test_a_locked_account_stays_locked_after_a_restart(self):
        for _ in range(5):
            self.assertEqual(self.attempt("not-the-password")[0], 401)
        status, text = self.attempt(READONLY_PASSWORD)
        self.assertEqual(status, 403)
        self.assertIn("locked", text)
        self.web.restart()
        status, text = self.attempt(READONLY_PASSWORD)
        self.assertEqual(status, 403)
        self.assertIn("locked", text)

    def test_parallel_guesses_get_no_more_tries_than_the_limit(self):
        import threading
        clients = []
        for _ in range(24):
            client = Client(self.web)
            client.get("/login")
            clients.append(client)
        statuses = []
        start = threading.Barrier(len(clients))

        def guess(client):
            start.wait()
            status, _, _ = client.post("/login", {"csrf": client.csrf, "username": "ro1",
                                                  "password": "not-the-password"})
            statuses.append(status)
        threads = [threading.Thread(target=guess, args=(client,)) for client in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(len(statuses), len(clients))
        # Only five guesses may be weighed; the rest meet the lock, however they are timed.
        self.assertLessEqual(statuses.count(401), 5, statuses)
        self.assertEqual(statuses.count(401) + statuses.count(403), len(clients), statuses)

    def test_made_up_names_do_not_grow_the_lockout_file(self):
        for index in range(3):
            self.attempt("x")  # ro1, a real name: counted
            client = Client(self.web)
            client.get("/login")
            client.post("/login", {"csrf": client.csrf, "username": "NOT A NAME " * 50 + str(index),
                                   "password": "x"})
        path = os.path.join(self.appliance.home, "state", "login-failures.json")
        with open(path) as f:
            text = f.read()
        self.assertIn('"ro1"', text)
        self.assertNotIn("NOT A NAME", text)

    def test_a_committed_adminaccessconfig_timeout_is_applied_without_a_restart(self):
        self.appliance.cli('adminaccessconfig timeout --web=5 --cli=10; commit "short timeout" Y')
        wait_for(lambda: "idle timeout is now 5 minutes" in self.web.log(), what="posternweb to apply the timeout")
        shown = self.appliance.cli("adminaccessconfig").stdout
        self.assertIn("Web UI inactivity timeout: 5 minutes", shown)
        self.assertIn("CLI inactivity timeout: 10 minutes", shown)
        refused = self.appliance.cli("adminaccessconfig timeout --web=2 --cli=10", check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("Value must be between 5 and 1440", refused.stdout + refused.stderr)


if __name__ == "__main__":
    unittest.main()
