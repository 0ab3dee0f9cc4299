#!/usr/bin/env bash
# doubles_test.sh SNAPFORK DOUBLES - the harness's own power, measured:
# `snapfork check --fork-cmd` passes correct shell forks (cp -a + ln,
# rsync + ln) and catches every deliberately broken one by the rule it
# breaks, and by no other MUST rule.
SF=$1 D=$2
. "$(dirname "$0")/../tap.sh" doubles

# MUST rules that failed, as "F1 F4", from check's JSON.
failed_rules() {
	jq -r '[.rows[].rules | to_entries[] | select(.value.result == "fail" and .value.level == "MUST") | .key]
	       | unique | sort_by(.[1:] | tonumber) | join(" ")' "$1"
}

check() { # check DOUBLE FIXTURES... -> exit status; JSON in $T/out.json
	local double=$1
	shift
	local args=()
	for f in "$@"; do args+=(--fixture "$f"); done
	"$SF" check --fork-cmd "$D/$double.sh {src} {dst}" --scratch "$T" "${args[@]}" \
		--json "$T/out.json" >"$T/out.txt" 2>&1
}

# Every fixture but deep: cp and rsync walk by path and cannot reach below
# PATH_MAX.  rsync reads every hole of the 2 GiB disks (about 6 s a
# fixture here), so it gets one fixture of each kind plus edge.
cp_fixtures="ch-raw ch-stopped ch-zstd edge firecracker-lz4 firecracker-raw qemu-raw qemu-stopped"
rsync_fixtures="edge ch-zstd qemu-stopped"
for double in cp-ln rsync; do
	list=$cp_fixtures
	[ "$double" = rsync ] && list=$rsync_fixtures
	# shellcheck disable=SC2086
	if check "$double" $list; then ok "$double passes on: $list"; else
		bad "$double: $(failed_rules "$T/out.json")"; grep -A3 FAIL "$T/out.txt" | head -20 | sed 's/^/# /'; fi
	check "$double" deep
	if [ $? -eq 1 ] && grep -q "the fork failed" "$T/out.txt"; then
		ok "$double fails on deep (paths beyond PATH_MAX), and check says so"
	else bad "$double on deep: expected the failed fork to be caught"; fi
done

# broken double | fixtures | the MUST rules it must be caught by, exactly
while IFS='|' read -r double fixtures want; do
	[ -n "$double" ] || continue
	# shellcheck disable=SC2086
	check "broken-$double" $fixtures
	rc=$?
	got=$(failed_rules "$T/out.json")
	if [ $rc -eq 1 ] && [ "$got" = "$want" ]; then ok "broken-$double caught by $want"; else
		bad "broken-$double: exit $rc, failed [$got], expected [$want]"; fi
done <<'LIST'
cp-all|edge ch-zstd qemu-raw|F1 F4
no-link|edge qemu-raw|F4
dense|edge|F5
follow|edge|F1
modes|edge qemu-raw|F2
touch-src|ch-raw|F6
hardlink-all|edge ch-raw|F3
partial|ch-raw|F13
keep-tmp|edge|F1
writes-mem|qemu-raw|F6
empty-raw|ch-zstd|F7 F8 F9
LIST

# Generated layouts (snapfork check --generate, seed 1): each broken double
# is caught by the rule it breaks, among others (a layout exercises many
# rules at once), the new ones within 200 layouts (they passed every old
# fixture: only generation found what they break), the old ones within 40;
# the correct ones pass 200.
gen() { # gen DOUBLE N -> exit status; JSON in $T/gen.json
	"$SF" check --fork-cmd "$D/$1.sh {src} {dst}" --scratch "$T" --generate "$2" --seed 1 \
		--no-shrink --json "$T/gen.json" >"$T/gen.txt" 2>&1
}
while IFS='|' read -r double n want; do
	[ -n "$double" ] || continue
	if [ "$double" = devices ] && [ "$(id -u)" -ne 0 ]; then
		echo "skip: broken-devices: device nodes are generated only as root (CAP_MKNOD); not run"
		continue
	fi
	gen "broken-$double" "$n"
	rc=$?
	got=$(failed_rules "$T/gen.json")
	case " $got " in
	*" $want "*) [ $rc -eq 1 ] && ok "generate $n: broken-$double caught by $want (all: $got)" ||
		bad "generate: broken-$double exit $rc" ;;
	*) bad "generate: broken-$double: exit $rc, failed [$got], expected $want among them" ;;
	esac
	rm -rf "${T:?}"/gen-* "$T"/refusal.* "$T"/shrunk
done <<'LIST'
glob|200|F1
suid|200|F2
lines|200|F1
split|200|F1
all-tmp|200|F1
order|200|F4
nonempty-mem|200|F4
fifo-anywhere|200|F1
devices|200|F13
link-nlink|200|F3
root-mode|200|F2
size32|200|F2
cp-all|40|F1
no-link|40|F4
dense|40|F5
follow|40|F1
modes|40|F2
touch-src|40|F6
hardlink-all|40|F3
partial|40|F13
keep-tmp|40|F1
writes-mem|40|F6
empty-raw|40|F9
LIST
for double in cp-ln tar-ln; do
	if gen "$double" 200; then ok "generate 200: $double passes, $(grep -o 'dimensions hit: [0-9/]*' "$T/gen.txt")"; else
		bad "generate: $double: $(failed_rules "$T/gen.json")"; grep -a -A2 'FAIL:' "$T/gen.txt" | head -12 | sed 's/^/# /'; fi
	rm -rf "${T:?}"/gen-* "$T"/refusal.* "$T"/shrunk
done

finish
