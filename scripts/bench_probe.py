#!/usr/bin/env python3
"""Times `posternd --probe` (what `commit --dry-run` runs twice) on the factory configuration
and on one listener with N sender groups (default 100), and reports wall time and peak memory.

    swift build -c release
    python3 scripts/bench_probe.py --bin "$(swift build -c release --show-bin-path)" [--groups 100]
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import tempfile
import time


def probe(bin_dir, home, config):
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run([os.path.join(bin_dir, "posternd"), "--home", home, "--probe", config],
                            capture_output=True, text=True, check=True)
    elapsed = time.monotonic() - started
    report = json.loads(result.stdout)
    groups = sum(len(listener["groups"]) for listener in report["listeners"])
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return elapsed, groups, report["problems"], peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True, help="the directory holding postern and posternd")
    parser.add_argument("--groups", type=int, default=100)
    arguments = parser.parse_args()
    home = tempfile.mkdtemp(prefix="postern-bench-probe-")
    try:
        subprocess.run([os.path.join(arguments.bin, "postern"), "--home", home, "-c",
                        "listenerconfig edit InboundMail hostaccess default --tls=preferred --demo=yes; commit bench Y"],
                       capture_output=True, check=True)
        with open(os.path.join(home, "config", "current.json")) as f:
            configuration = json.load(f)["configuration"]
        factory = os.path.join(home, "factory.json")
        with open(factory, "w") as f:
            json.dump(configuration, f)
        groups = configuration["listeners"][0]["hostAccess"]["senderGroups"]
        template = dict(groups[-1])
        for i in range(arguments.groups - len(groups)):
            groups.append(dict(template, name=f"G{i}", entries=[f"10.{i // 200}.{i % 200}.0/24"], comment=""))
        many = os.path.join(home, "many.json")
        with open(many, "w") as f:
            json.dump(configuration, f)
        for name, path in [("factory configuration", factory), (f"{arguments.groups} sender groups", many)]:
            elapsed, probed, problems, peak = probe(arguments.bin, home, path)
            print(f"{name:24} {elapsed:6.2f} s  {probed:4} groups (with ALL)  peak RSS {peak // 1024} MB"
                  + (f"  problems: {problems}" if problems else ""))
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
