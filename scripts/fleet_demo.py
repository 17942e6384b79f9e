"""scripts/fleet-demo: a 3-member etcd cluster and gateways on loopback (Docs/fleet.md)."""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "e2e"))
from etcd_cluster import EtcdCluster  # noqa: E402
from harness import POSTERN, Appliance, wait_for  # noqa: E402


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
    """Commit → every engine serves the generation, from the commit's start to the last
    engine's status.json, polled every 2 ms."""
    samples = []
    levels = ["required", "preferred"]
    for n in range(count):
        level = levels[n % 2]
        start = time.monotonic()
        gateways[0].cli(f'listenerconfig edit InboundMail hostaccess default --tls={level} --demo=yes; '
                        f'commit "tls {level}" Y')
        committed = time.monotonic()
        generation = gateways[0].current()["commit"]["generation"]
        for gateway in gateways:
            wait_for(lambda: (gateway.status() or {}).get("generation") == generation, interval=0.002)
        samples.append((committed - start, time.monotonic() - start))
    whole = sorted(s[1] for s in samples)
    cli = sorted(s[0] for s in samples)

    def p99(values):
        return values[min(len(values) - 1, int(round(0.99 * (len(values) - 1))))]

    print(f"engines={len(gateways)} commits={count}")
    print(f"commit command (postern -c, incl. its wait for members): median {statistics.median(cli) * 1000:.0f} ms, "
          f"p99 {p99(cli) * 1000:.0f} ms")
    print(f"commit start -> all engines serve it: median {statistics.median(whole) * 1000:.0f} ms, "
          f"p99 {p99(whole) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
