"""scripts/fleet-demo: a 3-member etcd cluster and gateways on loopback (Docs/fleet.md)."""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "e2e"))
from etcd_cluster import EtcdCluster  # noqa: E402
from harness import POSTERN, Appliance  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", type=int, default=2)
    parser.add_argument("--measure", type=int, default=0, help="commit this many times and print the figures")
    args = parser.parse_args()
    etcd = EtcdCluster(3).start()
    endpoints = ",".join(etcd.endpoints)
    gateways = []
    try:
        for i in range(args.engines):
            gateway = Appliance()
            name = f"gw{i + 1}"
            verb = "create" if i == 0 else "join"
            gateway.cli(f"clusterconfig {verb} demo --endpoints={endpoints} --machine={name}")
            gateway.start()
            gateways.append(gateway)
        if args.measure:
            measure(gateways, args.measure)
            return
        print(f"etcd endpoints: {endpoints}")
        for i, gateway in enumerate(gateways):
            print(f"gw{i + 1}: SMTP on 127.0.0.1:{gateway.port}; CLI: {POSTERN} --home {gateway.home}")
        print("Try: clusterconfig, then a change and commit on one gateway; Ctrl-C stops everything.")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for gateway in gateways:
            gateway.remove()
        etcd.stop()


def measure(gateways, count):
    """Two figures per commit on the first gateway: the whole `postern -c '...; commit'`
    (process start, session, txn, its bounded wait for members), and from the moment the
    committing machine's store holds the generation (right after etcd's txn) until every
    engine's status.json serves it, polled every millisecond."""
    import subprocess
    samples = []
    levels = ["required", "preferred"]
    for n in range(count):
        level = levels[n % 2]
        before = gateways[0].current()["commit"]["generation"]
        start = time.monotonic()
        cli = subprocess.Popen([POSTERN, "--home", gateways[0].home, "-c",
                                f'listenerconfig edit InboundMail hostaccess default --tls={level} --demo=yes; '
                                f'commit "tls {level}" Y'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        committed = None
        served = None
        while served is None:
            now = time.monotonic()
            if committed is None:
                try:
                    if gateways[0].current()["commit"]["generation"] > before:
                        committed = now
                except (ValueError, KeyError, FileNotFoundError):
                    pass
            elif all((g.status() or {}).get("generation", 0) > before for g in gateways):
                served = now
            if now - start > 30:
                raise AssertionError("a commit did not reach every engine in 30 s")
            time.sleep(0.001)
        if cli.wait() != 0:
            raise AssertionError("the commit failed")
        samples.append((time.monotonic() - start, served - committed))

    def p99(values):
        return values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]

    whole = sorted(s[0] for s in samples)
    apply = sorted(s[1] for s in samples)
    print(f"engines={len(gateways)} commits={count}")
    print(f"commit command (postern -c, incl. its wait for members): median {statistics.median(whole) * 1000:.0f} ms, "
          f"p99 {p99(whole) * 1000:.0f} ms")
    print(f"committed in etcd -> every engine serves it: median {statistics.median(apply) * 1000:.0f} ms, "
          f"p99 {p99(apply) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
