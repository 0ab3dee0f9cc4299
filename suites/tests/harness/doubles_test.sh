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

finish
