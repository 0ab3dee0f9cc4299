#!/usr/bin/python3
"""recipe.py KIND FILE JOB ROOT WORKDIR [NAME=VALUE]... - run one job of
examples/ci's recipes here, as its CI would, from the YAML itself.

KIND is github (a workflow: the job's steps in order, `if:` success(),
failure(), always() and their ||, each run: block by `bash -e` with the
workflow's and the job's env) or gitlab (a job: before_script and script in
one `bash -e` session, then after_script; `variables:`).  Each shell runs in
the chroot ROOT (a fresh Debian 12, debootstrap'd), in WORKDIR (a path in
ROOT, the checked-out repository).  NAME=VALUE pairs override the recipe's
variables (FORK_CMD, SNAPFORK_DEB, SNAPFORK_LAYOUTS...) and set the CI's own
(GITHUB_RUN_NUMBER, CI_PIPELINE_IID).

What the CI's own actions would do is checked, not emulated: a checkout is
WORKDIR itself; a `uses:` step's path inputs (report_paths, path) and a
GitLab job's artifacts must match files once the job ran, as they would have
to for the upload to hold anything; an expression this runner does not know
is an error, never a guess.

Not run here: the job's container: and its options, permissions:, a job's
own if: and rules: (the job named is run), and the actions themselves
(mikepenz/action-junit-report needs checks: write, which the recipe asks
for; only the review of the YAML can see such things).

Prints a line per step and per artifact path; exit 0 if the job passed, 1
if it failed, 2 if the recipe could not be run as written.
"""
import glob
import os
import re
import subprocess
import sys

import yaml


class RecipeError(Exception):
    pass


def shell(root, workdir, env, script):
    """bash -e in the chroot: the exit status."""
    argv = ["chroot", root, "/usr/bin/env", "-i"] + ["%s=%s" % kv for kv in env.items()]
    argv += ["bash", "--noprofile", "--norc", "-e", "-c", "cd \"$1\" && eval \"$2\"", "step",
             workdir, script]
    return subprocess.run(argv).returncode


def base_env(overrides, more):
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "HOME": "/root", "LANG": "C.UTF-8", "CI": "true"}
    env.update({k: str(v) for k, v in (more or {}).items()})
    env.update(overrides)
    return env


TOKEN = re.compile(r"\s*(success\(\)|failure\(\)|always\(\)|!cancelled\(\)|&&|\|\||\(|\)|"
                   r"steps\.([\w-]+)\.(outcome|conclusion)\s*(==|!=)\s*'(\w+)')")


def github_should_run(cond, failed, outcomes):
    """A step's if: as GitHub evaluates it, for the functions and the
    steps.ID.outcome comparisons recipes use; anything else is an error."""
    if cond is None:
        return not failed
    text = str(cond).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    py, pos, status_fn = [], 0, False
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise RecipeError("if: %s: not an expression this runner knows" % cond)
        tok = m.group(1)
        if m.group(2):
            got = outcomes.get(m.group(2))
            if got is None:
                raise RecipeError("if: %s: no step with id %s before it" % (cond, m.group(2)))
            py.append(repr((got == m.group(5)) == (m.group(4) == "==")))
        else:
            status_fn = status_fn or tok.endswith(")") and tok != ")"
            py.append({"success()": repr(not failed), "failure()": repr(failed),
                       "always()": "True", "!cancelled()": "True", "&&": "and",
                       "||": "or"}.get(tok, tok))
        pos = m.end()
    value = eval(" ".join(py), {"__builtins__": {}})  # only True/False/and/or/()
    # Without a status function GitHub adds success() (its docs: "if").
    return bool(value) and (status_fn or not failed)


def check_paths(root, workdir, patterns, what):
    """Each pattern must match something in WORKDIR: 0 or 1 missing."""
    missing = 0
    for pat in patterns:
        pat = pat.strip()
        if not pat:
            continue
        found = glob.glob(os.path.join(root + workdir, pat.rstrip("/")))
        found = [f for f in found if not os.path.isdir(f) or os.listdir(f)]
        print("  %s %s: %s" % (what, pat, "%d found" % len(found) if found else "NOTHING"))
        missing += 0 if found else 1
    return missing


def run_github(doc, job_name, root, workdir, overrides):
    job = doc["jobs"][job_name]
    env = base_env(overrides, {**(doc.get("env") or {}), **(job.get("env") or {})})
    env["GITHUB_WORKSPACE"] = workdir
    failed, outcomes = False, {}
    for i, step in enumerate(job["steps"]):
        name = step.get("name") or step.get("uses") or "step %d" % (i + 1)
        if not github_should_run(step.get("if"), failed, outcomes):
            print("step %s: skipped" % name)
            outcomes[step.get("id", "")] = "skipped"
            continue
        if "run" in step:
            if "${{" in step["run"]:
                raise RecipeError("step %s: an expression in run: (use env)" % name)
            rc = shell(root, workdir, {**env, **(step.get("env") or {})}, step["run"])
            print("step %s: exit %d" % (name, rc))
            failed = failed or rc != 0
            outcomes[step.get("id", "")] = "success" if rc == 0 else "failure"
        elif str(step["uses"]).startswith("actions/checkout@"):
            print("step %s: the workspace is %s" % (name, workdir))
        else:
            inputs = step.get("with") or {}
            pats = []
            for key in ("report_paths", "path"):
                pats += str(inputs.get(key, "")).split("\n") if key in inputs else []
            if not pats:
                raise RecipeError("step %s: uses %s with no path input" % (name, step["uses"]))
            if check_paths(root, workdir, pats, "uses %s:" % step["uses"].split("@")[0]):
                print("step %s: its paths match nothing" % name)
                return 2
            print("step %s: inputs found" % name)
    return 1 if failed else 0


def flatten(lines):
    out = []
    for line in lines or []:
        out += flatten(line) if isinstance(line, list) else [str(line)]
    return out


def run_gitlab(doc, job_name, root, workdir, overrides):
    job = doc[job_name]
    env = base_env(overrides, {**(doc.get("variables") or {}), **(job.get("variables") or {})})
    env["CI_PROJECT_DIR"] = workdir
    script = flatten(job.get("before_script")) + flatten(job.get("script"))
    rc = shell(root, workdir, env, "\n".join(script))
    print("script: exit %d" % rc)
    if job.get("after_script"):
        print("after_script: exit %d" % shell(root, workdir, env, "\n".join(flatten(job["after_script"]))))
    art = job.get("artifacts") or {}
    when = art.get("when", "on_success")
    if when == "always" or (when == "on_failure") == (rc != 0):
        pats = list(art.get("paths") or [])
        junit = (art.get("reports") or {}).get("junit")
        pats += flatten([junit]) if junit else []
        # GitLab uploads what exists (a path matching nothing is a warning);
        # the recipe promises each on a failure, the reports always.
        want = pats if rc != 0 else flatten([junit]) if junit else []
        if check_paths(root, workdir, want, "artifact"):
            return 2
    return 1 if rc != 0 else 0


def main():
    if len(sys.argv) < 6:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    kind, path, job, root, workdir = sys.argv[1:6]
    overrides = dict(a.split("=", 1) for a in sys.argv[6:])
    with open(path) as f:
        doc = yaml.safe_load(f)
    try:
        return (run_github if kind == "github" else run_gitlab)(doc, job, root, workdir, overrides)
    except (RecipeError, KeyError) as e:
        print("recipe.py: %s: %s" % (path, e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
