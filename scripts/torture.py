"""The runner behind scripts/torture. Every module in scripts/torture_probes/ has a function
`probes(env)` that yields dicts {"probe": str, "trials": int, "held": bool, "figure": str};
`env` gives `bin` (the release binaries' directory), `workdir` (a fresh temporary directory
per module) and `quick`. A module that raises counts as one broken probe, so one bad probe
never hides the others. Prints the table and exits 1 if anything broke."""
import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
import traceback
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
PROBES = os.path.join(HERE, "torture_probes")


def modules(names):
    found = sorted(n[:-3] for n in os.listdir(PROBES) if n.endswith(".py") and not n.startswith("_"))
    unknown = [n for n in names if n not in found]
    if unknown:
        raise SystemExit(f"no probe module named {', '.join(unknown)} (have: {', '.join(found)})")
    return [n for n in found if not names or n in names]


def load(name):
    spec = importlib.util.spec_from_file_location(f"torture_probes.{name}", os.path.join(PROBES, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_module(name, bindir, quick):
    workdir = tempfile.mkdtemp(prefix=f"postern-torture-{name}-")
    env = SimpleNamespace(bin=bindir, workdir=workdir, quick=quick)
    rows = []
    try:
        for row in load(name).probes(env):
            missing = {"probe", "trials", "held", "figure"} - set(row)
            if missing:
                raise ValueError(f"a row lacks {', '.join(sorted(missing))}: {row}")
            rows.append(row)
            print(f"  {name}: {row['probe']}: {'held' if row['held'] else 'BROKE'} ({row['figure']})", flush=True)
    except Exception as error:  # the table shows it; the next module still runs
        traceback.print_exc()
        rows.append({"probe": f"{name} (module)", "trials": 0, "held": False, "figure": f"raised {error!r}"})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return rows


def table(rows):
    header = ("probe", "trials", "result", "figure")
    lines = [(r["probe"], str(r["trials"]), "held" if r["held"] else "BROKE", r["figure"]) for r in rows]
    widths = [max(len(x[i]) for x in [header] + lines) for i in range(3)]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths + [0])) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|---|"]
    for line in lines:
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(line, widths + [0])) + " |")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin", required=True, help="directory of the release binaries")
    parser.add_argument("--quick", action="store_true", help="fewer trials, shorter waits")
    parser.add_argument("modules", nargs="*", help="probe modules to run (default: all)")
    args = parser.parse_args()
    bindir = os.path.abspath(args.bin)
    rows = []
    for name in modules(args.modules):
        print(f"== {name}", flush=True)
        rows += run_module(name, bindir, args.quick)
    print()
    print(table(rows))
    broke = [r["probe"] for r in rows if not r["held"]]
    if broke:
        print(f"\n{len(broke)} probe(s) broke: {', '.join(broke)}")
        return 1
    print(f"\nAll {len(rows)} probes held.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
