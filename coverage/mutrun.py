"""mutrun.py - one worker: its own copy of the sources and its own build
tree; for each mutant, the one file changed, only the targets its tests
need rebuilt, those tests run (quickest first, each under a limit) until
one fails, the file put back.
"""
import os
import shutil
import subprocess
import time


def copy_tree(source, dest):
    """The tracked files (as they are in the working tree) into dest."""
    files = subprocess.run(["git", "-C", source, "ls-files", "-z"], capture_output=True,
                           check=True).stdout.decode().split("\0")
    for f in filter(None, files):
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
    def __init__(self, source, work, index, log):
        self.src = os.path.join(work, "src-%d" % index)
        self.build = os.path.join(work, "build-%d" % index)
        self.log = log
        copy_tree(source, self.src)  # the sources as they are now
        subprocess.run(["cmake", "-S", self.src, "-B", self.build, "-DCMAKE_BUILD_TYPE=Debug"],
                       stdout=subprocess.DEVNULL, check=True)
        subprocess.run(["cmake", "--build", self.build, "-j1"], stdout=subprocess.DEVNULL,
                       check=True)
        from testmap import tests_of
        self.commands = {name: cmd for name, cmd, _ in tests_of(self.build)}

    def run(self, mutant, tests, seconds, factor):
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
        try:
            with open(path, "w") as f:
                f.write("\n".join(lines))
            targets = sorted({t for name in tests for t in targets_of(self.commands[name], self.build)})
            if "all" in targets:
                targets = ["all"]
            built = subprocess.run(["cmake", "--build", self.build, "-j1", "--target", *targets],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if built.returncode != 0:
                return "uncompiled", "", time.monotonic() - t0
            for name in sorted(tests, key=lambda t: seconds.get(t, 999)):
                limit = max(20.0, factor * seconds.get(name, 60))
                try:
                    res = subprocess.run(["ctest", "--test-dir", self.build, "-R", "^%s$" % name,
                                          "--no-tests=error", "--timeout", str(int(limit))],
                                         capture_output=True, text=True, timeout=limit + 30)
                except subprocess.TimeoutExpired:
                    return "timeout", name, time.monotonic() - t0
                if "***Timeout" in res.stdout:
                    return "timeout", name, time.monotonic() - t0
                if res.returncode != 0:
                    return "killed", name, time.monotonic() - t0
            return "survived", "", time.monotonic() - t0
        finally:
            with open(path, "w") as f:
                f.write(original)
