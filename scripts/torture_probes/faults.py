#!/usr/bin/env python3
"""Fault probes for the torture runner (issue 13 §9): what an operator's bad day does to the
spool and the configuration store, counted.

The runner imports this module and iterates `probes(env)`; each probe yields
{"probe": str, "trials": int, "held": bool, "figure": str}. `env` has `bin` (the directory
of the release binaries), `workdir` (a fresh temporary directory) and `quick` (fewer
trials). Standalone:

    scripts/torture_probes/faults.py --bin .build/release [--quick]

Everything runs on loopback with free ports, in homes under `workdir`. The disk-full probe
mounts a small tmpfs (root only; otherwise it says it was skipped and counts as held=False).
"""
import argparse
import json
import os
import random
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
E2E = os.path.join(HERE, "..", "..", "Tests", "e2e")
MESSAGE = b"Subject: probe\r\n\r\nbody\r\n"
COMMIT_STEPS = ["locked", "confirm-temp-written", "confirm-temp-synced", "confirm-renamed", "confirm-directory-synced",
                "history-temp-written", "history-temp-synced", "history-renamed", "history-directory-synced",
                "current-temp-written", "current-temp-synced", "current-renamed", "current-directory-synced",
                "logged"]


def _harness(env):
    """The e2e harness, pointed at env.bin (it reads POSTERN_BIN when imported)."""
    os.environ["POSTERN_BIN"] = env.bin
    os.environ["TMPDIR"] = env.workdir
    tempfile.tempdir = env.workdir
    if E2E not in sys.path:
        sys.path.insert(0, E2E)
    import harness
    harness.BIN = env.bin
    harness.POSTERN = os.path.join(env.bin, "postern")
    harness.POSTERND = os.path.join(env.bin, "posternd")
    return harness


def _send_until_killed(port, stop):
    """Sessions of 10 messages (the default per-session limit) one after another until the
    engine is gone; returns the MIDs acknowledged."""
    acknowledged = []
    while not stop.is_set():
        got = _send(port, 10)
        acknowledged.extend(got)
        if not got:
            break  # refused or killed
    return acknowledged


def _send(port, count):
    """Sends up to `count` messages on one connection; returns the MIDs acknowledged with 250."""
    acknowledged = []
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.ehlo("probe.example")
            for _ in range(count):
                client.mail("a@example.org")
                client.rcpt("b@example.com")
                code, text = client.data(MESSAGE)
                if code == 250:
                    acknowledged.append(int(text.decode().split("Message ")[1].split()[0]))
    except (OSError, smtplib.SMTPException, IndexError, ValueError):
        pass  # the engine was killed mid-conversation: what was acknowledged is what counts
    return acknowledged


def sigkill_under_load(env):
    """Senders on 8 connections; the engine is SIGKILLed at a random instant, restarted, and
    every acknowledged MID must be in the queue exactly once."""
    h = _harness(env)
    rounds = 2 if env.quick else 8
    appliance = h.Appliance().start()
    acknowledged, lost, duplicated = [], 0, 0
    try:
        for _ in range(rounds):
            results, stop = [], threading.Event()
            threads = [threading.Thread(target=lambda: results.append(_send_until_killed(appliance.port, stop)))
                       for _ in range(8)]
            for t in threads:
                t.start()
            time.sleep(random.uniform(0.5, 2.0))
            appliance.kill()
            stop.set()
            for t in threads:
                t.join()
            for r in results:
                acknowledged.extend(r)
            appliance.start()
        queued = appliance.spool()
        lost = sum(1 for mid in acknowledged if mid not in queued)
        duplicated = len(acknowledged) - len(set(acknowledged))
    finally:
        appliance.remove()
    yield {"probe": "sigkill under load", "trials": rounds, "held": lost == 0 and duplicated == 0 and bool(acknowledged),
           "figure": f"{len(acknowledged)} acknowledged across {rounds} SIGKILLs, {lost} lost, "
                     f"{duplicated} MIDs acknowledged twice"}


def commit_kill_loop(env):
    """`postern` SIGKILLed at every step of a plain and of a confirmed commit: current.json is
    whole, the old or the new generation, and a new generation always has its window."""
    h = _harness(env)
    rounds = 1 if env.quick else 3
    template = h.Appliance()
    trials, torn, unsafe = 0, 0, 0
    try:
        for _ in range(rounds):
            for confirmed in (False, True):
                for step in COMMIT_STEPS:
                    if step.startswith("confirm-") and not confirmed:
                        continue
                    home = os.path.join(env.workdir, f"commit-{trials}")
                    shutil.copytree(template.home, home)
                    commit = 'commit confirmed 5 "crash" Y' if confirmed else 'commit "crash" Y'
                    subprocess.run([h.POSTERN, "--home", home, "-c", f"listenerconfig edit InboundMail limits 77 50; "
                                    f"{commit}"], capture_output=True, env=dict(os.environ, POSTERN_COMMIT_FAULT=step))
                    trials += 1
                    try:
                        with open(os.path.join(home, "config", "current.json")) as f:
                            generation = json.load(f)["commit"]["generation"]
                        if generation not in (2, 3):
                            torn += 1
                        elif confirmed and generation == 3 and not os.path.exists(
                                os.path.join(home, "config", "confirm.json")):
                            unsafe += 1
                    except (OSError, ValueError, KeyError):
                        torn += 1
                    shutil.rmtree(home, ignore_errors=True)
    finally:
        template.remove()
    yield {"probe": "commit kill loop", "trials": trials, "held": torn == 0 and unsafe == 0,
           "figure": f"{trials} commits killed at every step (plain and confirmed): {torn} torn, "
                     f"{unsafe} confirmed commits current without their rollback window"}


def disk_full(env):
    """The queue on a 2 MiB tmpfs, filled: new mail gets 451 and the engine stays up; freed,
    mail is accepted again; after a restart every acknowledged message is there and no MID
    was issued twice."""
    h = _harness(env)
    appliance = h.Appliance()
    queue = os.path.join(appliance.home, "queue")
    mounted = False
    try:
        os.makedirs(queue, exist_ok=True)
        if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", queue],
                                               capture_output=True).returncode != 0:
            yield {"probe": "disk full", "trials": 0, "held": False,
                   "figure": "skipped: mounting a tmpfs needs root"}
            return
        mounted = True
        appliance.start()
        before = _send(appliance.port, 5)
        filler = os.path.join(queue, "filler")
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=64k", "count=64"], capture_output=True)
        # A small message can still land in the last page the segment already has: those are
        # stored for real and acknowledged; once a write needs space, every one is refused.
        accepted_full, refused, attempts = [], 0, 0
        while attempts < 200 and refused < 5:
            attempts += 1
            try:
                with smtplib.SMTP("127.0.0.1", appliance.port, timeout=10) as client:
                    client.ehlo("probe.example")
                    code, _ = client.mail("a@example.org")
                    if code == 250:
                        client.rcpt("b@example.com")
                        code, text = client.data(MESSAGE)
                        if code == 250:
                            if refused:
                                break  # accepted again while still full: not held
                            accepted_full.append(int(text.decode().split("Message ")[1].split()[0]))
                    refused += code in (421, 451)
            except smtplib.SMTPException as error:
                refused += getattr(error, "smtp_code", 0) in (421, 451)
        alive = appliance.engine.poll() is None
        os.unlink(filler)
        after = []
        deadline = time.monotonic() + 15
        while not after and time.monotonic() < deadline:
            after = _send(appliance.port, 3)
        appliance.stop()
        appliance.start()
        queued = appliance.spool()
        acknowledged = before + accepted_full + after
        lost = sum(1 for mid in acknowledged if mid not in queued)
        repeated = len(acknowledged) - len(set(acknowledged))
        held = alive and refused == 5 and bool(after) and lost == 0 and repeated == 0
        yield {"probe": "disk full", "trials": attempts,
               "held": held, "figure": f"full: {len(accepted_full)} accepted into space already allocated, then "
                                       f"{refused} in a row refused with 421/451, engine up: {alive}; "
                                       f"freed: {len(after)} accepted; after a restart {lost} of "
                                       f"{len(acknowledged)} acknowledged lost, {repeated} MIDs repeated"}
    finally:
        appliance.stop()
        if mounted:
            subprocess.run(["umount", "-l", queue], capture_output=True)
        appliance.remove()


def damaged_and_missing_configuration(env):
    """current.json damaged, then removed, on a home with history: no reset to the factory
    configuration; recoverconfig brings back the newest generation."""
    h = _harness(env)
    appliance = h.Appliance()
    outcomes = []
    try:
        port = appliance.port
        for damage in ("damaged", "missing", "directory"):
            current = os.path.join(appliance.home, "config", "current.json")
            if damage == "damaged":
                with open(current, "w") as f:
                    f.write('{"commit": {"generation": ')
            elif damage == "missing":
                os.unlink(current)
            else:
                os.unlink(current)
                os.mkdir(current)
            refused = appliance.cli("status", check=False)
            no_reset = refused.returncode != 0 and "config/history" in refused.stderr + refused.stdout
            if damage == "directory":
                blocked = appliance.cli("recoverconfig", check=False)
                os.rmdir(current)
                no_reset = no_reset and blocked.returncode != 0 and not os.path.exists(current)
            recovered = appliance.cli("recoverconfig", check=False)
            listener = appliance.current()["configuration"]["listeners"][0]["port"] if recovered.returncode == 0 else None
            outcomes.append((damage, no_reset and listener == port))
    finally:
        appliance.remove()
    held = all(ok for _, ok in outcomes)
    yield {"probe": "damaged and missing configuration", "trials": len(outcomes), "held": held,
           "figure": ", ".join(f"{d}: {'refused, recovered' if ok else 'NOT HELD'}" for d, ok in outcomes)}


def probes(env):
    for probe in (sigkill_under_load, commit_kill_loop, disk_full, damaged_and_missing_configuration):
        try:
            yield from probe(env)
        except Exception as error:  # a probe that breaks is a finding, not the end of the run
            yield {"probe": probe.__name__.replace("_", " "), "trials": 0, "held": False,
                   "figure": f"the probe failed: {type(error).__name__}: {error}"}


def main():
    parser = argparse.ArgumentParser(description="Issue 13's fault probes, standalone.")
    parser.add_argument("--bin", default=os.path.join(HERE, "..", "..", ".build", "release"))
    parser.add_argument("--quick", action="store_true")
    options = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="postern-faults-")
    env = argparse.Namespace(bin=os.path.abspath(options.bin), workdir=workdir, quick=options.quick)
    failed = 0
    try:
        for result in probes(env):
            print(json.dumps(result), flush=True)
            failed += not result["held"]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
