"""Issue 13: the engine under faults and with a big queue: shutdown within its promise,
a full disk answered with 451 and recovered from."""
import os
import signal
import smtplib
import subprocess
import time
import unittest

from harness import Appliance, fill_queue, wait_for


class BigQueueShutdownTests(unittest.TestCase):
    @staticmethod
    def stderr(appliance):
        with open(os.path.join(appliance.home, "posternd.stderr")) as f:
            return f.read()

    def test_sigterm_with_twenty_thousand_deferred_messages(self):
        """Docs/engine.md promises a stop within 10 seconds whatever the queue holds, with no
        task scheduled on an event loop that is gone."""
        appliance = Appliance()
        try:
            appliance.cli('resumedel; commit "resume delivery" Y')
            # 20,000 keeps the test quick; Docs/benchmarks.md has the figures for 100,000 and more.
            fill_queue(appliance.home, 20_000, deferred_until="2099-01-01T00:00:00Z")
            appliance.start()
            # Let the delivery runner get into its scan of the queue, then stop.
            wait_for(lambda: "spool recovered" in self.stderr(appliance), what="the engine's recovery line")
            started = time.monotonic()
            appliance.engine.send_signal(signal.SIGTERM)
            appliance.engine.wait(timeout=60)
            elapsed = time.monotonic() - started
            appliance.engine = None
            stderr = self.stderr(appliance)
            self.assertLess(elapsed, 10.0, stderr[-2000:])
            self.assertNotIn("Cannot schedule tasks", stderr)
            self.assertIn("messages=20000", stderr)
        finally:
            appliance.remove()


class UnreadableSegmentTests(unittest.TestCase):
    """A queue segment that cannot be read may hold accepted mail: the engine does not start
    (and changes nothing), and showqueue says the listing is incomplete. A directory in the
    segment's place stands in for a file the root-run suite could always read."""

    def test_the_engine_refuses_to_start_and_showqueue_warns(self):
        appliance = Appliance()
        try:
            fill_queue(appliance.home, 3)
            segments = os.path.join(appliance.home, "queue", "segments")
            os.mkdir(os.path.join(segments, "2.seg"))
            before = open(os.path.join(segments, "1.seg"), "rb").read()
            shown = appliance.cli("showqueue").stdout
            self.assertIn("Warning: part of the queue cannot be read by this account, and its messages are not "
                          "listed (queue/segments: 2.seg: Is a directory).", shown)
            self.assertIn("MID 1 ", shown)
            with self.assertRaises(AssertionError) as refused:
                appliance.start()
            self.assertIn("queue segments in queue/segments cannot be read (2.seg: Is a directory)",
                          str(refused.exception))
            self.assertEqual(open(os.path.join(segments, "1.seg"), "rb").read(), before)
        finally:
            appliance.stop()
            appliance.remove()


class DiskFullTests(unittest.TestCase):
    """The queue on a full 2 MiB tmpfs: 451 at once, the engine stays up and recovers, nothing
    acknowledged is lost and no MID repeats (the probe of scripts/torture_probes/faults.py)."""

    def test_a_full_disk_is_refused_with_451_and_recovered_from(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a tmpfs needs root")
        import argparse
        import shutil
        import sys
        import tempfile
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts",
                                        "torture_probes"))
        import faults
        import harness
        workdir = tempfile.mkdtemp(prefix="postern-diskfull-")
        saved = (tempfile.tempdir, os.environ.get("TMPDIR"))  # the probe puts its homes under workdir
        try:
            env = argparse.Namespace(bin=os.path.abspath(harness.BIN), workdir=workdir, quick=True)
            (result,) = list(faults.disk_full(env))
            self.assertTrue(result["held"], result["figure"])
        finally:
            tempfile.tempdir = saved[0]
            if saved[1] is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = saved[1]
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
