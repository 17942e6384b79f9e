"""Issue 8: commit confirmed (rolled back by the engine, also when the CLI was killed or
the engine restarted; kept when confirmed), and the drain report in status."""
import os
import signal
import smtplib
import time
import unittest

import pexpect

from harness import POSTERN, Appliance, wait_for

PROMPT = "postern.example.com> "
TLS_ON = 'listenerconfig edit InboundMail hostaccess default --tls=required --demo=yes'


def offers_starttls(port):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("x")
        return client.has_extn("starttls")


class ConfirmedCommitTests(unittest.TestCase):
    def test_unconfirmed_commits_roll_back_and_confirmed_ones_stay(self):
        killed, confirmed, restarted = Appliance().start(), Appliance().start(), Appliance().start()
        try:
            # 1. Committed from a terminal whose CLI is killed right after the commit.
            env = dict(os.environ, HOME=killed.home, TERM="xterm")
            cli = pexpect.spawn(POSTERN, ["--home", killed.home], env=env, encoding="utf-8", timeout=20)
            cli.expect_exact(PROMPT)
            cli.sendline(f'{TLS_ON}; commit confirmed 1 "try TLS" Y')
            cli.expect_exact("Confirm this commit within 1 minute")
            cli.expect_exact(PROMPT)
            os.kill(cli.pid, signal.SIGKILL)
            committed_at = time.monotonic()
            # 2. Confirmed with `confirm`.
            confirmed.cli(f'{TLS_ON}; commit confirmed 1 "try TLS" Y')
            self.assertIn("Generation 3 confirmed", confirmed.cli("confirm").stdout)
            # 3. The engine restarts inside the window: the window survives it.
            restarted.cli(f'{TLS_ON}; commit confirmed 1 "try TLS" Y')
            restarted.stop()
            restarted.start()
            for appliance in (killed, confirmed, restarted):
                self.assertEqual(appliance.status()["generation"], 3)
                self.assertTrue(offers_starttls(appliance.port))
            self.assertIn("Generation 3 must be confirmed by", killed.cli("status").stdout)
            for appliance in (killed, restarted):
                wait_for(lambda: appliance.status()["generation"] == 4, timeout=80, interval=0.2,
                         what="the automatic rollback")
            elapsed = time.monotonic() - committed_at
            self.assertLess(elapsed, 60 + 10)
            for appliance in (killed, restarted):
                current = appliance.current()
                self.assertEqual(current["commit"]["user"], "posternd")
                self.assertIn("Automatic rollback to generation 2: generation 3 was not confirmed within 1 minute",
                              current["commit"]["comment"])
                with open(os.path.join(appliance.home, "config", "history", "2.json")) as f:
                    import json
                    self.assertEqual(current["configuration"], json.load(f)["configuration"])
                self.assertFalse(offers_starttls(appliance.port))
                self.assertIn("was not confirmed within 1 minute; generation 2 restored as generation 4",
                              appliance.mail_log())
                self.assertIn("Automatic rollback at", appliance.cli("status").stdout)
            self.assertEqual(confirmed.status()["generation"], 3)
            self.assertTrue(offers_starttls(confirmed.port))
        finally:
            for appliance in (killed, confirmed, restarted):
                appliance.remove()

    def test_a_plain_commit_confirms_and_a_later_commit_closes_the_window(self):
        appliance = Appliance().start()
        try:
            appliance.cli(f'{TLS_ON}; commit confirmed 5 "try" Y')
            self.assertTrue(os.path.exists(os.path.join(appliance.home, "config", "confirm.json")))
            result = appliance.cli('commit')
            self.assertIn("Generation 3 confirmed", result.stdout)
            self.assertFalse(os.path.exists(os.path.join(appliance.home, "config", "confirm.json")))
        finally:
            appliance.remove()


class DrainReportTests(unittest.TestCase):
    def test_status_counts_sessions_on_the_previous_generation_until_they_end(self):
        appliance = Appliance().start()
        try:
            session = smtplib.SMTP("127.0.0.1", appliance.port, timeout=10)
            session.ehlo("held.example")
            appliance.cli('listenerconfig edit InboundMail limits 999 50; commit reload Y')
            status = appliance.cli("status").stdout
            self.assertIn("serving generation 3", status)
            self.assertIn("Sessions on older generations: 1\n  generation 2: 1 session still open", status)
            session.quit()
            wait_for(lambda: "generation 2: its last session ended" in appliance.cli("status").stdout,
                     what="the drain report")
            status = appliance.cli("status").stdout
            self.assertNotIn("still open", status)
            # "none" and then a list of generations read as a contradiction (issue 14, section 8).
            self.assertIn("Sessions on older generations: none\n  generation 2: its last session ended", status)
        finally:
            appliance.remove()


if __name__ == "__main__":
    unittest.main()
