"""Issue 5: postern as the login shell of an admin account on a real OpenSSH server on
loopback: an interactive session, batch commands, a commit's user and source, and a
connection killed mid-edit. Needs root (it creates an account); skipped otherwise."""
import os
import pwd
import secrets
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

import pexpect

from harness import POSTERN, Appliance, free_port, wait_for

PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PROMPT = "postern.example.com> "


@unittest.skipUnless(os.geteuid() == 0 and os.path.exists("/usr/sbin/sshd"),
                     "needs root and openssh-server (scripts/test installs it when run as root)")
class SSHTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root")
        cls.tmp = tempfile.mkdtemp(prefix="postern-ssh-")
        os.chmod(cls.tmp, 0o755)
        cls.user = "pst" + secrets.token_hex(4)
        cls.appliance = Appliance().start()
        # The login shell: a copy of the built postern that the account can execute.
        bindir = os.path.join(cls.tmp, "bin")
        os.makedirs(bindir)
        cls.shell = os.path.join(bindir, "postern")
        shutil.copy(POSTERN, cls.shell)
        os.chmod(cls.shell, 0o755)
        cls.key = os.path.join(cls.tmp, "id_admin")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", cls.key], check=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", os.path.join(cls.tmp, "host_key")],
                       check=True)
        keys = os.path.join(cls.tmp, "keys")
        subprocess.run([os.path.join(PROJECT, "scripts", "admin-user"), cls.user, "--home", cls.appliance.home,
                        "--key", cls.key + ".pub", "--shell", cls.shell, "--keys-dir", keys], check=True,
                       capture_output=True)
        cls.port = free_port()
        config = os.path.join(cls.tmp, "sshd_config")
        with open(config, "w") as f:
            f.write(f"""Port {cls.port}
ListenAddress 127.0.0.1
HostKey {cls.tmp}/host_key
PidFile {cls.tmp}/sshd.pid
UsePAM no
StrictModes no
AuthorizedKeysFile {keys}/%u
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowTcpForwarding no
AllowAgentForwarding no
X11Forwarding no
PermitTunnel no
PermitUserRC no
LogLevel VERBOSE
""")
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        cls.sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", config, "-E", os.path.join(cls.tmp, "sshd.log")])
        wait_for(lambda: cls.port_open(), what="sshd to listen")

    @classmethod
    def port_open(cls):
        try:
            socket.create_connection(("127.0.0.1", cls.port), timeout=1).close()
            return True
        except OSError:
            return False

    @classmethod
    def tearDownClass(cls):
        cls.sshd.terminate()
        cls.sshd.wait()
        cls.appliance.remove()
        subprocess.run(["userdel", cls.user], capture_output=True)
        with open("/etc/shells") as f:
            lines = [l for l in f.read().splitlines() if l != cls.shell]
        with open("/etc/shells", "w") as f:
            f.write("\n".join(lines) + "\n")
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def ssh_args(self, tty=False):
        return ["-p", str(self.port), "-i", self.key, "-o", "StrictHostKeyChecking=no", "-o",
                "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR"] + \
               (["-tt"] if tty else ["-T"]) + [f"{self.user}@127.0.0.1"]

    def ssh(self, command=None, input=None):
        args = ["ssh"] + self.ssh_args() + ([command] if command else [])
        return subprocess.run(args, input=input, capture_output=True, text=True, timeout=60)

    def generation(self):
        return self.appliance.current()["commit"]["generation"]

    # (a) -----------------------------------------------------------------------------

    def test_a_interactive_session_requires_tls(self):
        before = self.generation()
        # A tall terminal: these tests read whole menus, and a 24-row one pages (-Press Any Key For More-).
        cli = pexpect.spawn("ssh", self.ssh_args(tty=True), encoding="utf-8", timeout=30, dimensions=(200, 200))
        try:
            cli.expect_exact(PROMPT)
            for answer, wait in [("listenerconfig", "[]> "), ("edit", "[]> "), ("InboundMail", "[]> "),
                                 ("hostaccess", "[]> "), ("default", "[10M]> ")]:
                cli.sendline(answer)
                cli.expect_exact(wait)
            for _ in range(8):
                cli.sendline("")
                cli.expect_exact("]> ")
            cli.sendline("3")
            cli.expect_exact("verify client certificates? [N]> ")
            cli.sendline("")
            cli.expect_exact("demo certificate? [Y]> ")
            cli.sendline("")
            cli.expect_exact("[1]> ")
            cli.sendline("")
            for _ in range(3):
                cli.expect_exact("[]> ")
                cli.sendline("")
            cli.expect_exact(PROMPT)
            cli.sendline("who")
            cli.expect_exact(f"{self.user}")
            cli.expect_exact("127.0.0.1")
            cli.expect_exact(PROMPT)
            cli.sendline("commit")
            cli.expect_exact("[]> ")
            cli.sendline("TLS required, over ssh")
            cli.expect_exact("[Y]> ")
            cli.sendline("")
            cli.expect_exact("Changes committed:")
            cli.expect_exact(PROMPT)
            cli.sendline("quit")
            cli.expect(pexpect.EOF)
        finally:
            cli.close(force=True)
        self.assertEqual(self.generation(), before + 1)
        self.assertEqual(self.appliance.status()["generation"], before + 1)
        record = self.appliance.current()["commit"]
        self.assertEqual((record["user"], record["source"], record["comment"]),
                         (self.user, "127.0.0.1", "TLS required, over ssh"))
        result = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect",
                                 f"127.0.0.1:{self.appliance.port}", "-brief"], input="QUIT\n", capture_output=True,
                                text=True, timeout=30)
        self.assertIn("Protocol version: TLSv1.3", result.stdout + result.stderr)
        with smtplib.SMTP("127.0.0.1", self.appliance.port, timeout=10) as client:
            client.ehlo("x")
            self.assertEqual(client.docmd("MAIL FROM:<a@b.example>")[0], 530)
        with open(os.path.join(self.appliance.home, "cli-history", self.user)) as f:
            self.assertIn("listenerconfig", f.read())

    # (b) -----------------------------------------------------------------------------

    def test_b_verify_over_ssh_matches_openssl(self):
        result = self.ssh('sslconfig verify "HIGH:!aNULL"')
        self.assertEqual(result.returncode, 0, result.stderr)
        expected = subprocess.run(["openssl", "ciphers", "-v", "HIGH:!aNULL"], capture_output=True, text=True).stdout
        self.assertEqual(result.stdout.strip("\n"), expected.strip("\n"))

    # (c) -----------------------------------------------------------------------------

    def test_c_batch_commit_records_user_and_comment(self):
        before = self.generation()
        result = self.ssh('listenerconfig edit InboundMail limits 321 50; commit "rotate limits from a script" Y')
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("Changes committed:", result.stdout)
        self.assertEqual(self.generation(), before + 1)
        with open(os.path.join(self.appliance.home, "config", "commits.log")) as f:
            last = f.read().splitlines()[-1]
        self.assertIn(f'user="{self.user}" source="127.0.0.1" comment="rotate limits from a script"', last)
        detail = self.ssh("commitdetail")
        self.assertIn(f"User: {self.user}", detail.stdout)
        self.assertIn("Listener InboundMail > Max Concurrency: ", detail.stdout)
        # A question the batch form does not answer is an error naming it; nothing waits.
        missing = self.ssh("listenerconfig new Relay private")
        self.assertEqual(missing.returncode, 1)
        self.assertIn("missing --relay", missing.stderr)
        # Commands on stdin (ssh host < script).
        script = self.ssh(input="listenerconfig edit InboundMail limits 322 50\ncommit \"from stdin\" Y\n")
        self.assertEqual(script.returncode, 0, script.stdout + script.stderr)
        self.assertEqual(self.appliance.current()["commit"]["comment"], "from stdin")
        with open(os.path.join(self.appliance.home, "logs", "cli.log")) as f:
            audit = f.read()
        self.assertIn(f"user={self.user} source=127.0.0.1", audit)
        self.assertIn('command="commit \\"rotate limits from a script\\" Y" result=ok', audit)

    # (d) -----------------------------------------------------------------------------

    def test_d_a_dropped_connection_commits_nothing(self):
        before = self.generation()
        # A tall terminal: these tests read whole menus, and a 24-row one pages (-Press Any Key For More-).
        cli = pexpect.spawn("ssh", self.ssh_args(tty=True), encoding="utf-8", timeout=30, dimensions=(200, 200))
        cli.expect_exact(PROMPT)
        cli.sendline("listenerconfig edit InboundMail limits 999 50")
        cli.expect_exact(PROMPT)
        cli.sendline("listenerconfig")
        cli.expect_exact("[]> ")
        cli.sendline("edit")
        cli.expect_exact("[]> ")
        cli.sendline("InboundMail")
        cli.expect_exact("[]> ")
        cli.sendline("limits")
        cli.expect_exact("]> ")
        wait_for(lambda: any(s.startswith(self.user) for s in self.who()), what="the session in who")
        os.kill(cli.pid, signal.SIGKILL)  # the client vanishes mid-edit
        cli.close(force=True)
        wait_for(lambda: not any(s.startswith(self.user) for s in self.who()), what="the session to end")
        self.assertEqual(self.generation(), before)
        with open(os.path.join(self.appliance.home, "logs", "cli.log")) as f:
            audit = f.read()
        self.assertIn(f'user={self.user} source=127.0.0.1', audit)
        self.assertIn('"(connection lost)" result=pending changes discarded', audit)

    def who(self):
        out = subprocess.run([POSTERN, "--home", self.appliance.home, "-c", "who"], capture_output=True,
                             text=True).stdout
        return out.splitlines()[1:]


if __name__ == "__main__":
    unittest.main()
