"""ctests.py - the project's ctest tests, run one at a time the way ctest
would (command, working directory, environment, skip code), but in a
session of their own: a limit kills the whole process group, whatever
TIMEOUT the test sets (ctest's --timeout yields to that property), and
tests that share a RESOURCE_LOCK never run at once across workers.
"""
import json
import os
import signal
import subprocess
import threading
import time

_locks = {}
_locks_guard = threading.Lock()
_running = set()  # the process groups of the tests running now
stopping = threading.Event()
GRACE = 15  # seconds between SIGTERM and SIGKILL: matrix unmounts in it


class Stopped(Exception):
    """A signal stopped the tool."""


def tests_of(build):
    """[{name, command, labels, cwd, env, skip_rc, locks}] as ctest lists them."""
    out = subprocess.run(["ctest", "--test-dir", build, "--show-only=json-v1"],
                         capture_output=True, text=True, check=True).stdout
    found = []
    for t in json.loads(out)["tests"]:
        props = {p["name"]: p["value"] for p in t.get("properties", [])}
        env = dict(os.environ)
        for k in ("SNAPFORK_TEST_FILTER", "SNAPFORK_TEST_LIST"):  # a user's own: not ours
            env.pop(k, None)
        for kv in props.get("ENVIRONMENT", []):
            k, _, v = kv.partition("=")
            env[k] = v
        found.append({"name": t["name"], "command": t.get("command", []),
                      "labels": props.get("LABELS", []),
                      "cwd": props.get("WORKING_DIRECTORY", build), "env": env,
                      "skip_rc": props.get("SKIP_RETURN_CODE"),
                      "locks": sorted(props.get("RESOURCE_LOCK", []))})
    return found


UNIT_MARK = b"SNAPFORK_TEST_LIST"  # in a binary linked with suites/support/select.c


def units_of(test, log_path):
    """The cmocka tests of a test whose command is a binary linked with
    suites/support/select.c, by name, as the binary lists them (none
    for another command: a script, a test without the wrapper)."""
    cmd = test["command"]
    try:
        with open(cmd[0], "rb") as f:
            if UNIT_MARK not in f.read():
                return []
    except (OSError, IndexError):
        return []
    env = dict(test["env"], SNAPFORK_TEST_LIST="1")
    out = subprocess.run(cmd, cwd=test["cwd"], env=env, stdin=subprocess.DEVNULL,
                         capture_output=True, timeout=120).stdout.decode(errors="replace")
    names = []
    for line in out.split("\n"):
        if line.startswith("snapfork-test-unit: "):
            name = line.split(": ", 1)[1]
            if name not in names:
                names.append(name)
    with open(log_path, "w") as f:
        f.write(out)
    return names


def unit(test, name):
    """The test that runs only the cmocka test name of test's binary
    (named test:name), with the same command, directory and locks."""
    return dict(test, name="%s:%s" % (test["name"], name),
                env=dict(test["env"], SNAPFORK_TEST_FILTER=name))


def _lock(name):
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


def _end(p):
    """SIGTERM to the test's group (the harness's commands undo their
    mounts on it), SIGKILL after GRACE; the leader reaped."""
    try:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=GRACE)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        pass
    try:
        os.killpg(p.pid, signal.SIGKILL)  # and whatever the group still holds
    except ProcessLookupError:
        pass
    p.wait()


def stop_all():
    """On a signal to the tool: every running test ends (run() returns
    "stopped" for it) and none starts."""
    stopping.set()
    for pid in list(_running):
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def run(test, limit, log_path):
    """("pass"|"fail"|"skip"|"timeout"|"stopped"|"empty", seconds): the
    test's command in its own session, output to log_path, ended as a
    group at the limit; "empty": a unit (ctests.unit) whose name no
    group of its binary holds, so nothing ran."""
    held = [_lock(n) for n in test["locks"]]
    for lk in held:  # sorted names: no two workers wait on each other
        lk.acquire()
    try:
        if stopping.is_set():
            return "stopped", 0.0
        t0 = time.monotonic()
        with open(log_path, "w") as out:
            p = subprocess.Popen(test["command"], cwd=test["cwd"], env=test["env"],
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
            _running.add(p.pid)
            try:
                rc = p.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                rc = None
            _end(p)  # a finished test's stragglers too
            _running.discard(p.pid)
        secs = time.monotonic() - t0
    finally:
        for lk in reversed(held):
            lk.release()
    if stopping.is_set():
        return "stopped", secs
    if rc is None:
        return "timeout", secs
    if test["skip_rc"] is not None and rc == test["skip_rc"]:
        return "skip", secs
    only = test["env"].get("SNAPFORK_TEST_FILTER")
    if rc == 0 and only and not ran(log_path, only):
        return "empty", secs  # the filter matched no test: nothing was judged
    if rc == 0 and only and ran(log_path, only, "[  SKIPPED ] "):
        return "skip", secs  # cmocka exits 0 after skip()
    return ("pass" if rc == 0 else "fail"), secs


def ran(log_path, name, tag="[ RUN      ] "):
    """Did cmocka start the test name (its "[ RUN      ] name" line), or
    with tag "[  SKIPPED ] ", skip it?"""
    with open(log_path, errors="replace") as f:
        return ("%s%s\n" % (tag, name)) in f.read()
