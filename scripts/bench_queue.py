#!/usr/bin/env python3
"""Start-up and shutdown of the engine with a big queue (issue 13 §6): for each size, writes
that many messages straight into a fresh home's queue (Tests/e2e/harness.py fill_queue),
then times posternd from its start to listening and from SIGTERM to its exit.

    POSTERN_BIN=.build/release scripts/bench_queue.py 100000 1000000

With --deferred, every message also gets a delivery state deferring it (one file each), and
delivery is resumed, so the runner scans them all while the engine stops."""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "e2e"))
from harness import Appliance, fill_queue  # noqa: E402


def run(count, deferred):
    appliance = Appliance()
    try:
        if deferred:
            appliance.cli('resumedel; commit "resume delivery" Y')
        started = time.monotonic()
        fill_queue(appliance.home, count, deferred_until="2099-01-01T00:00:00Z" if deferred else None)
        filled = time.monotonic() - started
        started = time.monotonic()
        appliance.start()
        listening = time.monotonic() - started
        time.sleep(1)  # the delivery runner is busy with the queue by now
        started = time.monotonic()
        appliance.engine.send_signal(signal.SIGTERM)
        appliance.engine.wait(timeout=600)
        stopped = time.monotonic() - started
        appliance.engine = None
        with open(os.path.join(appliance.home, "posternd.stderr")) as f:
            errors = f.read().count("Cannot schedule tasks")
        print(f"{count} messages{' (deferred)' if deferred else ''}: written in {filled:.1f} s; "
              f"listening {listening:.2f} s after start; stopped {stopped:.2f} s after SIGTERM; "
              f"'Cannot schedule tasks' lines: {errors}", flush=True)
    finally:
        appliance.remove()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", type=int, nargs="+")
    parser.add_argument("--deferred", action="store_true")
    options = parser.parse_args()
    for count in options.counts:
        run(count, options.deferred)


if __name__ == "__main__":
    main()
