#!/usr/bin/env bash
# package_test.sh DEB [--full] - the Debian package in a fresh Debian 12
# root (debootstrap --variant=minbase from the host's mirror), as a user
# and as examples/ci's recipes meet it (suites/tests/package/README.md):
#  - the GitHub recipe's check job, run from the YAML (recipe.py) with a
#    correct double: its install step is `apt-get install` of DEB, which
#    must bring every dependency; the job passes, its reports are there;
#  - the package's commands with no build tree anywhere: fixture list,
#    check (the main job), check --fork-cmd --generate 50, man pages that
#    list the CLI's options, bash completion, the messages naming the
#    package a command lacks, vmcheck's guest made on first use into
#    /var/cache/snapfork;
#  - the GitHub recipe with a broken double: the job fails, the shrunk
#    fixture and the kept trees are where its upload step looks, and the
#    shrunk fixture reruns to the same verdict; the GitLab job both ways;
#  - --full: the recipes' vmcheck jobs too (QEMU installed in the root).
# Each recipe starts from a fresh copy of the root: its install step must
# bring every dependency itself.
# Root only (debootstrap, chroot, mounts): exit 77 with the reason
# elsewhere.  Everything runs in a private mount namespace: the root's
# /proc and /dev go with it, whatever way this script ends.
set -euo pipefail
deb=$(readlink -f "${1:?usage: package_test.sh DEB [--full]}")
shift
full=${1:-}
src=$(cd "$(dirname "$0")/../../.." && pwd)
here=$src/suites/tests/package
skip() { echo "skip: package: $*"; exit 77; }
[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (Debian package debootstrap)"
/usr/bin/python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
if [ -z "${SNAPFORK_PACKAGE_NS:-}" ]; then
	exec env SNAPFORK_PACKAGE_NS=1 unshare --mount --propagation private "$0" "$deb" "$@"
fi

fails=0
ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
work=$(readlink -f "$(mktemp -d "${SNAPFORK_TEST_DIR:-/var/tmp}/snapfork-package.XXXXXX")")
# On every exit: the step running stopped, whatever still runs in the root
# killed, its mounts undone, the root removed (set +e: each step of this
# runs whatever the one before it met).
cleanup() {
	set +e
	local p
	kill $(jobs -p) 2>/dev/null
	for p in /proc/[0-9]*; do
		case $(readlink "$p/root" 2>/dev/null) in "$work"/*) kill -9 "${p#/proc/}" 2>/dev/null ;; esac
	done
	for r in "$work"/root-*; do
		umount -R "$r/dev" "$r/proc" 2>/dev/null
	done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 143' TERM INT HUP
# Long steps run in the background and are waited for, so that a signal is
# answered at once (bash runs a trap only after a foreground child ends).
bg() { "$@" & wait $!; }
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	LANG=C.UTF-8 "$@"; }

# The mirror the host's apt uses (a deb822 URIs: line or a sources.list one).
mirror=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' |
	grep -v security | head -1)
[ -n "$mirror" ] || mirror=$(grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}' | head -1)
mirror=${mirror:-http://deb.debian.org/debian}
t0=$SECONDS
pristine=$work/pristine
if ! bg debootstrap --variant=minbase bookworm "$pristine" "$mirror" >"$work/debootstrap.log" 2>&1; then
	tail -5 "$work/debootstrap.log"
	echo "FAIL: debootstrap bookworm from $mirror"
	exit 1
fi
echo "debootstrap: $((SECONDS - t0)) s ($mirror)"
cp -L /etc/resolv.conf "$pristine/etc/resolv.conf" 2>/dev/null || true
# The host's apt sources (updates and security too, as an installed Debian
# 12 has them; debootstrap writes the release alone) and settings.
cp -a /etc/apt/apt.conf.d/. "$pristine/etc/apt/apt.conf.d/" 2>/dev/null || true
if ls /etc/apt/sources.list.d/*.sources >/dev/null 2>&1 || [ -s /etc/apt/sources.list ]; then
	rm -f "$pristine/etc/apt/sources.list"
	cp /etc/apt/sources.list "$pristine/etc/apt/" 2>/dev/null || true
	cp /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list \
		"$pristine/etc/apt/sources.list.d/" 2>/dev/null || true
fi
mkdir -p "$pristine/pkg" "$pristine/ws"
cp "$deb" "$pristine/pkg/"
pkg=/pkg/$(basename "$deb")
# fresh_root NAME: a copy of the pristine root, nothing installed yet, with
# /proc and /dev; the one before is removed.  Each recipe installs the
# package into a root of its own: its install step must bring every
# dependency itself.
fresh_root() {
	if [ -n "${root:-}" ]; then
		umount -R "$root/dev" "$root/proc"
		rm -rf --one-file-system "$root"
	fi
	root=$work/root-$1
	cp -a "$pristine" "$root"
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
}
root=
good='/usr/share/snapfork/doubles/cp-ln.sh {src} {dst}'
broken='/usr/share/snapfork/doubles/broken-follow.sh {src} {dst}'
common=(SNAPFORK_DEB="$pkg" SNAPFORK_LAYOUTS=20 "SNAPFORK_CHECK_ARGS=--exclude deep")

# recipe KIND FILE JOB EXPECT FORK: run it from a clean workspace.
recipe() {
	rm -rf "$root/ws/snapfork-out"
	local rc=0
	bg /usr/bin/python3 "$here/recipe.py" "$1" "$src/examples/ci/$2" "$3" "$root" /ws \
		"${common[@]}" "FORK_CMD=$5" GITHUB_RUN_NUMBER=7 CI_PIPELINE_IID=7 \
		>"$work/recipe.log" 2>&1 || rc=$?
	sed 's/^/    /' "$work/recipe.log" | grep -v '^    \(ok\|pass\) ' | tail -25
	if [ "$rc" -eq "$4" ]; then ok "$2 $3 with ${5%% *}: exit $rc"; else bad "$2 $3 with ${5%% *}: exit $rc, not $4"; fi
}

echo "== the GitHub recipe's check job, correct double (installs the package)"
fresh_root github
recipe github github-actions.yml check 0 "$good"
for f in fixtures.xml layouts.xml; do
	[ -s "$root/ws/snapfork-out/$f" ] && ok "report $f" || bad "no report $f"
done
[ ! -e "$root/ws/snapfork-out/kept-trees.tar.gz" ] && ok "nothing packed when every rule holds" ||
	bad "kept-trees.tar.gz made although the job passed"

echo "== the package's commands, no build tree"
bg "$here/commands.sh" "$root" "$src" && ok "commands" || fails=$((fails + 1))

echo "== the GitHub recipe, broken double"
recipe github github-actions.yml check 1 "$broken"
out=$root/ws/snapfork-out
shrunk=$(ls "$out"/shrunk/*.tar 2>/dev/null | head -1 || true)
[ -n "$shrunk" ] && ok "shrunk fixture $(basename "$shrunk")" || bad "no shrunk fixture in snapfork-out/shrunk"
tar -tzf "$out/kept-trees.tar.gz" >"$work/kept.list" 2>&1 || true
if grep -q '^scratch/[^/]*/fork/' "$work/kept.list"; then
	ok "kept-trees.tar.gz holds the failing rows' trees"
else
	bad "kept-trees.tar.gz missing or without a kept fork"
fi
if [ -n "$shrunk" ]; then
	rel=/ws/snapfork-out/shrunk/$(basename "$shrunk")
	rc=0; bg in_root snapfork check --fork-cmd "$broken" --fixture "$rel" >"$work/rerun.log" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] && ok "the shrunk fixture fails the broken double again" ||
		{ bad "shrunk fixture rerun: exit $rc"; tail -5 "$work/rerun.log"; }
	rc=0; bg in_root snapfork check --fork-cmd "$good" --fixture "$rel" >"$work/rerun.log" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] && ok "the shrunk fixture passes the correct double" ||
		{ bad "shrunk fixture, correct double: exit $rc"; tail -5 "$work/rerun.log"; }
fi

echo "== the GitLab recipe's job, both ways (a fresh root)"
fresh_root gitlab
recipe gitlab gitlab-ci.yml snapfork-check 0 "$good"
recipe gitlab gitlab-ci.yml snapfork-check 1 "$broken"

if [ "$full" = --full ]; then
	echo "== the recipes' vmcheck jobs (QEMU installed in fresh roots)"
	fresh_root github-vmcheck
	recipe github github-actions.yml vmcheck 0 "$good"
	fresh_root gitlab-vmcheck
	recipe gitlab gitlab-ci.yml snapfork-vmcheck 0 "$good"
fi
echo "package: $fails failed ($((SECONDS - t0)) s)"
[ "$fails" -eq 0 ]
