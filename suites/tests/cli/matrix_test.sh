#!/usr/bin/env bash
# matrix_test.sh SNAPFORK DOUBLES - the matrix runner itself: every leg end to end
# and a failing one, a JUnit file that parses, and
# nothing left mounted or attached afterwards; without root, a clear error.
SF=$1 DOUBLES=$2
. "$(dirname "$0")/../tap.sh" mtest

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: snapfork matrix needs root (loop devices, mkfs, mount); not run"
	exit 77
fi
before_mounts=$(findmnt -rn -o TARGET | sort)
before_loops=$(losetup -a | sort)

"$SF" matrix --junit "$T/m.xml" --artifacts "$T/art" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok "matrix on every leg exits 0" || { bad "matrix exit $rc"; sed 's/^/# /' "$T/out" "$T/err" | tail -30; }
grep -q '^tmpfs .* skip ' "$T/out" && ok "tmpfs F12 is a skip, not a pass" || bad "tmpfs F12 cell"
grep -q 'tmpfs/.* F12 skip: pages stay resident' "$T/out" && ok "the skip says why" || bad "skip reason"
for leg in "xdev .*EXDEV" "immutable .*EPERM" "protected-hardlinks .*EPERM" "link-limit .*EMLINK"; do
	grep -q "^$leg" "$T/out" && ok "leg ${leg%% *} shows its fallback" || bad "fallback of ${leg%% *}"
done
grep -q '^enospc .*refused: ENOSPC' "$T/out" && ok "the enospc leg shows the fork refused with ENOSPC" || bad "enospc"
grep -q '^\[ *[0-9.]*s\] enospc' "$T/err" && ok "progress lines carry leg and elapsed time" || bad "progress"
python3 -c "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); assert len(d.getElementsByTagName('testsuite')) == 11" "$T/m.xml" \
	&& ok "JUnit XML parses, one testsuite per leg" || bad "JUnit XML"
grep -q 'name="kernel"' "$T/m.xml" && grep -q 'name="mkfs_options"' "$T/m.xml" && ok "JUnit properties name kernel and mkfs options" || bad "JUnit properties"
[ "$(findmnt -rn -o TARGET | sort)" = "$before_mounts" ] && ok "nothing left mounted" || bad "mounts left: $(findmnt -rn -o TARGET | grep snapfork)"
[ "$(losetup -a | sort)" = "$before_loops" ] && ok "no loop device left attached" || bad "loop devices left"
ls "${TMPDIR:-/var/tmp}" | grep -q '^snapfork-matrix\.' && bad "matrix scratch left in ${TMPDIR:-/var/tmp}" || ok "matrix scratch removed"

# A failing leg leaves what it takes to reproduce it.
# --json - is stdout: the table goes to stderr then.
"$SF" matrix --legs tmpfs --fork-cmd "$DOUBLES/broken-no-link.sh {src} {dst}" --artifacts "$T/art" --json - >"$T/m.json" 2>"$T/out"
rc=$?
[ $rc -eq 1 ] && ok "a broken fork fails the matrix (exit 1)" || bad "broken fork: exit $rc"
jq -e '.ok == false' "$T/m.json" >/dev/null && ok "--json - writes the report to stdout" || bad "--json -: $(head -c 300 "$T/m.json")"
grep -q '^tmpfs .* FAIL ' "$T/out" && ok "the table shows FAIL" || bad "no FAIL in the table"
grep -q "snapfork matrix --legs tmpfs --fork-cmd '$DOUBLES/broken-no-link.sh {src} {dst}'" "$T/out" && ok "it prints the command that reruns the leg" || bad "repro line"
# The printed rerun reruns the leg to the same verdict.
rerun=$(grep -A1 "rerun just this leg with:" "$T/out" | tail -1 | sed 's/^  snapfork /"$SF" /')
eval "$rerun --artifacts \"\$T/art3\"" >"$T/rerun.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q '^tmpfs .* FAIL ' "$T/rerun.out" && ok "the printed rerun fails the leg again (exit 1)" || bad "rerun ($rerun): exit $rc"
[ -s "$T/art/tmpfs.log" ] && ls "$T/art"/tmpfs-*.tar >/dev/null 2>&1 && ok "the leg's log and a tar of the kept trees are saved" || bad "artifacts: $(ls "$T/art" 2>&1)"
[ "$(findmnt -rn -o TARGET | sort)" = "$before_mounts" ] && ok "nothing left mounted after a failure" || bad "mounts left after failure"

expect_usage() { # a report that cannot be written: exit 2 before anything is made
	"$SF" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	[ $rc -eq 2 ] && grep -q "cannot write the report there" "$T/err" && ok "$1 $2 $3: exit 2 at once" || bad "$*: exit $rc: $(cat "$T/err")"
}
expect_usage matrix --junit /nonexistent/x.xml
expect_usage vmcheck --json /nonexistent/x.json
expect_usage kernels --junit /nonexistent/x.xml

# A leg that cannot be set up is an error, not a skip.
env PATH=/usr/bin:/bin "$SF" matrix --legs btrfs --artifacts "$T/art2" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && grep -q '^btrfs .*ERROR: mkfs.btrfs is not installed' "$T/out" && ok "a leg without its mkfs is an ERROR (exit 1)" || bad "setup error: exit $rc"

# SIGTERM in the middle of a leg: everything it mounted is undone.
"$SF" matrix --legs ext4,xfs-reflink >"$T/out" 2>"$T/err" &
pid=$!
for _ in $(seq 100); do findmnt -rn -o TARGET | grep -q snapfork-matrix && break; sleep 0.1; done
findmnt -rn -o TARGET | grep -q snapfork-matrix && ok "a leg was running (mounted)" || bad "the leg never mounted"
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 143 ] && ok "SIGTERM ends the matrix (exit 143)" || bad "after SIGTERM: exit $rc"
[ "$(findmnt -rn -o TARGET | sort)" = "$before_mounts" ] && ok "nothing left mounted after SIGTERM" || bad "mounts left after SIGTERM: $(findmnt -rn -o TARGET | grep snapfork)"
[ "$(losetup -a | sort)" = "$before_loops" ] && ok "no loop device left after SIGTERM" || bad "loop devices left after SIGTERM"
ls "${TMPDIR:-/var/tmp}" | grep -q '^snapfork-matrix\.' && bad "SIGTERM left the matrix scratch in ${TMPDIR:-/var/tmp}" || ok "SIGTERM removed the matrix scratch"

# As uid 65534, keeping only CAP_DAC_READ_SEARCH: it reaches $SF under a
# private "/" (some CI machines) and is no more root than before.
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+dac_read_search \
	--ambient-caps=+dac_read_search "$SF" matrix --legs ext4 >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 2 ] && grep -q "needs root" "$T/err" && ok "without root: exit 2 and says why" || bad "non-root: exit $rc"
"$SF" matrix --legs no-such-leg >"$T/out" 2>"$T/err"
[ $? -eq 2 ] && ok "an unknown leg is a usage error" || bad "unknown leg"

finish
