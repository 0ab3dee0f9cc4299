#!/usr/bin/env bash
# crash_test.sh SNAPFORK DOUBLES - snapfork crash (CONTRACT.md C1, C2): the
# library killed at every point of a fixture leaves DST absent or complete
# and its staging is cleaned; a correct double passes with its cleanup and
# fails without one; a double that builds DST in place is caught (a partial
# DST), with the command that reruns the point, which fails again.
SF=$1 D=$2
. "$(dirname "$0")/../tap.sh" crash
if ! "$SF" crash --fixture qemu-stopped --scratch "$T" >"$T/probe" 2>&1 &&
	grep -q "cannot trace\|Operation not permitted" "$T/probe"; then
	echo "skip: ptrace is not allowed here (a seccomp profile or yama ptrace_scope 3): $(head -1 "$T/probe")"
	exit 77
fi

expect 0 "the library on qemu-raw and edge: every point absent or complete" \
	"$SF" crash --fixture qemu-raw --fixture edge --scratch "$T"
has "$T/out" "^edge .* points, .* tried: DST absent [0-9]*, complete [0-9]*, partial 0;.* -- pass" \
	"the edge row counts its points and states"
n=$(sed -n 's/^qemu-raw *\([0-9]*\) points.*/\1/p' "$T/out")
[ "${n:-0}" -ge 10 ] && ok "qemu-raw: $n kill points" || bad "qemu-raw: ${n:-no} points"
has "$T/out" "left something [1-9]" "killed forks left staging, which snapfork clean removed"

expect 0 "a sample: --points 5 tries 5 of them" \
	"$SF" crash --fixture edge --points 5 --seed 3 --scratch "$T"
has "$T/out" "points, 5 tried" "5 tried"

expect 0 "generated layouts: --generate 3 --seed 2, 30 points each" \
	"$SF" crash --generate 3 --seed 2 --points 30 --scratch "$T"
has "$T/out" "^gen-2 .* 30 tried" "layouts are rows gen-0 ... gen-2"
expect 1 "broken-in-place on a layout, and its rerun line (--seed, --layout, --point)" \
	"$SF" crash --fork-cmd "$D/broken-in-place.sh {src} {dst}" --clean-cmd "$D/clean.sh {dir}" \
	--generate 1 --seed 2 --points 20 --scratch "$T"
cmd=$(sed -n 's/^  rerun that point: snapfork //p' "$T/out")
case $cmd in *"--seed 2 --layout 0 "*"--point "*) ok "the rerun names the layout" ;; *) bad "rerun line: $cmd" ;; esac

expect 0 "cp-ln with its cleanup passes" \
	"$SF" crash --fork-cmd "$D/cp-ln.sh {src} {dst}" --clean-cmd "$D/clean.sh {dir}" \
	--fixture qemu-raw --points 40 --seed 1 --scratch "$T"
expect 1 "cp-ln without a cleanup leaves its staging: FAIL" \
	"$SF" crash --fork-cmd "$D/cp-ln.sh {src} {dst}" --fixture qemu-raw --points 40 --seed 1 \
	--scratch "$T"
has "$T/out" "no cleanup given" "names what it left and why"

expect 1 "broken-in-place: a killed fork leaves a partial DST" \
	"$SF" crash --fork-cmd "$D/broken-in-place.sh {src} {dst}" --clean-cmd "$D/clean.sh {dir}" \
	--fixture qemu-raw --points 40 --seed 1 --scratch "$T"
has "$T/out" "DST exists but is not a whole fork" "the finding says DST is partial"
cmd=$(sed -n 's/^  rerun that point: snapfork //p' "$T/out")
if [ -n "$cmd" ]; then
	eval "\"\$SF\" $cmd --scratch \"\$T\"" >"$T/re" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -q "partial 1" "$T/re" && ok "the rerun line fails again at that point" ||
		{ bad "rerun: exit $rc"; sed 's/^/# /' "$T/re"; }
else
	bad "no rerun line"
fi

expect 2 "a fork command that cannot be run is a setup error, not a finding" \
	"$SF" crash --fork-cmd "$T/no-such-fork {src} {dst}" --fixture qemu-stopped --scratch "$T"
has "$T/err" "cannot be run (exit 127" "it says the command cannot be run"
expect 2 "--point needs one --fixture" "$SF" crash --point 3
expect 2 "--clean-cmd needs a --fork-cmd" "$SF" crash --clean-cmd "true {dir}" --fixture edge
mkdir -p "$T/-parent/.x.snapfork-1-0000000a"
expect 0 "snapfork clean -- DIR (a DIR that starts with '-') removes an unlocked staging" \
	"$SF" clean -- "$T/-parent"
[ ! -e "$T/-parent/.x.snapfork-1-0000000a" ] && ok "it is gone" || bad "it is still there"
rm -rf "${T:?}/-parent"
expect 2 "--exclude of an unknown fixture" "$SF" crash --exclude nope
[ -z "$(ls "$T" | grep snapfork-crash)" ] && ok "no scratch left behind" || bad "scratch left: $(ls "$T")"
finish
