#!/usr/bin/env python3
"""test_mutants.py - coverage/mutants.py makes the mutants it claims, and
none inside comments or string literals; each row of the equivalents
table matches one mutant; coverage/mutate's --retry finds a report's rows
again through git's diff (ctest: mutants)."""
import importlib.machinery
import importlib.util
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mutants  # noqa: E402

SRC = r'''/* a comment: if (a < b && c) return -EXDEV; */
static int f(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (renameat2(dir, "a < b", dir, name, RENAME_NOREPLACE) < 0 && errno == EXDEV)
		return -EXDEV; // a trailing comment with || and <=
	r = fsync(fd);
	close(fd);
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	return n >= 16 ? 0 : 1;
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}
'''
fails = 0


def want(cond, what):
    global fails
    print("%s: %s" % ("ok" if cond else "FAIL", what))
    fails += 0 if cond else 1


lines = SRC.split("\n")
ms = mutants.mutants(lines)
after = {(m[0], m[3].strip()) for m in ms}
ops = {m[1] for m in ms}
want(not any(m[0] == 1 for m in ms), "nothing in a comment")
want(all('"a < b"' in m[3] for m in ms if m[0] == 7 and m[1] != "delete"),
     "string literals kept as they were")
want(all(m[3].endswith("// a trailing comment with || and <=") for m in ms if m[0] == 8),
     "nothing in a trailing comment")
want((5, "if (fd <= 0)") in after, "relational boundary")
want((7, 'if (renameat2(dir, "a < b", dir, name, RENAME_NOREPLACE) < 0 || errno == EXDEV)') in after,
     "logical && to ||")
want((7, 'if (renameat2(dir, "a < b", dir, name, RENAME_NOREPLACE) < 0 && errno != EXDEV)') in after,
     "equality flipped")
want((4, "int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);") in after, "O_NOFOLLOW removed")
want((4, "int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW);") in after, "O_CLOEXEC removed")
want((7, 'if (renameat2(dir, "a < b", dir, name, 0) < 0 && errno == EXDEV)') in after,
     "a lone flag argument made 0")
want((11, "void *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);") in after,
     "MAP_PRIVATE swapped for MAP_SHARED")
want((8, "return -EIO; // a trailing comment with || and <=") in after, "errno class moved")
want((6, "return 0;") in after and (6, "return errno;") in after, "an -errno zeroed, its sign lost")
want((9, "r = 0;") in after, "a checked call deleted, its result made success")
want((13, ";") in after, "a call's statement deleted")
want(not any(m[0] == 10 and m[1] == "delete" for m in ms), "close() is no checked call")
want((7, "if (0)") in after, "a checked call and its check deleted (if (0))")
want((12, "return n >= 17 ? 0 : 1;") in after and (12, "return n > 16 ? 0 : 1;") in after,
     "constant +1, boundary")
want((11, "void *p = mmap(NULL, 4097, PROT_READ, MAP_PRIVATE, fd, 0);") in after, "constant +1")
want({"relational", "equality", "logical", "flag", "errno", "return", "delete",
      "constant+1", "constant-1"} <= ops, "every operator present: %s" % sorted(ops))
root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
total = 0
for f in sorted(os.listdir(os.path.join(root, "ref/lib"))):
    if f.endswith(".c"):
        with open(os.path.join(root, "ref/lib", f)) as fh:
            total += len(mutants.mutants(fh.read().split("\n")))
want(total > 1000, "ref/lib has %d mutants" % total)

# Each row of coverage/README.md's "Equivalent mutants" matches exactly one
# mutant of ref/lib as it is: a row matching two would excuse one that a
# test must kill, a row matching none is stale.
loader = importlib.machinery.SourceFileLoader("mutate_tool", os.path.join(root, "coverage/mutate"))
spec = importlib.util.spec_from_loader("mutate_tool", loader)
tool = importlib.util.module_from_spec(spec)
loader.exec_module(tool)
eq = tool.equivalents()
seen = dict.fromkeys(eq, 0)
for f in sorted(os.listdir(os.path.join(root, "ref/lib"))):
    if f.endswith(".c"):
        with open(os.path.join(root, "ref/lib", f)) as fh:
            for _, op, before, after in mutants.mutants(fh.read().split("\n")):
                key = ("ref/lib/" + f, op, before.strip(), after.strip())
                if key in seen:
                    seen[key] += 1
want(len(eq) > 20, "%d equivalent mutants listed" % len(eq))
for key, n in sorted(seen.items()):
    if n != 1:
        want(False, "equivalent %s %s %r -> %r matches %d mutants, not one" % (
            key[0], key[1], key[2], key[3], n))

# --retry finds a report's rows again through git's diff from the commit
# the report names: rows below an edit move with it, a row whose line
# changed and the rows of a file gone since are dropped.
def retry_check():
    import json
    import shutil
    import subprocess
    import tempfile
    if not shutil.which("git"):
        return "no git to run"
    with tempfile.TemporaryDirectory() as d:
        def sh(*argv):
            subprocess.run(["git", "-C", d, "-c", "user.name=t", "-c", "user.email=t@t"]
                           + list(argv), check=True, capture_output=True)
        os.makedirs(os.path.join(d, "ref/lib"))
        a = os.path.join(d, "ref/lib/a.c")
        with open(a, "w") as f:
            f.write("int a;\nif (x < y)\nif (m < n)\nif (p < q)\nint e;\nint f;\n")
        with open(os.path.join(d, "ref/lib/gone.c"), "w") as f:
            f.write("if (x < y)\n")
        sh("init", "-q")
        sh("add", "-A")
        sh("commit", "-qm", "t")
        saved, tool.SOURCE = tool.SOURCE, d
        try:
            commit = tool.source_commit(["ref/lib"])
            want(commit is not None, "a clean tree names its commit")

            def row(file, line, before):
                return {"file": file, "line": line, "operator": "relational",
                        "before": before, "after": before.replace("<", "<="),
                        "outcome": "survived", "test": None, "seconds": 0}
            rows = [row("ref/lib/a.c", 2, "if (x < y)"), row("ref/lib/a.c", 3, "if (m < n)"),
                    row("ref/lib/a.c", 4, "if (p < q)"), row("ref/lib/gone.c", 1, "if (x < y)")]
            report = os.path.join(d, "report.json")
            with open(report, "w") as f:
                json.dump({"commit": commit, "mutants": rows}, f)
            # Two lines put in above (one reads as row 4 does), row 3's
            # line changed and a line that reads as it did put in at the
            # end (matching by text would take it; git's diff does not),
            # gone.c removed.
            with open(a, "w") as f:
                f.write("if (p < q)\nint z;\nint a;\nif (x < y)\nif (m > n)\nif (p < q)\n"
                        "int e;\nint f;\nint g;\nif (m < n)\n")
            os.unlink(os.path.join(d, "ref/lib/gone.c"))
            want(tool.source_commit(["ref/lib"]) is None, "a changed tree names no commit")
            kept, again = tool.retry_mutants(report)
            want([(r["file"], r["line"]) for r in kept] == [("ref/lib/a.c", 4), ("ref/lib/a.c", 6)],
                 "--retry: rows moved with git's diff, the changed line and the gone "
                 "file dropped: %s" % [(r["file"], r["line"]) for r in kept])
            want([(m[1], m[4]) for m in again] == [(4, "if (x <= y)"), (6, "if (p <= q)")],
                 "--retry: the survivors judged again at their new lines")
        finally:
            tool.SOURCE = saved
    return None


skipped = retry_check()
print("%d failed" % fails)
if skipped and not fails:
    print("skip: --retry's mapping not checked: " + skipped)
    sys.exit(77)
sys.exit(1 if fails else 0)
