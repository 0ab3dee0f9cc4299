"""tce.py - trivial compiler equivalence: a mutant that compiles at -O2
to the very bytes the original does cannot be told apart by any test
(the optimizer proved them the same: `x >= 0` on an unsigned x, a value
the enum already gives, a constant folded away), so it is reported as
equivalent and not run.  Compiled as the worker's build compiles the
file (compile_commands.json), but -O2 -g0: no line table, so only the
code is compared.  One caveat, in coverage/README.md: a mutant that
differs only by undefined behaviour the optimizer assumes away would
count as equivalent too.
"""
import json
import os
import shlex
import subprocess


class Tce:
    def __init__(self, src, build, scratch):
        self.src, self.build, self.scratch = src, build, scratch
        self.originals = {}  # rel: the original's bytes (None: did not compile)
        with open(os.path.join(build, "compile_commands.json")) as f:
            self.commands = {os.path.relpath(c["file"], src): c for c in json.load(f)}
        os.makedirs(scratch, exist_ok=True)

    def compiled(self, rel):
        """rel as it is now, compiled -O2 -g0: its bytes, or None."""
        c = self.commands.get(rel)
        if not c:
            return None
        args = c["arguments"] if "arguments" in c else shlex.split(c["command"])
        keep, skip = [], 0
        for a in args:  # no dependency file, no object of the build's own
            if skip:
                skip -= 1
            elif a in ("-o", "-MT", "-MF"):
                skip = 1
            elif a != "-MD":
                keep.append(a)
        out = os.path.join(self.scratch, "tce.o")
        if os.path.exists(out):
            os.unlink(out)
        r = subprocess.run([*keep, "-O2", "-g0", "-o", out], cwd=c["directory"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            return None
        with open(out, "rb") as f:
            return f.read()

    def original(self, rel):
        """Compile the original of rel once, before its first mutant."""
        if rel not in self.originals:
            self.originals[rel] = self.compiled(rel)

    def same(self, rel):
        """The mutant now in rel compiles to the original's bytes."""
        orig = self.originals.get(rel)
        return orig is not None and self.compiled(rel) == orig
