"""testmap.py - which tests execute each line of ref/lib, from a coverage
build: every test run on its own with fresh counters, gcovr read after
each.  A mutant then runs only the tests that reach its line, the
quickest first.  The map is cached beside the build, keyed by the
sources it was made from (a change to anything a test runs remakes it).
"""
import hashlib
import json
import os
import subprocess

import ctests
from files import source_files

# Tests that judge no behaviour of the library (the tree's shape, the
# sources' own state, a generator's bytes) or run QEMU or shell doubles
# only (label external): never a mutant's killer, minutes each.
SKIP = {"source_tree_before", "source_tree_after", "code_shape", "fixtures_reproducible",
        "dimensions_doc", "mutants"}


def wanted(tests):
    return [t for t in tests if t["name"] not in SKIP and "external" not in t["labels"]]


def source_key(source):
    """A digest of every source file (files.py) that can change what a
    test runs: the map is stale when any differs.  Documents (but
    CONTRACT.md, which test_util reads), examples, CI's script and this
    tool itself cannot."""
    h = hashlib.sha256()
    for f in source_files(source):
        if (f.endswith(".md") and f != "CONTRACT.md") or f.startswith(
                ("coverage/", "examples/", ".ci/")):
            continue
        path = os.path.join(source, f)
        if os.path.isfile(path):
            h.update(f.encode() + b"\0")
            with open(path, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def objects(build):
    """Where ref/lib's counts are written (its one object library), or
    the whole tree when that has moved."""
    obj = os.path.join(build, "ref", "CMakeFiles", "snapfork_obj.dir")
    return obj if os.path.isdir(obj) else build


def clear_counts(build):
    for root, _, files in os.walk(objects(build)):
        for f in files:
            if f.endswith(".gcda"):
                os.unlink(os.path.join(root, f))


def lines_run(source, build):
    """{"ref/lib/x.c": (set(line numbers executed), set(lines instrumented))}
    from the counts now (gcovr reads ref/lib's objects only: half a
    second, where the whole tree takes several)."""
    out = subprocess.run(["gcovr", "--root", source, "--object-directory", build,
                          "--filter", os.path.join(source, "ref/lib/"), "--json", "-",
                          objects(build)], capture_output=True, text=True, check=True).stdout
    run = {}
    for f in json.loads(out)["files"]:
        run[f["file"]] = ({ln["line_number"] for ln in f["lines"] if ln["count"] > 0},
                          {ln["line_number"] for ln in f["lines"]})
    return run


def make(source, build, log, max_seconds=0):
    """The map {file: {line: [test, ...]}}, {test: seconds} and the lines
    gcov instruments {file: [line, ...]} (a mutant elsewhere, in a #define
    or a static table, is judged by every test that runs its file):
    cached in build/mutate-testmap.json while the sources are the same.
    A cmocka binary's tests are mapped one by one, named binary:test
    (suites/support/select.c): a mutant then runs the few that reach its
    line, not the whole binary."""
    cache = os.path.join(build, "mutate-testmap.json")
    key = source_key(source)
    data = {}
    if os.path.exists(cache):
        with open(cache) as f:
            data = json.load(f)
        not_run = data.get("not_run", [])
        if data.get("key") == key and (not not_run or max_seconds and all(
                data["seconds"][t] > max_seconds for t in not_run)):
            return data["map"], data["seconds"], data["instrumented"]
    # A test an earlier map timed at more than twice max_seconds would be
    # left out of every mutant: not run for the map either (the end-to-end
    # tests: five minutes of each map); its old time is kept.
    old = data.get("seconds", {})
    subprocess.run(["cmake", "-S", source, "-B", build, "-DSNAPFORK_COVERAGE=ON"],
                   stdout=subprocess.DEVNULL, check=True)
    subprocess.run(["cmake", "--build", build, "-j%d" % (os.cpu_count() or 1)],
                   stdout=subprocess.DEVNULL, check=True)
    tmap, seconds, instrumented = {}, {}, {}
    logf = os.path.join(build, "mutate-test.log")
    tests = []
    for t in wanted(ctests.tests_of(build)):
        names = ctests.units_of(t, logf)
        tests += [ctests.unit(t, n) for n in names] if names else [t]
    not_run = []
    for i, t in enumerate(tests, 1):
        if max_seconds and old.get(t["name"], 0) > 2 * max_seconds:
            seconds[t["name"]] = old[t["name"]]
            not_run.append(t["name"])
            continue
        clear_counts(build)
        status, secs = ctests.run(t, 1800, logf)
        seconds[t["name"]] = round(secs, 2)
        if status == "stopped":
            raise ctests.Stopped()
        if status != "pass":
            # A test that fails or skips unmutated cannot tell a mutant: left out.
            log("testmap: %s %s without a mutant: left out" % (t["name"], status))
            continue
        for f, (lines, known) in lines_run(source, build).items():
            instrumented[f] = sorted(set(instrumented.get(f, [])) | known)
            for ln in lines:
                tmap.setdefault(f, {}).setdefault(str(ln), []).append(t["name"])
        log("testmap: %d/%d %s (%.1f s)" % (i, len(tests), t["name"], secs))
    with open(cache, "w") as f:
        json.dump({"key": key, "map": tmap, "seconds": seconds, "instrumented": instrumented,
                   "not_run": not_run}, f)
    return tmap, seconds, instrumented


def whole(source, build, muts):
    """make()'s answer without coverage (CI's form): every test that could
    judge the library runs every mutant's line, timed by build's last
    ctest run (Testing/Temporary/CTestCostData.txt; 60 s when not run)."""
    seconds = {}
    cost = os.path.join(build, "Testing", "Temporary", "CTestCostData.txt")
    if os.path.exists(cost):
        with open(cost) as f:
            for line in f:
                parts = line.split()
                if line.startswith("---"):
                    break
                if len(parts) == 3:
                    seconds[parts[0]] = float(parts[2])
    names = [t["name"] for t in wanted(ctests.tests_of(build))]
    for n in names:
        seconds.setdefault(n, 60.0)
    tmap = {f: {str(ln): names for ln in range(1, 1 + max(m[1] for m in muts if m[0] == f))}
            for f in {m[0] for m in muts}}
    return tmap, seconds, {f: [int(ln) for ln in lines] for f, lines in tmap.items()}
