#!/usr/bin/env python3
"""Checks the package's module graph against the architecture: reads `swift package describe --type json`
on standard input and fails, naming the path, when a target reaches a module it must not.

The rules (docs/ARCHITECTURE.md, "Modules"): WavecastCore does no I/O and depends on nothing; the gateway and
its tests never link LAME; the test-support module links neither service, so every test target may use it.
And every module a target's sources import is one it declares (or the toolchain's), so no target builds only
because another one happened to pull a module in.
"""

import glob
import json
import os
import re
import sys

FORBIDDEN = {
    "WavecastCore": {"ZeroMQ", "CZeroMQ", "CLame", "CSodium", "MP3Encoding", "Encoder", "Gateway"},
    "Gateway": {"CLame", "MP3Encoding", "Encoder"},
    "wavecast-gateway": {"CLame", "MP3Encoding", "Encoder"},
    "GatewayTests": {"CLame", "MP3Encoding", "Encoder"},
    "WavecastTestSupport": {"CLame", "MP3Encoding", "Encoder", "Gateway"},
    "ZeroMQ": {"CLame", "MP3Encoding", "WavecastCore"},
}


# Modules that come with the toolchain or the system, which no target declares.
TOOLCHAIN = {
    "Foundation", "FoundationEssentials", "Dispatch", "Glibc", "Darwin", "Musl", "Synchronization", "Testing",
    "XCTest", "SwiftOverlayShims", "_Concurrency", "PackageDescription",
}
IMPORT = re.compile(r"^(?:@testable |@preconcurrency |@_implementationOnly |@_exported |public |package |internal "
                    r"|fileprivate |private )*import "
                    r"(?:struct |class |enum |func |let |var |protocol |typealias )?(\w+)")


def undeclared_imports(root, target):
    """The modules `target`'s sources import without declaring them.

    A product dependency counts by its name: in this package's dependencies every product is named after the
    module it exports (swift-nio's NIOCore, swift-log's Logging, …); a product that is not would show up here.
    """
    declared = set(target.get("target_dependencies", [])) | set(target.get("product_dependencies", []))
    imported = {}
    paths = glob.glob(os.path.join(root, target["path"], "**", "*.swift"), recursive=True)
    if not paths and target.get("type") != "system-target":
        return {"(no sources)": f"{target['path']}: no .swift files found from {root}"}
    for path in paths:
        with open(path) as source:
            for line in source:
                match = IMPORT.match(line)  # column 0 only: scripts in string literals are indented
                if match:
                    imported.setdefault(match.group(1), os.path.relpath(path))
    return {module: where for module, where in imported.items()
            if module not in declared | TOOLCHAIN | {target["name"]}}


def main():
    package = json.load(sys.stdin)
    edges = {target["name"]: target.get("target_dependencies", []) for target in package["targets"]}
    problems = []
    for start, forbidden in FORBIDDEN.items():
        if start not in edges:
            problems.append(f"{start}: no such target (update scripts/checks/module-graph.py)")
            continue
        # Depth-first, remembering one path to each module reached.
        paths = {start: [start]}
        stack = [start]
        while stack:
            module = stack.pop()
            for dependency in edges.get(module, []):
                if dependency not in paths:
                    paths[dependency] = paths[module] + [dependency]
                    stack.append(dependency)
        for module in sorted(forbidden & paths.keys()):
            problems.append(f"{start} reaches {module}: {' → '.join(paths[module])}")
    for target in package["targets"]:
        for module, where in sorted(undeclared_imports(package["path"], target).items()):
            problems.append(f"{target['name']} imports {module} ({where}) without declaring it in Package.swift")
    for problem in problems:
        print(f"module graph: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"module graph: {len(FORBIDDEN)} rules hold over {len(edges)} targets, each declaring what it imports")


if __name__ == "__main__":
    main()
