"""A fleet: a real 3-member etcd cluster on loopback and engines on their own homes and
ports, configured by `clusterconfig` and `commit` (Docs/fleet.md)."""
import os
import signal
import smtplib
import ssl
import subprocess
import threading
import time
import unittest

from etcd_cluster import EtcdCluster
from harness import POSTERN, Appliance, wait_for


def tls_required(port):
    """True when the listener refuses MAIL before STARTTLS (the policy's TLS is Required)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("client.example")
        return client.docmd("MAIL FROM:<a@b.example>")[0] == 530


def accepts_mail(port):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo("client.example")
        client.mail("a@b.example")
        client.rcpt("joe@example.com")
        code, _ = client.data(b"Subject: fleet\r\n\r\nhello\r\n")
        return code == 250


class FleetTests(unittest.TestCase):
    def setUp(self):
        self.etcd = EtcdCluster(3).start()
        self.endpoints = ",".join(self.etcd.endpoints)
        self.gateways = []
        for name in ("gw1", "gw2"):
            gateway = Appliance()
            gateway.name = name
            self.gateways.append(gateway)
        gw1, gw2 = self.gateways
        out = gw1.cli(f"clusterconfig create demo --endpoints={self.endpoints} --machine=gw1").stdout
        self.assertIn("Fleet demo created from gw1", out)
        out = gw2.cli(f"clusterconfig join demo --endpoints={self.endpoints} --machine=gw2").stdout
        self.assertIn("gw2 joined fleet demo", out)
        for gateway in self.gateways:
            gateway.start()

    def tearDown(self):
        for gateway in self.gateways:
            gateway.remove()
        self.etcd.stop()

    def generation(self, gateway):
        return (gateway.status() or {}).get("generation")

    def commit_tls(self, gateway, level, check=True):
        return gateway.cli(f'listenerconfig edit InboundMail hostaccess default --tls={level} --demo=yes; '
                           f'commit "tls {level}" Y', check=check)

    def test_commit_on_one_machine_reaches_every_engine(self):
        gw1, gw2 = self.gateways
        self.assertFalse(tls_required(gw1.port))
        out = self.commit_tls(gw1, "required").stdout
        self.assertIn("Changes committed", out)
        generation = gw1.current()["commit"]["generation"]
        self.assertIn(f"2 of 2 members have applied generation {generation}", out)
        for gateway in self.gateways:
            gateway.wait_generation(generation)
            self.assertTrue(tls_required(gateway.port), gateway.name)
        # Each machine keeps its own listener address: gw2 still listens on its own port.
        self.assertEqual(gw2.current()["configuration"]["listeners"][0]["port"], gw2.port)
        # The fleet's history on the other machine: who committed what, from its own store.
        detail = gw2.cli(f"commitdetail {generation}").stdout
        self.assertIn("tls required", detail)
        shown = gw2.cli("clusterconfig").stdout
        self.assertIn("This machine (gw2) is in fleet demo.", shown)
        self.assertIn(f"gw1: generation {generation}", shown)
        self.assertIn(f"gw2: generation {generation}", shown)

    def test_two_admins_commit_at_once_exactly_one_wins(self):
        # Two sessions, both opened on the same generation and holding their edit before either
        # commits: two admins at two machines (two `postern -c` started together can be a second
        # apart on a loaded machine, and the second then starts on the first's commit).
        sessions = {}
        for gateway, level in zip(self.gateways, ("required", "preferred")):
            process = subprocess.Popen([POSTERN, "--home", gateway.home], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            process.stdin.write(f"listenerconfig edit InboundMail hostaccess default --tls={level} --demo=yes\n"
                                "commitcheck\n")
            process.stdin.flush()
            sessions[gateway.name] = (process, level)
        for name, (process, _) in sessions.items():
            seen = ""
            while "The configuration is valid." not in seen:
                line = process.stdout.readline()
                self.assertTrue(line, f"{name}'s session ended: {seen}")
                seen += line
        results = {}

        def commit(name):
            process, level = sessions[name]
            # The loser's session still has its edit when it quits: the last Y discards it.
            out, err = process.communicate(f'commit "tls {level}" Y\nquit\nY\n', timeout=60)
            results[name] = subprocess.CompletedProcess(process.args, process.returncode, out, err)

        threads = [threading.Thread(target=commit, args=(name,)) for name in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        won = [name for name, r in results.items() if "Changes committed" in r.stdout]
        lost = [name for name, r in results.items() if "Changes committed" not in r.stdout]
        self.assertEqual(len(won), 1, {n: r.stdout + r.stderr for n, r in results.items()})
        self.assertEqual(len(lost), 1)
        loser = results[lost[0]].stdout + results[lost[0]].stderr
        self.assertIn("changed by another user", loser)
        self.assertIn(f"on machine {won[0]}", loser)
        generation = self.gateways[0].current()["commit"]["generation"] if won[0] == "gw1" else \
            self.gateways[1].current()["commit"]["generation"]
        for gateway in self.gateways:
            gateway.wait_generation(generation)
        expected = won[0] == "gw1"
        for gateway in self.gateways:
            self.assertEqual(tls_required(gateway.port), expected)

    def test_a_web_commit_on_a_member_is_the_fleets(self):
        from webharness import ADMIN_PASSWORD, Client, Web
        gw1, gw2 = self.gateways
        web = Web(gw2)
        try:
            web.add_user("web1", "administrator", ADMIN_PASSWORD)
            admin = Client(web).login("web1", ADMIN_PASSWORD)
            status, _, _ = admin.post("/mail-policies/hat-overview", {
                "csrf": admin.csrf, "listener": "InboundMail", "operation": "save", "group": "", "name": "WEBFLEET",
                "senders": "10.9.9.9", "action": "$ACCEPTED", "comment": ""})
            self.assertEqual(status, 302)
            status, _, _ = admin.post("/commit", {"csrf": admin.csrf, "action": "commit", "comment": "from the web"})
            self.assertEqual(status, 302)
            _, _, page = admin.get("/commit")
            self.assertRegex(page, r"[12] of 2 members have applied generation \d+")
            # etcd holds it: the other machine applies the same generation, with the web's group.
            generation = gw2.current()["commit"]["generation"]
            gw1.wait_generation(generation)
            groups = [g["name"] for g in gw1.current()["configuration"]["listeners"][0]["hostAccess"]["senderGroups"]]
            self.assertIn("WEBFLEET", groups)
            self.assertIn("from the web", gw1.cli(f"commitdetail {generation}").stdout)
        finally:
            web.stop()

    def test_one_etcd_member_killed_commits_and_watches_go_on(self):
        gw1, gw2 = self.gateways
        self.etcd.kill(0)
        out = self.commit_tls(gw2, "required").stdout
        self.assertIn("Changes committed", out)
        generation = gw2.current()["commit"]["generation"]
        gw1.wait_generation(generation)
        self.assertTrue(tls_required(gw1.port))

    def test_quorum_lost_mail_flows_commit_fails_then_converges(self):
        gw1, gw2 = self.gateways
        before = gw1.current()["commit"]["generation"]
        self.etcd.signal(1, signal.SIGSTOP)
        self.etcd.signal(2, signal.SIGSTOP)
        try:
            for gateway in self.gateways:
                self.assertTrue(accepts_mail(gateway.port), gateway.name)
            failed = self.commit_tls(gw1, "required", check=False)
            self.assertNotEqual(failed.returncode, 0)
            self.assertIn("no quorum or cannot be reached", failed.stderr)
            self.assertIn(self.etcd.endpoints[1], failed.stderr)
            self.assertEqual(gw1.current()["commit"]["generation"], before)
        finally:
            self.etcd.signal(1, signal.SIGCONT)
            self.etcd.signal(2, signal.SIGCONT)
        wait_for(self.etcd.healthy, timeout=30, what="etcd to have a leader again")
        out = self.commit_tls(gw1, "required").stdout
        self.assertIn("Changes committed", out)
        generation = gw1.current()["commit"]["generation"]
        gw2.wait_generation(generation)
        self.assertTrue(tls_required(gw2.port))

    def test_engine_restarted_while_etcd_is_down_serves_last_applied(self):
        gw1, gw2 = self.gateways
        self.commit_tls(gw1, "required")
        generation = gw1.current()["commit"]["generation"]
        gw2.wait_generation(generation)
        for i in range(3):
            self.etcd.signal(i, signal.SIGSTOP)
        try:
            gw2.stop()
            gw2.start()
            gw2.wait_generation(generation)
            self.assertTrue(tls_required(gw2.port))
        finally:
            for i in range(3):
                self.etcd.signal(i, signal.SIGCONT)

    def test_compaction_while_an_engine_is_behind_it_re_reads_and_converges(self):
        gw1, gw2 = self.gateways
        gw2.engine.send_signal(signal.SIGSTOP)
        try:
            self.commit_tls(gw1, "required")
            self.commit_tls(gw1, "preferred")
            self.etcd.compact(self.etcd.revision())
        finally:
            gw2.engine.send_signal(signal.SIGCONT)
        generation = gw1.current()["commit"]["generation"]
        gw2.wait_generation(generation)
        self.assertFalse(tls_required(gw2.port))

    def test_a_certificate_made_on_one_machine_is_served_on_the_other(self):
        gw1, gw2 = self.gateways
        # The new certificate's files are written on gw1 only; they travel with the generation.
        out = gw1.cli('certconfig certificate new Partner --cn=mx.partner.example --days=30; '
                      'listenerconfig edit InboundMail certificate Partner; '
                      'listenerconfig edit InboundMail hostaccess default --tls=preferred; commit "partner certificate" Y').stdout
        generation = gw1.current()["commit"]["generation"]
        self.assertIn(f"2 of 2 members have applied generation {generation}", out)
        gw2.wait_generation(generation)
        profile = next(c for c in gw2.current()["configuration"]["certificates"] if c["name"] == "Partner")
        for name in (profile["certificateFile"], profile["keyFile"]):
            path = os.path.join(gw2.home, "certs", name)
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o640, name)
            with open(path, "rb") as mine, open(os.path.join(gw1.home, "certs", name), "rb") as theirs:
                self.assertEqual(mine.read(), theirs.read(), name)
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP("127.0.0.1", gw2.port, timeout=10) as client:
            client.ehlo("client.example")
            client.starttls(context=context)
            der = client.sock.getpeercert(binary_form=True)
        subject = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=ssl.DER_cert_to_PEM_cert(der),
                                 capture_output=True, text=True, check=True).stdout
        self.assertIn("mx.partner.example", subject)

    def test_leave_then_join_again(self):
        gw1, gw2 = self.gateways
        out = gw2.cli("clusterconfig leave").stdout
        self.assertIn("gw2 left fleet demo", out)
        self.assertIn("This machine is standalone", gw2.cli("clusterconfig").stdout)
        kept = gw2.current()["commit"]["generation"]
        self.commit_tls(gw1, "required")
        # Standalone now: gw2 keeps what it had.
        self.assertEqual(gw2.current()["commit"]["generation"], kept)
        self.assertFalse(tls_required(gw2.port))
        out = gw2.cli(f"clusterconfig join demo --endpoints={self.endpoints} --machine=gw2").stdout
        self.assertIn("gw2 joined fleet demo", out)
        generation = gw1.current()["commit"]["generation"]
        gw2.wait_generation(generation)
        self.assertTrue(tls_required(gw2.port))
        self.assertEqual(gw2.current()["configuration"]["listeners"][0]["port"], gw2.port)


if __name__ == "__main__":
    unittest.main()
