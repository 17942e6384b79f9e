"""Issue 3: the real postern binary on a pseudo-terminal (libedit: Tab, history, Ctrl-C)
and on a pipe, with every change committed and read back by the engine."""
import io
import os
import smtplib
import subprocess
import unittest

import pexpect

from harness import POSTERN, Appliance, wait_for

PROMPT = "postern.example.com> "


class TerminalTests(unittest.TestCase):
    def setUp(self):
        self.appliance = Appliance().start()
        self.history_home = os.path.join(self.appliance.home, "admin-home")
        os.makedirs(self.history_home)
        self.cli = self.spawn()

    def spawn(self, *arguments):
        env = dict(os.environ, HOME=self.history_home, TERM="xterm", LANG="C.UTF-8")
        return pexpect.spawn(POSTERN, ["--home", self.appliance.home, *arguments], env=env, encoding="utf-8",
                             timeout=20, dimensions=(50, 200))

    def tearDown(self):
        if self.cli.isalive():
            self.cli.terminate(force=True)
        self.appliance.remove()

    def test_an_idle_session_ends_at_the_inactivity_timeout_and_drops_its_changes(self):
        # adminaccessconfig's CLI timeout, in seconds here (its minimum is 5 minutes).
        cli = self.spawn("--idle-timeout-seconds", "2")
        cli.expect_exact("> ")
        cli.sendline("adminaccessconfig timeout --web=40 --cli=40")
        cli.expect_exact("> ")
        cli.expect_exact("Session timed out after 2 second(s) without input (adminaccessconfig). "
                         "Uncommitted changes were discarded.")
        cli.expect(pexpect.EOF)
        cli.close()
        self.assertEqual(cli.exitstatus, 0)
        with open(os.path.join(self.appliance.home, "logs", "cli.log")) as log:
            self.assertIn("(inactivity timeout)", log.read())
        shown = self.appliance.cli("adminaccessconfig").stdout
        self.assertIn("CLI inactivity timeout: 30 minutes", shown)

    def test_a_password_prompt_left_open_times_out_too(self):
        cli = self.spawn("--idle-timeout-seconds", "2")
        cli.expect_exact("> ")
        cli.sendline("passwd admin")
        cli.expect_exact("Enter the new password for admin:")
        cli.expect_exact("Session timed out after 2 second(s) without input (adminaccessconfig).")
        cli.expect(pexpect.EOF)

    def test_a_batch_password_on_a_terminal_is_never_echoed(self):
        # `postern -c 'passwd admin'` on a terminal, as scripts/run asks for the first password.
        env = dict(os.environ, HOME=self.history_home, TERM="xterm", LANG="C.UTF-8")
        batch = pexpect.spawn(POSTERN, ["--home", self.appliance.home, "-c", "passwd admin"], env=env,
                              encoding="utf-8", timeout=20)
        seen = io.StringIO()
        batch.logfile_read = seen  # everything the terminal showed
        batch.expect_exact("Enter the new password for admin:")
        batch.sendline("Echo-test-42")
        batch.expect_exact("Please enter the new password again:")
        batch.sendline("Echo-test-42")
        batch.expect_exact("Password changed for admin.")
        batch.expect(pexpect.EOF)
        self.assertNotIn("Echo-test-42", seen.getvalue())
        self.assertEqual(batch.wait(), 0)

    def test_tab_completes_commands_and_menu_words(self):
        self.cli.expect_exact(PROMPT)
        # libedit redraws the completed word by moving the cursor: what appears is the rest.
        self.cli.send("listenerc\t")
        self.cli.expect_exact("onfig ")
        self.cli.send("\r")
        self.cli.expect_exact("Currently configured listeners:")
        self.cli.expect_exact("[]> ")
        self.cli.send("ed\t")
        self.cli.expect_exact("it ")
        self.cli.send("\r")
        self.cli.expect_exact("[]> ")
        self.cli.send("Inb\t")
        self.cli.expect_exact("oundMail ")
        self.cli.send("\r")
        self.cli.expect_exact("TLS: No")
        self.cli.expect_exact("[]> ")
        self.cli.send("hosta\t")
        self.cli.expect_exact("ccess ")
        self.cli.send("\r")
        self.cli.expect_exact("There are currently 4 sender groups.")
        self.cli.expect_exact("[]> ")
        self.cli.send("\r")
        self.cli.expect_exact("[]> ")
        self.cli.send("\r")
        self.cli.expect_exact("[]> ")
        self.cli.send("\r")
        self.cli.expect_exact(PROMPT)
        self.cli.send("quit\r")
        self.cli.expect(pexpect.EOF)

    def test_long_output_pages_on_a_terminal(self):
        """Issue 14 §6: `-Press Any Key For More-` on a terminal of 10 rows; any key shows the
        next page, q drops the rest; the next command starts a new page."""
        env = dict(os.environ, HOME=self.history_home, TERM="xterm", LANG="C.UTF-8")
        small = pexpect.spawn(POSTERN, ["--home", self.appliance.home], env=env, encoding="utf-8", timeout=20,
                              dimensions=(10, 120))
        seen = io.StringIO()
        small.logfile_read = seen
        small.expect_exact(PROMPT)
        small.send("help\r")
        small.expect_exact("-Press Any Key For More-")
        small.send(" ")
        small.expect_exact("-Press Any Key For More-")
        small.send("q")
        small.expect_exact(PROMPT)
        self.assertIn("addresslistconfig", seen.getvalue())  # the first page was shown
        self.assertNotIn("List the administrators logged in now.", seen.getvalue())  # help's last line was dropped
        small.send("help\r")
        small.expect_exact("-Press Any Key For More-")
        small.send("\x03")  # Ctrl-C stops the paging too, and the session goes on
        small.expect_exact(PROMPT)
        small.send("quit\r")
        small.expect(pexpect.EOF)

    def test_ctrl_c_drops_only_the_current_command_and_history_persists(self):
        self.cli.expect_exact(PROMPT)
        self.cli.sendline("listenerconfig edit InboundMail limits 500 60")
        self.cli.expect_exact(PROMPT)  # a command given arguments ends with them
        self.cli.sendline("sslconfig")
        self.cli.expect_exact("[]> ")
        self.cli.sendline("inbound")
        self.cli.expect_exact("[9]> ")
        self.cli.sendline("")
        self.cli.expect_exact("]> ")
        self.cli.sendintr()
        self.cli.expect_exact("-- Changes not recorded.")
        self.cli.expect_exact(PROMPT)
        self.cli.sendline("showchanges")
        self.cli.expect_exact("Max Concurrency: 1000 -> 500")
        self.cli.expect_exact(PROMPT)
        self.assertNotIn("ssl", self.cli.before)
        # Up-arrow recalls the last command.
        self.cli.send("\x1b[A")
        self.cli.expect_exact("showchanges")
        self.cli.send("\r")
        self.cli.expect_exact("TCP Queue: 50 -> 60")
        self.cli.expect_exact(PROMPT)
        self.cli.sendline('commit "limits from a terminal" Y')
        self.cli.expect_exact("Changes committed:")
        self.cli.expect_exact(PROMPT)
        self.assertEqual(self.appliance.status()["generation"], 3)
        self.cli.sendcontrol("d")  # Ctrl-D at the prompt is quit
        self.cli.expect(pexpect.EOF)
        import pwd
        with open(os.path.join(self.appliance.home, "cli-history", pwd.getpwuid(os.geteuid()).pw_name)) as f:
            self.assertIn("showchanges", f.read())
        # A new session starts with that history.
        second = self.spawn()
        second.expect_exact(PROMPT)
        second.send("\x1b[A")
        second.expect_exact('commit "limits from a terminal" Y')
        second.sendcontrol("c")
        second.expect_exact(PROMPT)
        second.sendline("quit")
        second.expect(pexpect.EOF)

    def test_quit_asks_when_changes_are_pending(self):
        self.cli.expect_exact(PROMPT)
        self.cli.sendline("listenerconfig edit InboundMail limits 500 60")
        self.cli.expect_exact(PROMPT)
        self.cli.sendline("quit")
        self.cli.expect_exact("You have uncommitted changes. Are you sure you want to exit? [N]> ")
        self.cli.sendline("")
        self.cli.expect_exact(PROMPT)
        self.cli.sendline("quit")
        self.cli.expect_exact("[N]> ")
        self.cli.sendline("y")
        self.cli.expect(pexpect.EOF)
        self.assertEqual(self.appliance.current()["commit"]["generation"], 2)


class PipeTests(unittest.TestCase):
    def test_the_seed_flow_piped_reaches_the_engine(self):
        appliance = Appliance().start()
        try:
            result = appliance.piped([
                "listenerconfig", "edit", "InboundMail", "hostaccess", "default",
                "", "", "", "", "", "", "", "", "3", "", "", "", "", "", "",
                "commit", "TLS required for everyone", "",
            ])
            self.assertIn("Changes committed:", result.stdout)
            self.assertIn("TLS: Required", result.stdout)
            self.assertEqual(appliance.status()["generation"], 3)
            with smtplib.SMTP("127.0.0.1", appliance.port, timeout=10) as client:
                client.ehlo("x")
                self.assertTrue(client.has_extn("starttls"))
                self.assertEqual(client.docmd("MAIL FROM:<a@b.example>")[0], 530)
            with open(os.path.join(appliance.home, "config", "commits.log")) as f:
                self.assertIn('comment="TLS required for everyone"', f.read())
        finally:
            appliance.remove()

    def test_input_ending_mid_command_fails_and_changes_nothing(self):
        appliance = Appliance()
        try:
            result = appliance.piped(["listenerconfig", "edit", "InboundMail", "limits", "500"], check=False)
            self.assertEqual(result.returncode, 1)
            self.assertIn("-- Changes not recorded.", result.stdout)
            self.assertEqual(appliance.current()["commit"]["generation"], 2)
        finally:
            appliance.remove()

    def test_every_command_kind_is_committed_and_applied(self):
        appliance = Appliance().start()
        try:
            other = appliance.port + 1 if appliance.port < 65000 else appliance.port - 1
            appliance.cli(f'interfaceconfig new Second 127.0.0.2 8 mx2.example.com; '
                          f'listenerconfig new Relay private Second smtp --port={other} --relay=127.0.0.0/8; '
                          f'certconfig certificate new Partner --cn=mx2.example.com --days=30; '
                          f'listenerconfig edit Relay certificate Partner; '
                          f'listenerconfig edit Relay hostaccess default --tls=preferred; '
                          f'sslconfig inbound tlsv1.2/tlsv1.3 HIGH:!aNULL TLS_AES_128_GCM_SHA256; '
                          f'commit "second listener" Y')
            status = appliance.status()
            self.assertEqual(status["generation"], 3)
            self.assertEqual({l["name"]: l["state"] for l in status["listeners"]},
                             {"InboundMail": "listening", "Relay": "listening"})
            with smtplib.SMTP("127.0.0.2", other, timeout=10) as client:
                self.assertEqual(client.ehlo("x")[0], 250)
                self.assertTrue(client.has_extn("starttls"))
            result = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect", f"127.0.0.2:{other}",
                                     "-brief"], input="QUIT\n", capture_output=True, text=True, timeout=30)
            output = result.stdout + result.stderr
            self.assertIn("CN = mx2.example.com", output)
            self.assertIn("Ciphersuite: TLS_AES_128_GCM_SHA256", output)
        finally:
            appliance.remove()


if __name__ == "__main__":
    unittest.main()
