"""Issue 2: the store's crash safety, commit to reload, and a rejected reload."""
import json
import os
import shutil
import smtplib
import subprocess
import tempfile
import unittest

from harness import POSTERN, POSTERND, Appliance, free_port, wait_for

COMMIT_STEPS = ["locked",
                "history-temp-written", "history-temp-synced", "history-renamed", "history-directory-synced",
                "current-temp-written", "current-temp-synced", "current-renamed", "current-directory-synced",
                "logged"]
CONFIRM_STEPS = ["confirm-temp-written", "confirm-temp-synced", "confirm-renamed", "confirm-directory-synced"]


class FreshHomeTests(unittest.TestCase):
    def test_commit_on_a_fresh_home_says_there_is_no_data(self):
        home = tempfile.mkdtemp(prefix="postern-e2e-")
        try:
            result = subprocess.run([POSTERN, "--home", home, "-c", 'commit "nothing" Y'], capture_output=True,
                                    text=True)
            self.assertEqual(result.stdout, "There is no data to commit.\n")
            self.assertEqual(result.returncode, 0)
            self.assertTrue(os.path.exists(os.path.join(home, "certs", "demo.crt")))
        finally:
            shutil.rmtree(home)

    def test_the_engine_makes_its_own_home_and_answers_ehlo(self):
        appliance = Appliance()
        try:
            appliance.start()
            with smtplib.SMTP("127.0.0.1", appliance.port, timeout=10) as client:
                code, _ = client.ehlo("test.example")
                self.assertEqual(code, 250)
        finally:
            appliance.remove()


class CrashSafetyTests(unittest.TestCase):
    """A committing process killed at every step leaves current.json whole: old or new."""

    def test_kill_at_every_step_of_a_commit(self):
        template = Appliance()
        try:
            before = template.current()
            self.assertEqual(before["commit"]["generation"], 2)
            for step in COMMIT_STEPS:
                with self.subTest(step=step):
                    home = tempfile.mkdtemp(prefix="postern-crash-")
                    shutil.rmtree(home)
                    shutil.copytree(template.home, home)
                    result = subprocess.run(
                        [POSTERN, "--home", home, "-c", 'listenerconfig edit InboundMail limits 77 50; commit "crash" Y'],
                        capture_output=True, text=True, env=dict(os.environ, POSTERN_COMMIT_FAULT=step))
                    self.assertEqual(result.returncode, -9, f"{step}: {result.stdout}{result.stderr}")
                    with open(os.path.join(home, "config", "current.json")) as f:
                        current = json.load(f)  # whole JSON, or this raises
                    generation = current["commit"]["generation"]
                    limit = current["configuration"]["listeners"][0]["maxConcurrency"]
                    self.assertIn((generation, limit), [(2, 1000), (3, 77)], step)
                    with open(os.path.join(home, "config", "history", f"{generation}.json")) as f:
                        self.assertEqual(json.load(f), current)
                    # The store keeps working after the crash.
                    after = subprocess.run([POSTERN, "--home", home, "-c",
                                            'listenerconfig edit InboundMail limits 88 50; commit "after" Y'],
                                           capture_output=True, text=True)
                    self.assertEqual(after.returncode, 0, after.stdout + after.stderr)
                    with open(os.path.join(home, "config", "current.json")) as f:
                        self.assertEqual(json.load(f)["commit"]["generation"], generation + 1)
                    with open(os.path.join(home, "config", "commits.log")) as f:
                        logged = [line for line in f.read().splitlines() if line]
                    self.assertEqual([int(l.split("generation=")[1].split()[0]) for l in logged],
                                     list(range(1, generation + 2)), step)
                    self.assertEqual([n for n in os.listdir(os.path.join(home, "config")) if ".tmp." in n], [])
                    shutil.rmtree(home)
        finally:
            template.remove()


    def test_kill_at_every_step_of_a_confirmed_commit(self):
        """commit confirmed: whenever the new generation is current, its rollback window is on
        disk too (the window is written first), so a crash never makes the change permanent."""
        template = Appliance()
        try:
            for step in ["locked"] + CONFIRM_STEPS + COMMIT_STEPS[1:]:
                with self.subTest(step=step):
                    home = tempfile.mkdtemp(prefix="postern-crash-")
                    shutil.rmtree(home)
                    shutil.copytree(template.home, home)
                    result = subprocess.run(
                        [POSTERN, "--home", home, "-c",
                         'listenerconfig edit InboundMail limits 77 50; commit confirmed 5 "crash" Y'],
                        capture_output=True, text=True, env=dict(os.environ, POSTERN_COMMIT_FAULT=step))
                    self.assertEqual(result.returncode, -9, f"{step}: {result.stdout}{result.stderr}")
                    with open(os.path.join(home, "config", "current.json")) as f:
                        generation = json.load(f)["commit"]["generation"]
                    self.assertIn(generation, [2, 3], step)
                    window = os.path.join(home, "config", "confirm.json")
                    if generation == 3:
                        with open(window) as f:
                            self.assertEqual(json.load(f)["generation"], 3, step)
                    # The store keeps working, and a stale window never rolls anything back.
                    after = subprocess.run([POSTERN, "--home", home, "-c",
                                            'listenerconfig edit InboundMail limits 88 50; commit "after" Y'],
                                           capture_output=True, text=True)
                    self.assertEqual(after.returncode, 0, after.stdout + after.stderr)
                    self.assertFalse(os.path.exists(window), step)
                    shutil.rmtree(home)
        finally:
            template.remove()


class ReloadTests(unittest.TestCase):
    def setUp(self):
        self.appliance = Appliance().start()

    def tearDown(self):
        self.appliance.remove()

    def test_a_commit_reaches_the_running_engine(self):
        result = self.appliance.cli('listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes; '
                                    'commit "TLS preferred" Y')
        self.assertIn("Changes committed:", result.stdout)
        self.assertNotIn("not running", result.stdout + result.stderr)
        status = self.appliance.status()
        self.assertEqual(status["generation"], 3)
        self.assertEqual(status["lastReload"]["outcome"], "applied")
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.ehlo("test.example")
            self.assertTrue(client.has_extn("starttls"))

    def test_a_moved_listener_is_rebound_and_open_sessions_finish(self):
        from harness import free_port
        old_port = self.appliance.port
        new_port = free_port()
        session = smtplib.SMTP("127.0.0.1", old_port, timeout=10)
        session.ehlo("old.example")
        self.appliance.cli(f'listenerconfig edit InboundMail interface Loopback smtp {new_port}; commit moved Y')
        self.assertEqual(self.appliance.status()["listeners"][0]["port"], new_port)
        with smtplib.SMTP("127.0.0.1", new_port, timeout=10) as client:
            self.assertEqual(client.ehlo("new.example")[0], 250)
        with self.assertRaises(ConnectionRefusedError):
            smtplib.SMTP("127.0.0.1", old_port, timeout=5)
        # The session accepted before the move is served to the end, under the old generation.
        self.assertEqual(self.appliance.status()["sessionsByGeneration"], {"2": 1})
        session.sendmail("a@b.example", ["joe@example.com"], b"Subject: still here\r\n\r\nx\r\n")
        session.quit()
        wait_for(lambda: self.appliance.status()["sessionsByGeneration"] == {}, what="the old session to end")

    def test_a_removed_listener_stops_accepting(self):
        self.appliance.cli("listenerconfig delete InboundMail Y; commit removed Y")
        self.assertEqual(self.appliance.status()["listeners"], [])
        with self.assertRaises(ConnectionRefusedError):
            smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=5)

    def test_a_broken_configuration_is_rejected_and_the_old_one_kept(self):
        # Written past the CLI, as a hand edit would be: the engine must check for itself.
        document = self.appliance.current()
        document["commit"]["generation"] = 3
        document["commit"]["parent"] = 2
        document["configuration"]["ssl"]["inbound"]["ciphers"] = "RC4-SHA:RC4-MD5"
        text = json.dumps(document, indent=2, sort_keys=True)
        config = os.path.join(self.appliance.home, "config")
        with open(os.path.join(config, "history", "3.json"), "w") as f:
            f.write(text)
        with open(os.path.join(config, "current.json.new"), "w") as f:
            f.write(text)
        os.rename(os.path.join(config, "current.json.new"), os.path.join(config, "current.json"))
        self.appliance.reload()
        report = wait_for(lambda: ((self.appliance.status() or {}).get("lastReload") or {}).get("generation") == 3
                          and self.appliance.status()["lastReload"], what="the reload report")
        self.assertEqual(report["outcome"], "rejected")
        self.assertTrue(any("no cipher match" in p for p in report["problems"]), report)
        self.assertEqual(self.appliance.status()["generation"], 2)
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            self.assertEqual(client.ehlo("x")[0], 250)
        with open(os.path.join(self.appliance.home, "posternd.stderr")) as f:
            self.assertIn("configuration rejected", f.read())
        status = self.appliance.cli("status").stdout
        self.assertIn("generation 3 rejected", status)


class RecoveryTests(unittest.TestCase):
    """config/current.json damaged from outside: the engine keeps serving, the CLI says how
    to recover, and `recoverconfig` (batch or at a terminal) commits the newest good generation."""

    def setUp(self):
        self.appliance = Appliance().start()
        self.appliance.cli('listenerconfig edit InboundMail limits 700 50; commit "limits" Y')
        self.current = os.path.join(self.appliance.home, "config", "current.json")

    def tearDown(self):
        self.appliance.remove()

    def damage(self):
        with open(self.current, "w") as f:
            f.write('{"schema": 1, "commit": ')

    def test_batch_recovery_over_a_damaged_current_file(self):
        self.damage()
        refused = self.appliance.cli("status", check=False)
        self.assertEqual(refused.returncode, 2)
        self.assertIn("cannot be read", refused.stderr)
        self.assertIn("recoverconfig", refused.stderr)
        # The engine keeps what it loaded last.
        report = wait_for(lambda: ((self.appliance.status() or {}).get("lastReload") or {}).get("outcome") == "rejected"
                          and self.appliance.status(), what="the engine to reject the damaged file")
        self.assertEqual(report["generation"], 3)
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            self.assertEqual(client.ehlo("x")[0], 250)
        result = self.appliance.cli("recoverconfig")
        self.assertIn("Recovered: generation 4 is generation 3 again", result.stdout)
        self.appliance.wait_generation(4)
        self.assertEqual(self.appliance.status()["lastReload"]["outcome"], "applied")
        self.assertEqual(self.appliance.current()["configuration"]["listeners"][0]["maxConcurrency"], 700)
        again = self.appliance.cli("recoverconfig", check=False)
        self.assertEqual(again.returncode, 1)
        self.assertIn("nothing to recover", again.stdout + again.stderr)

    def test_an_admin_at_a_terminal_is_offered_recovery(self):
        import pexpect
        self.damage()
        env = dict(os.environ, TERM="xterm", LANG="C.UTF-8", HOME=self.appliance.home)
        cli = pexpect.spawn(POSTERN, ["--home", self.appliance.home], env=env, encoding="utf-8", timeout=20)
        try:
            cli.expect_exact("The newest readable generation is 3")
            cli.expect_exact("Commit it again to recover? [Y]> ")
            cli.sendline("")
            cli.expect_exact("Recovered: generation 4 is generation 3 again")
            cli.expect_exact("> ")
            cli.sendline("quit")
            cli.expect(pexpect.EOF)
        finally:
            cli.terminate(force=True)
        self.appliance.wait_generation(4)


class ListeningSocketTests(unittest.TestCase):
    """A listener is one socket (Docs/benchmarks.md: one per event loop was tried twice and
    withdrawn twice): its accept queue is the listener's TCP queue, no other program can join
    it with SO_REUSEPORT, and a listener that moves away frees its port."""

    def test_one_socket_with_the_configured_queue_that_nobody_can_join(self):
        import socket
        appliance = Appliance()
        try:
            appliance.cli('listenerconfig edit InboundMail limits 500 300; commit "queue" Y')
            appliance.start()
            listening = subprocess.run(["ss", "-Hltn", f"sport = :{appliance.port}"], capture_output=True,
                                       text=True, check=True).stdout.split("\n")
            listening = [line.split() for line in listening if line.strip()]
            self.assertEqual(len(listening), 1, listening)
            self.assertEqual(listening[0][2], "300", f"the accept queue of {listening[0]}")
            joiner = socket.socket()
            joiner.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            with self.assertRaises(OSError):
                joiner.bind(("127.0.0.1", appliance.port))
            joiner.close()
            # Connections at once, spread over the event loops.
            clients = [smtplib.SMTP("127.0.0.1", appliance.port, timeout=10) for _ in range(8)]
            for client in clients:
                self.assertEqual(client.ehlo("x")[0], 250)
                client.quit()
            # A moved listener frees its old port.
            port = appliance.port
            appliance.cli(f'listenerconfig edit InboundMail interface Loopback smtp {free_port()}; commit "move" Y')
            wait_for(lambda: subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True,
                                            text=True).stdout.strip() == "", what="the old port to be free")
            again = socket.socket()
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # its closed connections wait in TIME_WAIT
            again.bind(("127.0.0.1", port))
            again.close()
        finally:
            appliance.remove()


if __name__ == "__main__":
    unittest.main()


class ConcurrentCommitTests(unittest.TestCase):
    """Two admins commit from the same generation: the second gets the conflict naming the
    first, is offered to re-apply its edits on top, and its next commit holds both."""

    def test_two_committers_and_reapplying_on_top(self):
        import pexpect
        appliance = Appliance()
        try:
            env = dict(os.environ, TERM="xterm")
            prompt = "postern.example.com> "
            second = pexpect.spawn(POSTERN, ["--home", appliance.home], env=env, encoding="utf-8", timeout=30)
            second.expect_exact(prompt)
            second.sendline("listenerconfig edit InboundMail limits 77 50")
            second.expect_exact(prompt)
            # Meanwhile the first admin commits a change of another setting.
            appliance.cli('listenerconfig edit InboundMail interface Loopback smtp 2626; commit "first" Y')
            second.sendline('commit "second" Y')
            second.expect_exact("was changed by another user since this session started")
            second.expect_exact("re-apply your changes on top of generation 3?")
            second.sendline("Y")
            second.expect_exact("Your changes were re-applied on top of generation 3.")
            second.expect_exact(prompt)
            second.sendline('commit "second again" Y')
            second.expect_exact("Changes committed")
            second.expect_exact(prompt)
            second.sendline("quit")
            second.expect(pexpect.EOF)
            current = appliance.current()
            self.assertEqual(current["commit"]["generation"], 4)
            listener = current["configuration"]["listeners"][0]
            self.assertEqual((listener["port"], listener["maxConcurrency"]), (2626, 77))

            # The same setting changed by both: the conflict is named, nothing is merged.
            third = pexpect.spawn(POSTERN, ["--home", appliance.home], env=env, encoding="utf-8", timeout=30)
            third.expect_exact(prompt)
            third.sendline("listenerconfig edit InboundMail limits 66 50")
            third.expect_exact(prompt)
            appliance.cli('listenerconfig edit InboundMail limits 55 50; commit "other" Y')
            third.sendline('commit "third" Y')
            third.expect_exact("re-apply your changes on top of generation 5?")
            third.sendline("Y")
            third.expect_exact("Your changes cannot be re-applied: Both you and the other commit changed: "
                               "listeners[InboundMail].maxConcurrency")
            third.expect_exact("discard all of your changes?")
            third.sendline("N")
            third.expect_exact(prompt)
            third.sendline("quit")
            third.expect_exact("Are you sure you want to exit?")  # quit asks about the pending changes
            third.sendline("Y")
            third.expect(pexpect.EOF)
            self.assertEqual(appliance.current()["configuration"]["listeners"][0]["maxConcurrency"], 55)
        finally:
            appliance.remove()


class UnservableCommitTests(unittest.TestCase):
    """Issue 13 §5: a commit the engine cannot serve says so, and the old socket stays."""

    def test_a_listener_moved_to_a_port_in_use_keeps_its_old_socket(self):
        import socket
        appliance = Appliance().start()
        holder = socket.socket()
        try:
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            taken = holder.getsockname()[1]
            result = appliance.cli(f'listenerconfig edit InboundMail interface Loopback smtp {taken}; '
                                   f'commit "move" Y', check=False)
            self.assertNotEqual(result.returncode, 0, result.stdout)
            self.assertIn("The engine applied generation 3, but not every listener is serving:", result.stderr)
            self.assertIn(f"InboundMail: Could not listen on 127.0.0.1 port {taken}: Address already in use; "
                          f"still accepting on 127.0.0.1 port {appliance.port}, its previous address", result.stderr)
            # The old socket still serves.
            with smtplib.SMTP("127.0.0.1", appliance.port, timeout=10) as client:
                self.assertEqual(client.ehlo("x")[0], 250)
            status = appliance.cli("status").stdout
            self.assertIn(f"InboundMail 127.0.0.1 port {taken}: FAILED: Could not listen on", status)
            self.assertNotIn("errno", status)
            # Once the port is free, a reload binds it and lets the old socket go.
            holder.close()
            appliance.reload()
            wait_for(lambda: appliance.listening(), what="the listener on its new port")
            with smtplib.SMTP("127.0.0.1", taken, timeout=10) as client:
                self.assertEqual(client.ehlo("x")[0], 250)
            with self.assertRaises(OSError):
                smtplib.SMTP("127.0.0.1", appliance.port, timeout=5)
        finally:
            holder.close()
            appliance.remove()

    def test_a_port_another_program_shares_with_so_reuseport_is_refused_not_shared(self):
        """A program listening with SO_REUSEPORT must not get to share a listener's port: the
        engine's listening socket does not ask for SO_REUSEPORT, so the port is refused. (One
        socket per event loop with SO_REUSEPORT was tried and withdrawn: another program of
        the same account could then join a running listener; Docs/benchmarks.md.)"""
        import socket
        appliance = Appliance().start()
        holder = socket.socket()
        try:
            holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            holder.bind(("127.0.0.1", 0))
            holder.listen()
            taken = holder.getsockname()[1]
            result = appliance.cli(f'listenerconfig edit InboundMail interface Loopback smtp {taken}; '
                                   f'commit "move" Y', check=False)
            self.assertNotEqual(result.returncode, 0, result.stdout)
            self.assertIn(f"InboundMail: Could not listen on 127.0.0.1 port {taken}: Address already in use",
                          result.stderr)
            # Every connection to the port reaches the other program, none the engine.
            for _ in range(8):
                with socket.create_connection(("127.0.0.1", taken), timeout=5):
                    holder.settimeout(5)
                    accepted, _ = holder.accept()
                    accepted.close()
        finally:
            holder.close()
            appliance.remove()

    def test_commitcheck_warns_about_an_address_this_host_does_not_have(self):
        appliance = Appliance()
        try:
            # 192.0.2.1 (TEST-NET-1) is only checked against this host's addresses; nothing binds it.
            result = appliance.cli('interfaceconfig new Far 192.0.2.1 24 far.example.com; '
                                   'listenerconfig edit InboundMail interface Far smtp 2525; commitcheck')
            self.assertIn("The configuration is valid.", result.stdout)
            self.assertIn("Warning: interface Far has the address 192.0.2.1, which is not configured on this host",
                          result.stdout)
            quiet = appliance.cli("commitcheck")
            self.assertNotIn("Warning", quiet.stdout)
        finally:
            appliance.remove()
