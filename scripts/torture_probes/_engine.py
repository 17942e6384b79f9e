"""What the probe modules share: the end-to-end harness (a throwaway appliance home and the
real posternd) pointed at the release binaries, and the loopback DNS responder."""
import os
import sys

E2E = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "e2e")
if E2E not in sys.path:
    sys.path.insert(0, E2E)


def appliance(env, commands, dns_server=None):
    """An engine from `env.bin` serving the factory configuration plus `commands` (CLI)."""
    os.environ["POSTERN_BIN"] = env.bin
    import harness
    harness.POSTERN = os.path.join(env.bin, "postern")
    harness.POSTERND = os.path.join(env.bin, "posternd")
    box = harness.Appliance()
    if commands:
        box.cli("; ".join(commands) + "; commit torture Y")
    return box.start(dns_server=dns_server)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
