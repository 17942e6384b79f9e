"""Prints scripts/test's closing lines from what the suites left in a folder, and exits
non-zero if anything failed.

Read: Swift's xUnit files (*.xml, from `swift test --xunit-output`) and its output
(swift.log), the fuzz smoke's output (fuzz.log: a harness is a test), and the end-to-end
counts (e2e.json, from Tests/e2e/run.py --counts). The arguments name the steps whose
command exited non-zero. CI shows only the tail of the output, so what failed is repeated
here, just above the last line, which is the plain form CI reads:
`N passed, N failed, N skipped`. A suite that left no results, or a step that failed
without a failing test to show for it, counts as one failure."""
import json
import os
import re
import sys
import xml.etree.ElementTree as ElementTree

folder = sys.argv[1]
failed_steps = set(sys.argv[2:])
passed = failed = skipped = 0
failures = []   # one line each, repeated at the end


def read(name):
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        return None
    with open(path, errors="replace") as handle:
        return handle.read()


# Swift: the xUnit files count the cases; the log names swift-testing's failed issues.
swift_failed = 0
swift_files = [name for name in os.listdir(folder) if name.endswith(".xml")]
for name in swift_files:
    root = ElementTree.parse(os.path.join(folder, name)).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            swift_failed += 1
            failures.append(f"swift: {case.get('classname', '')} {case.get('name', '')}".rstrip())
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
log = read("swift.log") or ""
issues = [line for line in log.splitlines() if line.startswith("✘") or ": error: " in line]
if not swift_files:
    print("The Swift suites left no results.", file=sys.stderr)
    failures.append("swift: no results")
    swift_failed += 1
elif "swift test" in failed_steps and swift_failed == 0:
    failures.append("swift: `swift test` exited non-zero with no failed case in its results")
    swift_failed += 1
failed += swift_failed
failures += [f"swift: {line}" for line in issues[-20:]]

# The fuzz smoke: one test per harness run.
fuzz = read("fuzz.log")
if fuzz is not None:
    ran = re.findall(r"^== fuzz-(\S+) ", fuzz, re.MULTILINE)
    crashed = set()
    for match in re.findall(r"^Crashed: (.*?) \(", fuzz, re.MULTILINE):
        crashed.update(match.split())
    passed += len([name for name in ran if name not in crashed])
    failed += len(crashed)
    failures += [f"fuzz: {name} crashed" for name in sorted(crashed)]
    if "fuzz smoke" in failed_steps and not crashed:
        failures.append("fuzz: scripts/fuzz exited non-zero without a crash (a build failed?)")
        failed += 1

e2e = read("e2e.json")
if e2e is not None:
    counts = json.loads(e2e)
    passed += counts["passed"]
    failed += counts["failed"]
    skipped += counts["skipped"]
    failures += [f"end-to-end: {name}" for name in counts.get("failures", [])]
    if "end-to-end" in failed_steps and counts["failed"] == 0:
        failures.append("end-to-end: run.py exited non-zero with no failed test")
        failed += 1
else:
    print("The end-to-end suite left no results.", file=sys.stderr)
    failures.append("end-to-end: no results")
    failed += 1

if failures:
    print("Failed:")
    for line in failures:
        print(f"  {line}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
