"""Runs every end-to-end test module (test_*.py) beside this file; exits non-zero on failure.

With --counts FILE, also writes {"passed": N, "failed": N, "skipped": N, "failures": [id…]}
there, so that scripts/test can add these to the Swift suites' counts in its closing lines.
"""
import argparse
import json
import os
import sys
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
parser = argparse.ArgumentParser()
parser.add_argument("--counts", help="write the pass/fail/skip counts to this JSON file")
arguments = parser.parse_args()
suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py", top_level_dir=here)
result = unittest.TextTestRunner(verbosity=2).run(suite)
failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
skipped = len(result.skipped)
counts = {"passed": result.testsRun - failed - skipped, "failed": failed, "skipped": skipped,
          "failures": [test.id() for test, _ in result.failures + result.errors]
          + [test.id() for test in result.unexpectedSuccesses]}
for test, reason in result.skipped:
    print(f"skipped: {test.id()}: {reason}")
print(f"end-to-end: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
if arguments.counts:
    with open(arguments.counts, "w") as handle:
        json.dump(counts, handle)
sys.exit(0 if result.wasSuccessful() else 1)
