#!/usr/bin/env bash
# children_test.sh SNAPFORK - the harness's processes from the outside:
# a fork command that hangs fails its row naming the limit (and the run
# goes on); one that cannot be run is a setup error; a check, a kernels
# run and a generation interrupted by SIGTERM/SIGINT/SIGHUP leave no
# process and no scratch and exit 128+N; kernels refuses an unreadable
# --job before it runs anything; vmcheck whose first template cannot boot
# harms nothing (it once unlinked /qmp.sock as root); check --generate
# runs as an unprivileged user with the device dimensions named as out.
SF=$1
. "$(dirname "$0")/../tap.sh" children
export TMPDIR=$T/tmp
mkdir -p "$TMPDIR"

ours() { pgrep -f -- "$T" | grep -v "^$$\$" || true; } # processes naming our scratch

# A plausible first try at a fork: cp reads the planted FIFO forever.
HANG='cp -r --copy-contents {src} {dst}'
t0=$SECONDS
"$SF" check --fixture ch-raw --fork-cmd "$HANG" --fork-timeout 3 --json "$T/hang.json" >"$T/hang.txt" 2>&1
rc=$?
secs=$((SECONDS - t0))
if [ $rc -eq 1 ] && [ $secs -lt 120 ] &&
	jq -e '[.rows[] | select(.fixture == "refusal:ch-raw") | .rules.F13.result] == ["fail"]' "$T/hang.json" >/dev/null; then
	ok "a fork that hangs on the refusal FIFO: its row fails, the run ends (exit 1 in ${secs} s)"
else bad "hanging fork: exit $rc in ${secs} s"; sed 's/^/# /' "$T/hang.txt" | tail -20; fi
has "$T/hang.txt" "did not finish within 3 s (--fork-timeout)" "the FAIL names the limit"
jq -e '[.rows[].fixture] | index("refusal-device:ch-raw") != null' "$T/hang.json" >/dev/null &&
	ok "the run went on to the next row" || bad "no row after the hanging one"
[ -z "$(ours)" ] && ok "nothing of the hanging fork is left running" || bad "left running: $(ours)"
rm -rf "${TMPDIR:?}"/*

expect 2 "a fork command that is not there is a setup error" \
	"$SF" check --fixture ch-raw --fork-cmd "$T/no-such-fork {src} {dst}"
has "$T/err" "cannot be run (exit 127" "...named up front with its exit status"
printf '#!/bin/sh\nexit 0\n' >"$T/noexec.sh"
expect 2 "a fork command that is not executable is a setup error" \
	"$SF" check --fixture ch-raw --fork-cmd "$T/noexec.sh {src} {dst}"
expect 2 "--fork-timeout 0 is a usage error" "$SF" check --fork-cmd "$HANG" --fork-timeout 0

# Interrupted: children killed, scratch removed, 128 + the signal.
interrupt() { # interrupt SIG WANT NAME CMD...
	local sig=$1 want=$2 name=$3
	shift 3
	"$@" >"$T/int.txt" 2>&1 &
	local pid=$!
	sleep 3
	kill "-$sig" $pid
	wait $pid
	local rc=$?
	sleep 0.5
	local left
	left=$(ls -A "$TMPDIR")
	if [ $rc -eq "$want" ] && [ -z "$(ours)" ] && [ -z "$left" ]; then
		ok "$name: SIG$sig: exit $rc, nothing left running or in scratch"
	else
		bad "$name: SIG$sig: exit $rc (want $want), running [$(ours)], scratch [$left]"
		sed 's/^/# /' "$T/int.txt" | tail -5
	fi
	rm -rf "${TMPDIR:?}"/*
}
interrupt TERM 143 "check in a hanging fork" "$SF" check --fixture ch-raw --fork-cmd "$HANG"
interrupt INT 130 "check in a hanging fork" "$SF" check --fixture ch-raw --fork-cmd "$HANG"
interrupt HUP 129 "check --generate" "$SF" check --generate 100000 --seed 1 --fork-cmd "cp -a {src} {dst}"
interrupt TERM 143 "check --generate of the library" "$SF" check --generate 100000 --seed 2
printf 'sleep 120\n' >"$T/sleep.sh"
interrupt TERM 143 "kernels on the host in a job" "$SF" kernels --kernel host --job "$T/sleep.sh" --work "$TMPDIR"
interrupt TERM 143 "kernels on the host in a hanging leg" "$SF" kernels --kernel host --legs tmpfs \
	--fork-cmd "$HANG" --work "$TMPDIR"

# kernels: inputs checked before anything runs.
printf 'echo hi\n' >"$T/job.sh"
chmod 000 "$T/job.sh"
if [ "$(id -u)" -ne 0 ]; then
	expect 2 "kernels: an unreadable --job is refused" "$SF" kernels --kernel host --job "$T/job.sh"
elif setpriv --reuid=65534 --regid=65534 --clear-groups "$SF" --help >/dev/null 2>&1; then
	chmod 0755 "$T" # the file's own mode is what stops it, not $T's
	expect 2 "kernels: an unreadable --job is refused" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$SF" kernels --kernel host --job "$T/job.sh"
	has "$T/err" "job.sh: --job: cannot read it" "...naming the path and the reason"
else
	echo "skip: children: an unreadable --job: nobody cannot run $SF here (a private directory above it)"
fi
expect 2 "kernels: a --job that does not exist is refused" "$SF" kernels --kernel host --job "$T/nope.sh"
has "$T/err" "nope.sh: --job: cannot read it" "...naming the path and the reason"
expect 2 "kernels: --modules that is not a directory is refused" \
	"$SF" kernels --kernel "$T/job.sh" --modules "$T/nope"

# vmcheck whose templates cannot boot: a setup error (exit 3), and the
# second template, never started, closes nothing and unlinks nothing.
printf '#!/bin/sh\ncase "$1" in --version) echo "QEMU emulator version 7.2.0";; *) echo "bogus qemu: refusing" >&2; exit 1;; esac\n' >"$T/qemu"
chmod +x "$T/qemu"
: >"$T/vmlinuz"
: >"$T/initrd"
markers=
if [ "$(id -u)" -eq 0 ] && [ ! -e /qmp.sock ] && [ ! -e /serial.sock ]; then
	markers=1
	trap 'rm -f /qmp.sock /serial.sock; chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
	: >/qmp.sock
	: >/serial.sock
fi
expect 3 "vmcheck: a QEMU that cannot start the first template is a setup error" \
	"$SF" vmcheck --qemu "$T/qemu" --kernel "$T/vmlinuz" --initrd "$T/initrd" --work "$TMPDIR"
has "$T/err" "bogus qemu: refusing" "...with QEMU's own words"
if [ -n "$markers" ]; then
	[ -e /qmp.sock ] && [ -e /serial.sock ] && ok "vmcheck: /qmp.sock and /serial.sock untouched" ||
		bad "vmcheck unlinked files in /"
	rm -f /qmp.sock /serial.sock
fi
[ -z "$(ls -A "$TMPDIR")" ] && ok "vmcheck: its work directory removed" || bad "vmcheck left $(ls -A "$TMPDIR")"

# Generation as an unprivileged user: mknod is probed, the device
# dimensions are out (named), the others all hit.
if [ "$(id -u)" -ne 0 ]; then
	run_as() { "$@"; }
elif setpriv --reuid=65534 --regid=65534 --clear-groups "$SF" --help >/dev/null 2>&1; then
	run_as() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	chmod 0777 "$TMPDIR"
	chmod 0755 "$T"
else
	echo "skip: children: check --generate as nobody: $SF is not reachable by nobody (its directory is private)"
fi
if [ -n "$(type -t run_as)" ]; then
	run_as env TMPDIR="$TMPDIR" "$SF" check --generate 200 --seed 7 >"$T/gen.txt" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q "every MUST rule holds" "$T/gen.txt"; then
		ok "check --generate 200 as an unprivileged user: every layout built and judged"
	else bad "generate as nobody: exit $rc"; tail -20 "$T/gen.txt" | sed 's/^/# /'; fi
	has "$T/gen.txt" "out: entry type: character device (refused) (mknod fails here" "the device dimensions are out, with the reason"
	hit=$(sed -n 's/^dimensions hit: \([0-9]*\)\/\([0-9]*\).*/\1 \2/p' "$T/gen.txt")
	[ -n "$hit" ] && [ "${hit% *}" = "${hit#* }" ] && ok "every drawable dimension hit ($hit)" || bad "dimensions hit: $hit"
	[ -z "$(ls -A "$TMPDIR")" ] && ok "generate as nobody: scratch removed" || bad "left: $(ls -A "$TMPDIR")"
fi
finish
