#!/usr/bin/env python3
"""gate.py OUT LINES BRANCHES - the coverage gate of ref/.

Reads gcovr's summary.json and coverage.json in OUT, prints a one-line
summary, and fails (exit 1) when ref/ is under LINES percent of lines or
BRANCHES percent of branches, naming the least-covered functions.
"""
import json
import os
import sys


def functions_by_coverage(cov):
    """(covered fraction, uncovered lines, file, function) for each function.

    A function's lines are those from its first line to the next
    function's first line in the same file (gcovr gives starts only)."""
    rows = []
    for f in cov["files"]:
        funcs = sorted(f.get("functions", []), key=lambda x: x["lineno"])
        lines = {l["line_number"]: l for l in f["lines"] if not l.get("gcovr/noncode")}
        for i, fn in enumerate(funcs):
            end = funcs[i + 1]["lineno"] if i + 1 < len(funcs) else 1 << 30
            mine = [l for n, l in lines.items() if fn["lineno"] <= n < end]
            if not mine:
                continue
            missed = [l["line_number"] for l in mine if l["count"] == 0]
            frac = 1 - len(missed) / len(mine)
            rows.append((frac, missed, f["file"], fn["name"]))
    return sorted(rows, key=lambda r: (r[0], -len(r[1])))


def main():
    out, want_lines, want_branches = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    with open(os.path.join(out, "summary.json")) as fp:
        summary = json.load(fp)
    with open(os.path.join(out, "coverage.json")) as fp:
        cov = json.load(fp)
    lines = summary["line_percent"]
    branches = summary["branch_percent"]
    ok = lines >= want_lines and branches >= want_branches
    print(
        "coverage of ref/: %.1f%% lines (%d/%d), %.1f%% branches (%d/%d), %.1f%% functions; "
        "gate %g%%/%g%%: %s"
        % (lines, summary["line_covered"], summary["line_total"], branches,
           summary["branch_covered"], summary["branch_total"], summary.get("function_percent", 0.0),
           want_lines, want_branches, "pass" if ok else "FAIL")
    )
    worst = [r for r in functions_by_coverage(cov) if r[1]][:8]
    if worst:
        print("least-covered functions:")
        for frac, missed, fname, func in worst:
            shown = ", ".join(str(n) for n in missed[:6]) + (" ..." if len(missed) > 6 else "")
            print("  %5.1f%%  %s %s (lines not run: %s)" % (100 * frac, fname, func, shown))
    print("reports: %s/index.html, coverage.xml (Cobertura), summary.json" % out)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
