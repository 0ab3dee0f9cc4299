"""mutrun.py - one worker: its own copy of the sources and its own build
tree; for each mutant, the one file changed, only the targets its tests
need rebuilt, those tests run (quickest first, each under a limit) until
one fails, the file put back.
"""
import os
import shutil
import subprocess
import time

import ctests
from files import source_files
from tce import Tce


def copy_tree(source, dest):
    """The source files (files.py) as they are in the working tree into dest."""
    for f in source_files(source):
        src = os.path.join(source, f)
        if not os.path.lexists(src):
            continue
        os.makedirs(os.path.dirname(os.path.join(dest, f)), exist_ok=True)
        # copyfile, not copy2: a fresh mtime, so that make rebuilds an object
        # a stopped run left built from a mutant.
        if os.path.islink(src):
            if os.path.lexists(os.path.join(dest, f)):
                os.unlink(os.path.join(dest, f))
            os.symlink(os.readlink(src), os.path.join(dest, f))
        else:
            shutil.copyfile(src, os.path.join(dest, f))
            shutil.copymode(src, os.path.join(dest, f))


def targets_of(command, build):
    """The build targets a test's command runs: executables of build/bin
    (snapfork is the target snapfork_cli), every target for a test given
    the build tree itself (install)."""
    found = set()
    bindir = os.path.join(build, "bin") + "/"
    for arg in command:
        if arg.startswith(bindir):
            name = os.path.basename(arg)
            found.add("snapfork_cli" if name == "snapfork" else name)
        elif arg.rstrip("/") == build.rstrip("/"):
            found.add("all")
    return sorted(found)


class Worker:
    def __init__(self, source, work, index, log, cores=1, verify=False, sanitize=False):
        self.src = os.path.join(work, "src-%d" % index)
        # With sanitize, a tree of its own built with ASan and UBSan (as
        # CI's first ctest pass): a read past an array or a leak kills.
        self.sanitize = sanitize
        self.build = os.path.join(work, "build-%s%d" % ("asan-" if sanitize else "", index))
        self.test_log = os.path.join(work, "test-%d.log" % index)
        # Each worker's tests have their own scratch (on /var/tmp's
        # filesystem, as unmutated), so what one mutant's tests leave
        # there, mounts included, is this worker's to undo (named by this
        # run's pid too: another run's tidy must not touch it).
        self.scratch = "/var/tmp/snapfork-mutate-%d-%d" % (os.getpid(), index)
        self.log = log
        self.cores = cores
        # Without the map (whose tests passed unmutated in its coverage
        # build), each test is run unmutated here before it judges.
        self.verify = verify
        self.passed = {}
        self.flaky = []
        copy_tree(source, self.src)  # the sources as they are now

    def prepare(self):
        """The worker's build tree (Ninja: its no-op check is quick)."""
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        if os.path.exists(os.path.join(self.build, "CMakeCache.txt")):
            gen = []  # the tree keeps the generator it was made with
        subprocess.run(["cmake", "-S", self.src, "-B", self.build, *gen,
                        "-DCMAKE_BUILD_TYPE=Debug", "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
                        "-DSNAPFORK_SANITIZE=%s" % ("ON" if self.sanitize else "OFF")],
                       stdout=subprocess.DEVNULL, check=True)
        # The workers build at once: the cores shared out between them.
        # Without the map (CI's form) only what the tests run is built,
        # test by test (built()): the fuzzers and the benchmark are not.
        if not self.verify:
            subprocess.run(["cmake", "--build", self.build, "-j%d" % self.cores],
                           stdout=subprocess.DEVNULL, check=True)
        else:
            # ctest names a test's command only once its executable is
            # built: build the test executables (a test named as its
            # target), not the fuzzers or the benchmark.
            listed = subprocess.run(["cmake", "--build", self.build, "--target", "help"],
                                    capture_output=True, text=True, check=True).stdout
            # Ninja lists "name: phony", Makefiles "... name".
            known = set()
            for line in listed.split("\n"):
                w = line.split()
                if len(w) > 1 and w[0] == "...":
                    known.add(w[1])
                elif w and w[0].endswith(":"):
                    known.add(w[0][:-1])
            bare = [t["name"] for t in ctests.tests_of(self.build)
                    if not t["command"] and t["name"] in known]
            subprocess.run(["cmake", "--build", self.build, "-j%d" % self.cores, "--target",
                            "snapfork_cli", *bare], stdout=subprocess.DEVNULL, check=True)
        self.tests = {t["name"]: t for t in ctests.tests_of(self.build)}
        self.tce = Tce(self.src, self.build, self.build + "-tce")
        for t in self.tests.values():
            t["env"]["SNAPFORK_TEST_DIR"] = t["env"]["TMPDIR"] = self.scratch
        self.tidy()

    def tidy(self):
        """Unmount what a test left under the scratch, then empty it."""
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
        for mp in sorted((p for p in points if p.startswith(self.scratch + "/")), key=len,
                         reverse=True):
            self.log("mutate: a test left %s mounted: unmounted" % mp)
            subprocess.run(["umount", "-l", mp], stderr=subprocess.DEVNULL)
        shutil.rmtree(self.scratch, ignore_errors=True)
        os.makedirs(self.scratch, exist_ok=True)

    def test(self, name):
        """A ctest test by name, or one cmocka test of it (binary:test)."""
        parent, _, unit = name.partition(":")
        return ctests.unit(self.tests[parent], unit) if unit else self.tests[parent]

    def built(self, name, done):
        """Build what test name runs, unless done holds it already: the
        mutant's object once, then a link for each further binary, only
        as far as the tests go (a kill by the first needs one)."""
        targets = [t for t in targets_of(self.test(name)["command"], self.build)
                   if t not in done]
        if not targets:
            return True
        r = subprocess.run(["cmake", "--build", self.build, "-j%d" % self.cores, "--target",
                            *targets],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        done.update(targets)
        return r.returncode == 0

    def passing(self, tests, seconds, factor):
        """tests less those that do not pass unmutated in this worker's
        build (each run once, before the first mutant it would judge): a
        test that fails or skips anyway would "kill" every mutant."""
        for name in tests:
            if name not in self.passed and not self.tests.get(name.partition(":")[0], {}).get(
                    "command"):
                self.passed[name] = False  # not built by its own name (the fuzz replays)
                self.log("mutate: %s: no command in this worker's tree: left out" % name)
            if name not in self.passed:
                ok = self.built(name, set())
                status = ctests.run(self.test(name), max(20.0, factor * seconds.get(name, 60)),
                                    self.test_log)[0] if ok else "unbuilt"
                self.passed[name] = status == "pass"
                self.tidy()
                if status != "pass":
                    self.log("mutate: %s: %s without a mutant: left out" % (name, status))
        return [t for t in tests if self.passed[t]]

    def judge(self, tests, seconds, factor, budget=0):
        """(outcome, test) for the mutant in the sources: in the order
        given; a failure counts when the test fails again (a flaky test
        is no killer); a skip counts (the test passed unmutated).  No
        test is started once budget seconds went to this mutant (0: no
        budget): then it survived, its test "budget"."""
        done = set()
        t0 = time.monotonic()
        for name in tests:
            if budget and time.monotonic() - t0 > budget:
                return "survived", "budget"
            if not self.built(name, done):
                return "uncompiled", ""
            limit = max(20.0, factor * seconds.get(name, 60))
            status, _ = ctests.run(self.test(name), limit, self.test_log)
            if status == "fail":
                status, _ = ctests.run(self.test(name), limit, self.test_log)
                if status == "pass":
                    self.flaky.append(name)
                    continue
            if status == "empty":  # the map named a test its binary no longer holds
                raise RuntimeError("%s: no such test in its binary" % name)
            if status in ("timeout", "stopped"):
                return status, name
            if status in ("fail", "skip"):
                return "killed", name + (" (skipped)" if status == "skip" else "") + (
                    " (ASan)" if self.sanitize else "")
        return "survived", ""

    def run(self, mutant, tests, seconds, factor, budget=0):
        """The mutant's outcome: (killed|survived|timeout|uncompiled, the
        test that told, seconds)."""
        rel, lineno, _, before, after = mutant
        path = os.path.join(self.src, rel)
        with open(path) as f:
            original = f.read()
        lines = original.split("\n")
        if lines[lineno - 1] != before:
            raise RuntimeError("%s:%d is not the line the mutant was made from" % (rel, lineno))
        lines[lineno - 1] = after
        t0 = time.monotonic()
        if self.verify:
            tests = self.passing(tests, seconds, factor)
        self.tce.original(rel)
        try:
            with open(path, "w") as f:
                f.write("\n".join(lines))
            # A difference only a sanitizer sees may compile alike at -O2
            # (the optimizer assumes no read past an array).
            if not self.sanitize and self.tce.same(rel):
                return "equivalent", "same code at -O2", time.monotonic() - t0
            if not tests:
                return "no test", "", time.monotonic() - t0
            outcome, test = self.judge(tests, seconds, factor, budget)
            return outcome, test, time.monotonic() - t0
        finally:
            with open(path, "w") as f:
                f.write(original)
            self.tidy()  # the next mutant's tests must not see this one's

    def close(self):
        self.tidy()
        os.rmdir(self.scratch)
