"""testmap.py - which tests execute each line of ref/lib, from a coverage
build: every test run on its own with fresh counters, gcovr read after
each.  A mutant then runs only the tests that reach its line, the
quickest first.  The map is cached beside the build, keyed by the
sources it was made from (a change anywhere in the tree remakes it).
"""
import hashlib
import json
import os
import subprocess
import time

# Tests that judge no behaviour of the library (the tree's shape, the
# sources' own state, a generator's bytes) or run QEMU or shell doubles
# only (label external): never a mutant's killer, minutes each.
SKIP = {"source_tree_before", "source_tree_after", "code_shape", "fixtures_reproducible",
        "dimensions_doc"}


def tests_of(build):
    """[(name, command, labels)] as ctest lists them."""
    out = subprocess.run(["ctest", "--test-dir", build, "--show-only=json-v1"],
                         capture_output=True, text=True, check=True).stdout
    found = []
    for t in json.loads(out)["tests"]:
        labels = [v for p in t.get("properties", []) if p["name"] == "LABELS" for v in p["value"]]
        found.append((t["name"], t.get("command", []), labels))
    return found


def wanted(tests):
    return [t for t in tests if t[0] not in SKIP and "external" not in t[2]]


def source_key(source):
    """A digest of every tracked file's content (and the working tree's
    changes to them): the map is stale when any differs."""
    files = subprocess.run(["git", "-C", source, "ls-files", "-z"], capture_output=True,
                           check=True).stdout.split(b"\0")
    h = hashlib.sha256()
    for f in sorted(x for x in files if x):
        path = os.path.join(source.encode(), f)
        if os.path.isfile(path):
            h.update(f + b"\0")
            with open(path, "rb") as fh:
                h.update(hashlib.sha256(fh.read()).digest())
    return h.hexdigest()


def clear_counts(build):
    for root, _, files in os.walk(build):
        for f in files:
            if f.endswith(".gcda"):
                os.unlink(os.path.join(root, f))


def lines_run(source, build):
    """{"ref/lib/x.c": set(line numbers executed)} from the counts now."""
    out = subprocess.run(["gcovr", "--root", source, "--object-directory", build,
                          "--filter", os.path.join(source, "ref/lib/"), "--json", "-"],
                         capture_output=True, text=True, check=True).stdout
    run = {}
    for f in json.loads(out)["files"]:
        run[f["file"]] = {ln["line_number"] for ln in f["lines"] if ln["count"] > 0}
    return run


def make(source, build, log):
    """The map {file: {line: [test, ...]}}, {test: seconds}: cached in
    build/mutate-testmap.json while the sources are the same."""
    cache = os.path.join(build, "mutate-testmap.json")
    key = source_key(source)
    if os.path.exists(cache):
        with open(cache) as f:
            data = json.load(f)
        if data.get("key") == key:
            return data["map"], data["seconds"]
    subprocess.run(["cmake", "-S", source, "-B", build, "-DSNAPFORK_COVERAGE=ON"],
                   stdout=subprocess.DEVNULL, check=True)
    subprocess.run(["cmake", "--build", build, "-j%d" % (os.cpu_count() or 1)],
                   stdout=subprocess.DEVNULL, check=True)
    tmap, seconds = {}, {}
    tests = wanted(tests_of(build))
    for i, (name, _, _) in enumerate(tests, 1):
        clear_counts(build)
        t0 = time.monotonic()
        rc = subprocess.run(["ctest", "--test-dir", build, "-R", "^%s$" % name],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        seconds[name] = round(time.monotonic() - t0, 2)
        if rc != 0:
            # A test that fails unmutated cannot tell a mutant: left out.
            log("testmap: %s fails without a mutant: left out" % name)
            continue
        for f, lines in lines_run(source, build).items():
            for ln in lines:
                tmap.setdefault(f, {}).setdefault(str(ln), []).append(name)
        log("testmap: %d/%d %s (%.1f s)" % (i, len(tests), name, seconds[name]))
    with open(cache, "w") as f:
        json.dump({"key": key, "map": tmap, "seconds": seconds}, f)
    return tmap, seconds
