#!/usr/bin/env python3
"""code_shape.py SOURCE_DIR - the shape the README promises a newcomer:
no non-test C source over 400 lines, no function over 80 lines.

A function is counted from its signature's last line to its closing
brace, as the repository's .clang-format lays them out (the opening and
closing braces of a function alone in column 0).  Tests (suites/tests)
are left out: a test file is a list of cases."""
import os
import sys

MAX_FILE, MAX_FUNC = 400, 80
top = sys.argv[1]
bad = []
for d in ("ref", "fixtures", "suites", "fuzz", "bench"):
    for root, dirs, files in os.walk(os.path.join(top, d)):
        rel_root = os.path.relpath(root, top)
        if rel_root.startswith(os.path.join("suites", "tests")):
            continue
        for f in sorted(files):
            if not f.endswith((".c", ".h", ".h.in")):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, top)
            lines = open(path, errors="replace").read().split("\n")
            n = len(lines) - (lines[-1] == "")
            if n > MAX_FILE:
                bad.append(f"{rel}: {n} lines (at most {MAX_FILE})")
            start = None
            for i, line in enumerate(lines):
                if line == "{" and i > 0:
                    start, name = i, lines[i - 1]
                elif line == "}" and start is not None:
                    length = i - start + 2
                    if length > MAX_FUNC:
                        bad.append(f"{rel}:{start}: {name.strip()[:60]}... is {length} lines "
                                   f"(at most {MAX_FUNC})")
                    start = None
for b in bad:
    print("not ok -", b)
print("ok - every source file and function is within its size" if not bad else
      f"{len(bad)} over the limits")
sys.exit(1 if bad else 0)
