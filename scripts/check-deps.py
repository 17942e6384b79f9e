#!/usr/bin/env python3
"""Declared dependencies == imports, for every Swift target of Package.swift.

Reads the manifest through `swift package dump-package` (no build) and the `import` lines
of each target's Swift files. A module imported but not declared builds only by luck of the
build order; a dependency declared and never imported links a program with what it does not
use. Prints each mismatch and exits 1; prints one line and exits 0 when they agree.
"""
import json
import os
import pathlib
import re
import subprocess
import sys

# Modules of the toolchain and the system: imported freely, never declared.
TOOLCHAIN = {
    "Foundation", "FoundationEssentials", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch",
    "Synchronization", "Testing", "XCTest", "_Concurrency", "Observation", "RegexBuilder",
}
IMPORT = re.compile(r"^\s*(?:@[\w()]+\s+)*import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?(\w+)",
                    re.MULTILINE)


def target_directory(root: pathlib.Path, target: dict) -> pathlib.Path:
    if target.get("path"):
        return root / target["path"]
    return root / ("Tests" if target["type"] == "test" else "Sources") / target["name"]


def declared(target: dict) -> set[str]:
    names = set()
    for dependency in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                names.add(dependency[kind][0])
    return names


def imported(directory: pathlib.Path) -> set[str]:
    names = set()
    for file in directory.rglob("*.swift"):
        names.update(IMPORT.findall(file.read_text(encoding="utf-8")))
    return names - TOOLCHAIN


def main() -> int:
    root = pathlib.Path(__file__).resolve().parent.parent
    # POSTERN_FUZZ declares the libFuzzer harnesses too (Package.swift), so they are checked as well.
    environment = dict(os.environ, POSTERN_FUZZ="1")
    manifest = json.loads(subprocess.run(["swift", "package", "dump-package"], cwd=root, check=True, env=environment,
                                         capture_output=True, text=True).stdout)
    problems = []
    checked = 0
    for target in manifest["targets"]:
        if target["type"] not in ("regular", "executable", "test"):
            continue  # system libraries: module maps, no imports of their own
        directory = target_directory(root, target)
        if not any(directory.rglob("*.swift")):
            continue  # C targets (the shims) include headers; the compiler checks those
        checked += 1
        uses, says = imported(directory), declared(target)
        for name in sorted(uses - says):
            problems.append(f"{target['name']}: imports {name} but does not declare it")
        for name in sorted(says - uses):
            problems.append(f"{target['name']}: declares {name} but never imports it")
    for line in problems:
        print(line)
    if problems:
        print(f"check-deps: {len(problems)} mismatch(es) in Package.swift", file=sys.stderr)
        return 1
    print(f"check-deps: {checked} targets, declared dependencies match the imports")
    return 0


if __name__ == "__main__":
    sys.exit(main())
