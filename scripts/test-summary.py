"""Prints scripts/test's closing line from the results the suites left in a folder:
Swift's xUnit files (*.xml, from `swift test --xunit-output`) and the end-to-end counts
(e2e.json, from Tests/e2e/run.py --counts). The line is the plain form CI reads:
`N passed, N failed, N skipped`. A suite that left no results counts as one failure."""
import json
import os
import sys
import xml.etree.ElementTree as ElementTree

folder = sys.argv[1]
passed = failed = skipped = 0
swift_files = [name for name in os.listdir(folder) if name.endswith(".xml")]
for name in swift_files:
    root = ElementTree.parse(os.path.join(folder, name)).getroot()
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed += 1
if not swift_files:
    print("The Swift suites left no results.", file=sys.stderr)
    failed += 1
e2e = os.path.join(folder, "e2e.json")
if os.path.exists(e2e):
    with open(e2e) as handle:
        counts = json.load(handle)
    passed += counts["passed"]
    failed += counts["failed"]
    skipped += counts["skipped"]
else:
    print("The end-to-end suite left no results.", file=sys.stderr)
    failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
