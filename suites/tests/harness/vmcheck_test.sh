#!/usr/bin/env bash
# vmcheck_test.sh SNAPFORK DOUBLES GUEST_DIR - snapfork vmcheck with a real
# QEMU (TCG): the library passes every round with every control detected;
# broken doubles fail by the rule they break (one writes through the shared
# mem-file, one truncates it, one leaves an empty raw mem-file for a
# compressed snapshot, one copies where it must link); SIGTERM mid-run
# leaves no QEMU and no files; setup errors name what is missing.
# Skips (exit 77, with the reason) only where the machine has no QEMU or
# no guest could be made (suites/vm/guest.sh needs Debian's mirror).
SF=$1 D=$2 G=$3
. "$(dirname "$0")/../tap.sh" vmcheck

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "skip: vmcheck: no qemu-system-x86_64 (Debian: qemu-system-x86; suites/run installs it)"
	exit 77
fi
# The guest the build tree's vmcheck uses (what it would make on first
# use): made here, once, so that a mirror that cannot be reached is a
# stated skip, not a failing row.
if [ ! -r "$G/vmlinuz" ] || [ ! -r "$G/initrd.img" ]; then
	"$(dirname "$0")/../../vm/guest.sh" "$G" >"$T/guest.log" 2>&1 || {
		echo "skip: vmcheck: no guest in $G (suites/vm/guest.sh could not make it: $(tail -1 "$T/guest.log"))"
		exit 77
	}
fi
W=$T/work
mkdir -p "$W"

# Our QEMUs: those whose command line names the scratch directory.
qemus() { pgrep -f "qemu-system-x86_64.*$T" || true; }

# Rules (name:result) of a row in vmcheck's JSON, sorted, e.g. "intact:fail resume:fail".
row_fails() { # row_fails JSON ROW
	jq -r --arg r "$2" '.rows[] | select(.name == $r) | .rules | to_entries[]
		| select(.value.result == "fail") | .key' "$1" | sort | tr '\n' ' ' | sed 's/ $//'
}

# The library: every round passes, every control detected.
"$SF" vmcheck --work "$W" --json "$T/lib.json" --junit "$T/lib.xml" >"$T/lib.txt" 2>&1
rc=$?
if [ $rc -eq 0 ] && jq -e '.ok and ([.rows[] | select(.control_fails) | .detected] | all)' "$T/lib.json" >/dev/null; then
	ok "library: every round passes, every control detected ($(grep -o 'whole run [0-9.]* s' "$T/lib.txt"))"
else
	bad "library: exit $rc"; sed 's/^/# /' "$T/lib.txt" | head -60
fi
for row in link copy compressed; do
	if jq -e --arg r "$row" '.rows[] | select(.name == $r) | .rules | length == 8 and ([.[].result] | all(. == "pass"))' \
		"$T/lib.json" >/dev/null; then ok "library: $row: all 8 rules judged and passed"; else
		bad "library: $row: $(jq -c --arg r "$row" '.rows[] | select(.name == $r) | .rules | map_values(.result)' "$T/lib.json")"; fi
done
if python3 -c 'import sys, xml.etree.ElementTree as E; s = E.parse(sys.argv[1]).getroot()[0]; sys.exit(int(s.get("failures")) != 0 or int(s.get("tests")) < 24)' "$T/lib.xml"; then
	ok "library: JUnit parses, no failures"
else bad "library: JUnit"; head -20 "$T/lib.xml" | sed 's/^/# /'; fi
has "$T/lib.txt" "backing store size" "the truncated control shows QEMU's own error"
has "$T/lib.txt" "timings: templates boot" "phase timings printed"

# Broken doubles: the rule each breaks, exactly, in the round it breaks it.
while IFS='|' read -r double round want; do
	[ -n "$double" ] || continue
	"$SF" vmcheck --work "$W" --rounds "$round" --fork-cmd "$D/broken-$double.sh {src} {dst}" \
		--json - >"$T/d.json" 2>"$T/d.txt" # - is stdout: the table on stderr
	rc=$?
	got=$(row_fails "$T/d.json" "$round")
	detected=$(jq '[.rows[] | select(.control_fails) | .detected] | all' "$T/d.json")
	if [ $rc -eq 1 ] && [ "$got" = "$want" ] && [ "$detected" = true ] && grep -q "FAIL (" "$T/d.txt"; then
		ok "broken-$double: $round fails [$got], controls detected"
	else
		bad "broken-$double: exit $rc, $round failed [$got], expected [$want]; controls detected: $detected"
		sed 's/^/# /' "$T/d.txt" | head -40
	fi
done <<'LIST'
writes-mem|link|intact
trim-mem|link|intact resume
empty-raw|compressed|mem-file resume
no-link|link|mem-file
LIST

# SIGTERM while the templates boot: exit 143, no QEMU left, no files.
"$SF" vmcheck --work "$W" >"$T/sig.txt" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -n "$(qemus)" ] && break; sleep 0.1; done
sleep 1
kill -TERM $pid
wait $pid
rc=$?
sleep 0.5
if [ $rc -eq 143 ] && [ -z "$(qemus)" ] && [ -z "$(ls -A "$W")" ]; then
	ok "SIGTERM: exit 143, every QEMU reaped, the work directory removed"
else
	bad "SIGTERM: exit $rc; QEMUs left: [$(qemus)]; files left: [$(ls -A "$W")]"
	cat "$T/sig.txt" | sed 's/^/# /'
	pkill -KILL -f "qemu-system-x86_64.*$T"
fi

# Setup errors name what is missing; usage errors exit 2.
expect 3 "a missing kernel is an error, never a pass" "$SF" vmcheck --work "$W" --kernel "$T/none" --initrd "$G/initrd.img"
has "$T/err" "$T/none" "the error names the missing kernel"
expect 3 "a missing QEMU is an error" "$SF" vmcheck --work "$W" --qemu "$T/no-qemu"
has "$T/err" "QEMU not found" "the error says QEMU is missing"
expect 2 "--forks 9 is a usage error" "$SF" vmcheck --forks 9
expect 2 "--accel takes auto, kvm or tcg" "$SF" vmcheck --accel hvf
# The accelerator: KVM where /dev/kvm opens read-write, TCG with the reason.
if ! { [ -w /dev/kvm ] && grep -qwE "vmx|svm" /proc/cpuinfo; }; then
	expect 2 "--accel kvm without KVM is refused" "$SF" vmcheck --accel kvm
	has "$T/err" "/dev/kvm" "the refusal names /dev/kvm and why"
	jq -e '.accel == "tcg" and (.accel_reason | test("/dev/kvm"))' "$T/lib.json" >/dev/null &&
		grep -q 'name="accel" value="tcg"' "$T/lib.xml" &&
		grep -q "TCG (/dev/kvm" "$T/lib.txt" &&
		ok "auto fell back to TCG: said in the header, the JSON and the JUnit" ||
		bad "accel: $(jq -c '{accel, accel_reason}' "$T/lib.json")"
else
	jq -e '.accel == "kvm"' "$T/lib.json" >/dev/null && ok "auto chose KVM where /dev/kvm opens" ||
		bad "accel with /dev/kvm: $(jq -c .accel "$T/lib.json")"
fi
expect 2 "--kernel without --initrd is a usage error" "$SF" vmcheck --kernel "$G/vmlinuz"
expect 2 "a fork command without {dst} is a usage error" "$SF" vmcheck --fork-cmd "cp -a {src}"

if [ -z "$(qemus)" ] && [ -z "$(ls -A "$W")" ]; then ok "nothing left running or on disk"; else
	bad "left behind: QEMUs [$(qemus)], files [$(ls -A "$W")]"; fi
finish
