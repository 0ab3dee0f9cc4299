#!/usr/bin/env bash
# kernels_test.sh SNAPFORK SOURCE_DIR - snapfork kernels' own behaviour on
# a real Debian kernel under QEMU: a guest that panics and one that hangs
# become ERROR rows within their time limits (with the console's last
# lines), a job that works passes, a kernel image that does not exist is
# an ERROR, SIGTERM mid-run stops QEMU and removes the work, --list/--only/
# usage, junit-merge; nothing left running.
# Skips (exit 77, with the reason) only without QEMU or Debian's mirror.
SF=$1 SRC=$2
. "$(dirname "$0")/../tap.sh" kernels

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "skip: kernels: no qemu-system-x86_64 (Debian: qemu-system-x86)"; exit 77
fi
K=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' | awk '{print $1}' | sort -V | tail -1)
if [ -z "$K" ] || ! "$SRC/suites/vm/kernel.sh" fetch "$K" "$(dirname "$SF")/../kernel-cache" >/dev/null 2>"$T/fetch.err"; then
	echo "skip: kernels: cannot fetch a Debian 6.1 kernel package: $(tail -1 "$T/fetch.err" 2>/dev/null)"; exit 77
fi
W=$T/work
mkdir -p "$W"
qemus() { pgrep -f "qemu-system-x86_64.*$T" || true; }

run_job() { # run_job NAME SCRIPT LEG_TIMEOUT -> exit status, JSON in $T/NAME.json, seconds in $secs
	printf '%s\n' "$2" >"$T/$1.sh"
	local t0=$SECONDS
	"$SF" kernels --work "$W" --kernel "$K" --job "$T/$1.sh" --leg-timeout "$3" --boot-timeout 120 \
		--json "$T/$1.json" --junit "$T/$1.xml" >"$T/$1.txt" 2>&1
	local rc=$?
	secs=$((SECONDS - t0))
	drop_kept "$T/$1.txt"
	return $rc
}

# A failing run keeps its work directory (its logs) and names it: check
# that it holds the logs the errors point at, then remove it.
drop_kept() { # drop_kept OUTPUT
	local kept
	kept=$(sed -n 's/^kept: \([^ ]*\).*/\1/p' "$1")
	[ -n "$kept" ] || return 0
	if [ -n "$(find "$kept" -name console.log -o -name job.log | head -1)" ]; then
		ok "a failing run keeps its logs: $(basename "$kept")"
	else bad "kept $kept without its logs"; fi
	rm -rf "$kept"
}

run_job ok 'echo hello >"$D/hello"; uname -r' 60
rc=$?
if [ $rc -eq 0 ] && jq -e '.ok and (.kernels[0].uname | startswith("6.1.0"))' "$T/ok.json" >/dev/null; then
	ok "a job that works: exit 0, uname $(jq -r '.kernels[0].uname' "$T/ok.json") in the report (${secs} s)"
else bad "a working job: exit $rc"; sed 's/^/# /' "$T/ok.txt"; fi

run_job panic 'echo c >/proc/sysrq-trigger; sleep 600' 60
rc=$?
err=$(jq -r '.kernels[0].error' "$T/panic.json")
case $err in
*"QEMU exited"*"the kernel panicked: Kernel panic"*) [ $rc -eq 1 ] && [ $secs -lt 90 ] && ok "a panicking guest is an ERROR in ${secs} s, with its console" ||
	bad "panic: exit $rc in ${secs} s" ;;
*) bad "panic: exit $rc, error: $err" ;;
esac
grep -q 'errors="1"' "$T/panic.xml" && ok "the panic is a JUnit <error>" || bad "panic: no JUnit error"

run_job hang 'sleep 600' 15
rc=$?
err=$(jq -r '.kernels[0].error' "$T/hang.json")
case $err in
*"did not finish within 15 s"*) [ $rc -eq 1 ] && [ $secs -lt 80 ] && ok "a hanging guest is an ERROR after its 15 s limit (${secs} s in all)" ||
	bad "hang: exit $rc in ${secs} s" ;;
*) bad "hang: exit $rc, error: $err" ;;
esac

# SIGTERM while a guest runs: QEMU stopped, work removed, exit 143.
printf 'sleep 600\n' >"$T/long.sh"
"$SF" kernels --work "$W" --kernel "$K" --job "$T/long.sh" --leg-timeout 300 >"$T/term.txt" 2>&1 &
pid=$!
for _ in $(seq 1 60); do [ -n "$(qemus)" ] && break; sleep 1; done
sleep 5
kill -TERM $pid
wait $pid
rc=$?
sleep 1
[ $rc -eq 143 ] && [ -z "$(qemus)" ] && [ -z "$(ls -A "$W")" ] && [ -z "$(ls -d /tmp/snapfork-kernel-* 2>/dev/null)" ] &&
	ok "SIGTERM while a guest runs: exit 143, no QEMU, no files" ||
	bad "SIGTERM: exit $rc, QEMUs [$(qemus)], files [$(ls -A "$W")]"

printf 'not a kernel' >"$T/bzImage"
"$SF" kernels --work "$W" --kernel "$T/bzImage" --modules "$T" --job "$T/ok.sh" --boot-timeout 30 \
	--json "$T/bad.json" >"$T/bad.txt" 2>&1
rc=$?
drop_kept "$T/bad.txt"
[ $rc -eq 1 ] && jq -e '.kernels[0].error != null' "$T/bad.json" >/dev/null &&
	ok "a kernel that cannot boot is an ERROR: $(jq -r '.kernels[0].error' "$T/bad.json" | cut -c1-100)" ||
	bad "bad kernel: exit $rc"

# Jobs for a CI matrix.
"$SF" kernels --kernel host --kernel "$K" --legs ext4,tmpfs --list --json - >"$T/list.json"
n=$(jq length "$T/list.json")
[ "$n" -eq 6 ] && jq -e '.[0] | .kernel == "host" and .leg == "check" and .only == "host:check"' "$T/list.json" >/dev/null &&
	ok "--list --json: 2 kernels x (check + 2 legs) = 6 jobs" || bad "--list: $n jobs"
"$SF" kernels --kernel host --kernel "$K" --list --json - >"$T/all.json"
jq -e --arg k "$K" '([.[] | select(.kernel == "host" and (.leg | startswith("powercut")))] | length) == 0 and
	([.[] | select(.kernel == $k and (.leg | startswith("powercut-")))] | map(.leg) | sort) ==
	["powercut-btrfs", "powercut-ext4", "powercut-xfs"]' "$T/all.json" >/dev/null &&
	ok "--list: a guest kernel has the three powercut legs, the host none unless named" ||
	bad "--list: powercut legs: $(jq -c 'map(.leg)' "$T/all.json")"
expect 2 "--accel takes auto, kvm or tcg" "$SF" kernels --kernel host --accel hvf
expect 2 "--durable goes with --fork-cmd" "$SF" kernels --kernel host --durable
expect 2 "--guest-file takes an absolute path" "$SF" kernels --kernel host --guest-file relative/fork
expect 2 "--guest-file must be readable" "$SF" kernels --kernel host --guest-file /nonexistent/fork
# --junit - is stdout: the XML alone there, the table on stderr.
printf 'echo hi\n' >"$T/hi.sh"
(cd "$T" && "$SF" kernels --kernel host --job "$T/hi.sh" --work "$W" --junit - >"$T/hj.xml" 2>"$T/hj.err")
rc=$?
if [ $rc -eq 0 ] && python3 -c "import sys, xml.dom.minidom as m; m.parse(sys.argv[1])" "$T/hj.xml" &&
	grep -q '(--job) *job exited 0' "$T/hj.err" && [ ! -e "$T/-" ]; then
	ok "--junit - writes the XML to stdout and the table to stderr"
else bad "--junit -: exit $rc"; sed 's/^/# /' "$T/hj.xml" "$T/hj.err" | head; fi
"$SF" kernels --kernel host --kernel "$K" --legs powercut --list --json - >"$T/pc.json"
want='["check","powercut-btrfs","powercut-ext4","powercut-xfs"]'
[ -e /dev/mapper/control ] || want_host='["check"]'
jq -e --arg k "$K" --argjson w "$want" --argjson h "${want_host:-$want}" \
	'([.[] | select(.kernel == $k) | .leg] | sort) == $w and ([.[] | select(.kernel == "host") | .leg] | sort) == $h' \
	"$T/pc.json" >/dev/null && ok "--legs powercut names the three legs (the host without device-mapper: none)" ||
	bad "--legs powercut: $(jq -c 'map(.only)' "$T/pc.json")"
if ! { [ -w /dev/kvm ] && grep -qwE "vmx|svm" /proc/cpuinfo; }; then
	expect 2 "--accel kvm without KVM is refused before anything runs" "$SF" kernels --kernel "$K" --accel kvm
	has "$T/err" "/dev/kvm" "the refusal names /dev/kvm"
	jq -e '.kernels[0].accel == "tcg"' "$T/ok.json" >/dev/null && grep -q 'name="accel" value="tcg"' "$T/ok.xml" &&
		grep -q "guests run under TCG (/dev/kvm" "$T/ok.txt" &&
		ok "auto fell back to TCG: said first, in the JSON and the JUnit" ||
		bad "accel: $(jq -c '.kernels[0].accel' "$T/ok.json")"
fi
expect 2 "--only without a leg is a usage error" "$SF" kernels --kernel host --only host
expect 2 "an unknown leg is a usage error" "$SF" kernels --kernel host --legs ext5
expect 2 "--mem 0 is a usage error" "$SF" kernels --mem 0

# junit-merge: every suite of each input, in one file.
"$SF" junit-merge "$T/merged.xml" "$T/ok.xml" "$T/panic.xml" >"$T/out" 2>&1
if python3 -c 'import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1]).getroot(); sys.exit(len(r.findall("testsuite")) != 2)' "$T/merged.xml"; then
	ok "junit-merge: the suites of both inputs, well-formed"
else bad "junit-merge"; sed 's/^/# /' "$T/merged.xml" | head; fi
expect 1 "junit-merge names an input that is not JUnit" "$SF" junit-merge "$T/m2.xml" "$T/ok.sh"
has "$T/err" "ok.sh" "the error names the file"
cp "$T/merged.xml" "$T/keep.xml"
expect 1 "junit-merge with a missing input" "$SF" junit-merge "$T/merged.xml" "$T/ok.xml" "$T/no-such.xml"
cmp -s "$T/merged.xml" "$T/keep.xml" && [ ! -e "$T/merged.xml.partial" ] && ok "a failed merge leaves OUT as it was" || bad "a failed merge changed OUT"
cd "$T"
expect 2 "junit-merge --bogus is a usage error" "$SF" junit-merge --bogus ok.xml
cd - >/dev/null
[ ! -e "$T/--bogus" ] && [ ! -e "$T/--bogus.partial" ] && ok "junit-merge makes no file named --bogus" || bad "junit-merge wrote --bogus"

[ -z "$(qemus)" ] && [ -z "$(ls -A "$W")" ] && ok "nothing left running or on disk" ||
	bad "left behind: QEMUs [$(qemus)], files [$(ls -A "$W")]"
finish
