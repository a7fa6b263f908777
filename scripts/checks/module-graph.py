#!/usr/bin/env python3
"""Checks the package's module graph against the architecture: reads `swift package describe --type json`
on standard input and fails, naming the path, when a target reaches a module it must not.

The rules (docs/ARCHITECTURE.md, "Modules"): WavecastCore does no I/O and depends on nothing; the gateway and
its tests never link LAME; the test-support module links neither service, so every test target may use it.
"""

import json
import sys

FORBIDDEN = {
    "WavecastCore": {"ZeroMQ", "CZeroMQ", "CLame", "MP3Encoding", "Encoder", "Gateway"},
    "Gateway": {"CLame", "MP3Encoding", "Encoder"},
    "wavecast-gateway": {"CLame", "MP3Encoding", "Encoder"},
    "GatewayTests": {"CLame", "MP3Encoding", "Encoder"},
    "WavecastTestSupport": {"CLame", "MP3Encoding", "Encoder", "Gateway"},
    "ZeroMQ": {"CLame", "MP3Encoding", "WavecastCore"},
}


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
    for problem in problems:
        print(f"module graph: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"module graph: {len(FORBIDDEN)} rules hold over {len(edges)} targets")


if __name__ == "__main__":
    main()
