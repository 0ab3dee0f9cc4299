#!/usr/bin/env bash
# powercut_test.sh SNAPFORK SOURCE_DIR - snapfork powercut (CONTRACT.md
# C3, C4) on ext4 in a guest of a Debian kernel (this host has no
# device-mapper): broken-unsynced (renames before its copies are on the
# disk) fails C3 with its first bad state named, cp-ln (writes back with
# syncfs first) passes, and so does the library with --no-writeback's
# opposite, its default; --keep keeps the bad state's image.  On the host:
# usage errors, and a host without device-mapper is a setup error naming
# why.  Skips (exit 77, with the reason) only without QEMU or the mirror.
SF=$1 SRC=$2
. "$(dirname "$0")/../tap.sh" powercut
D=$SRC/suites/doubles

expect 2 "--fs names only ext4, xfs, btrfs" "$SF" powercut --fs zfs
has "$T/err" "zfs" "the unknown filesystem is named"
expect 2 "--durable goes with --fork-cmd" "$SF" powercut --durable
expect 2 "--keep must be a writable directory" "$SF" powercut --keep /nonexistent/x
if ! grep -qw device-mapper /proc/misc 2>/dev/null; then
	expect 2 "no device-mapper here: a setup error" "$SF" powercut --fs ext4
	has "$T/err" "cannot run here: .*device-mapper" "it says why and where to run it"
fi

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "skip: powercut: no qemu-system-x86_64 (Debian: qemu-system-x86)"; finish; exit 77
fi
K=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' | awk '{print $1}' | sort -V | tail -1)
if [ -z "$K" ] || ! "$SRC/suites/vm/kernel.sh" fetch "$K" "$(dirname "$SF")/../kernel-cache" >/dev/null 2>"$T/fetch.err"; then
	echo "skip: powercut: cannot fetch a Debian 6.1 kernel package: $(tail -1 "$T/fetch.err" 2>/dev/null)"; finish; exit 77
fi

# One guest, three runs of powercut on ext4 (the fork only, no --fsync
# twin: --fork-cmd runs the one command).  cp-ln runs from a copy of the
# doubles outside the source tree, put into the guest by --guest-file as a
# user's own fork would be.
q() { printf '%q' "$1"; }
cp -a "$D" "$T/mine"
cat >"$T/job.sh" <<JOB
run() { # NAME FORK-CMD [ARGS]
	n=\$1 c=\$2; shift 2
	$(q "$SF") powercut --fs ext4 --settle 3 --fork-cmd "\$c" --json "\$D/\$n.json" "\$@" >"\$D/\$n.txt" 2>&1
	echo \$? >"\$D/\$n.rc"
}
mkdir /tmp/keep
run unsynced $(q "$D/broken-unsynced.sh {src} {dst}") --keep /tmp/keep
ls -s /tmp/keep >"\$D/kept.txt" 2>&1
run cp-ln $(q "$T/mine/cp-ln.sh {src} {dst}")
run library $(q "$SF fork {src} {dst}")
JOB
t0=$SECONDS
"$SF" kernels --work "$T" --kernel "$K" --job "$T/job.sh" --leg-timeout 400 --boot-timeout 120 \
	--guest-file "$T/mine" --keep >"$T/kernels.txt" 2>&1
rc=$?
R=$(sed -n 's/^kept: \([^ ]*\).*/\1/p' "$T/kernels.txt")
R=$(ls -d "$R"/1-* 2>/dev/null | head -1)
if [ $rc -ne 0 ] || [ -z "$R" ]; then
	bad "the guest job: exit $rc"; sed 's/^/# /' "$T/kernels.txt"; finish; exit
fi
ok "one guest ran the three forks in $((SECONDS - t0)) s"
show() { sed 's/^/# /' "$R/$1.txt"; }

if [ "$(cat "$R/unsynced.rc")" = 1 ] &&
	jq -e '.rows[0].rules.C3.result == "fail" and .rows[0].torn > 0 and .rows[0].first_bad_entry != null' \
		"$R/unsynced.json" >/dev/null; then
	ok "broken-unsynced fails C3 on ext4: $(jq -r '.rows[0] | "\(.torn) torn of \(.judged) states"' "$R/unsynced.json")"
else bad "broken-unsynced was not caught (exit $(cat "$R/unsynced.rc"))"; show unsynced; fi
has "$R/unsynced.txt" "first bad state: log entry [0-9]* (after the fork returned): DST exists but is not a whole fork" \
	"the first bad state is named with its log entry and what was wrong"
has "$R/kept.txt" "ext4-fork-cmd-qemu-cycles-entry[0-9]*\.img" "--keep kept the bad state's disk image"
for n in cp-ln library; do
	if [ "$(cat "$R/$n.rc")" = 0 ] &&
		jq -e '.rows[0].rules.C3.result == "pass" and .rows[0].torn == 0 and .rows[0].judged > 1' \
			"$R/$n.json" >/dev/null; then
		ok "$n holds C3 on ext4: $(jq -r '.rows[0] | "\(.absent) absent, \(.complete) complete of \(.judged) states"' "$R/$n.json")$([ $n = cp-ln ] && echo ", from a --guest-file copy")"
	else bad "$n: exit $(cat "$R/$n.rc")"; show "$n"; fi
done
rm -rf "$(dirname "$R")"
finish
