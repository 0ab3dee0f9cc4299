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

check() { # check DOUBLE FIXTURE|--OPTION... -> exit status; JSON in $T/out.json
	local double=$1
	shift
	local args=()
	for f in "$@"; do case $f in --*) args+=("$f") ;; *) args+=(--fixture "$f") ;; esac; done
	"$SF" check --fork-cmd "$D/$double.sh {src} {dst}" --scratch "$T" "${args[@]}" \
		--json "$T/out.json" >"$T/out.txt" 2>&1
}

# Every fixture but deep: cp and rsync walk by path and cannot reach below
# PATH_MAX.  rsync reads every hole of the 2 GiB disks (about 6 s a
# fixture here), so it gets one fixture of each kind plus edge.
cp_fixtures="--exclude=deep"
rsync_fixtures="edge ch-zstd qemu-stopped"
for double in cp-ln tar-ln rsync; do
	list=$cp_fixtures
	[ "$double" = rsync ] && list=$rsync_fixtures
	# shellcheck disable=SC2086
	if check "$double" $list; then ok "$double passes on: $list"; else
		bad "$double: $(failed_rules "$T/out.json")"; grep -A3 FAIL "$T/out.txt" | head -20 | sed 's/^/# /'; fi
	check "$double" deep
	rc=$? got=$(failed_rules "$T/out.json")
	# One finding: F1 says the fork failed, with the tool's own words (the
	# start of its line kept); the rules that need DST are not judged.
	skips=$(jq -r '[.rows[0].rules | to_entries[] | select(.value.result == "skip") | .key] | join(" ")' "$T/out.json")
	if [ $rc -eq 1 ] && [ "$got" = F1 ] && grep -q "the fork failed" "$T/out.txt" &&
		[ "$skips" = "F2 F3 F4 F5 F7 F8 F9 F10 F11 F12" ] &&
		grep -q "not judged, as the fork failed: F2 F3 F4 F5 F7 F8 F9 F10 F11 F12" "$T/out.txt" &&
		grep -Eq "^  (cp: cannot|tar: |filename overflows)" "$T/out.txt"; then
		ok "$double fails on deep (paths beyond PATH_MAX): one finding, F1"
	else bad "$double on deep: exit $rc, failed [$got], skipped [$skips]"; sed -n '/F1 FAIL/,/reproduce/p' "$T/out.txt" | head -12 | sed 's/^/# /'; fi
done

# broken double | fixtures | the MUST rules it must be caught by, exactly.
# The second group passed every fixture before generation found what they
# break and the fixtures grew (edge, candidates, empty-memory, large, the
# device refusal row).
# A fourth field: the whole set also accepted where two forks at once
# decide whether a second rule shows (the race row's timing).
while IFS='|' read -r double fixtures want also; do
	[ -n "$double" ] || continue
	if [ "$double" = devices ] && [ "$(id -u)" -ne 0 ]; then
		echo "skip: broken-devices: the device refusal row needs root (mknod); not run"
		continue
	fi
	# shellcheck disable=SC2086
	check "broken-$double" $fixtures
	rc=$?
	got=$(failed_rules "$T/out.json")
	if [ $rc -eq 1 ] && { [ "$got" = "$want" ] || [ "$got" = "${also:-x}" ]; }; then ok "broken-$double caught by $got"; else
		bad "broken-$double: exit $rc, failed [$got], expected [$want]"; fi
done <<'LIST'
cp-all|edge ch-zstd qemu-raw|F1 F4
no-link|edge qemu-raw|F4
dense|edge|F5
follow|edge|F1
modes|edge qemu-raw|F2
touch-src|ch-raw|F6
hardlink-all|edge ch-raw|F3
partial|ch-raw|F13|F1 F13
keep-tmp|edge|F1
writes-mem|qemu-raw|F6
trim-mem|qemu-raw|F6
empty-raw|ch-zstd|F7 F8 F9
glob|edge|F1
suid|edge|F2
lines|edge|F1
split|edge|F1
all-tmp|edge|F1
order|candidates|F3 F4
nonempty-mem|empty-memory|F4
fifo-anywhere|edge|F1
devices|edge|F13
link-nlink|edge|F3
root-mode|edge|F2
size32|large|F2
beside|edge|F13
detached|edge|F1 F6 F14
unquoted|qemu-raw|F4
clobber|edge|F13|F1 F13
LIST

# A fixed staging directory: alone it is correct; four forks at once
# trip over each other (which rule shows it depends on the interleaving:
# F1 for a fork that failed or a half-made tree, at least).
check broken-fixed-stage edge qemu-raw
rc=$? got=$(failed_rules "$T/out.json")
case " $got " in
*" F1 "*) [ $rc -eq 1 ] && ok "broken-fixed-stage caught on the concurrent rows ($got)" || bad "broken-fixed-stage: exit $rc" ;;
*) bad "broken-fixed-stage: exit $rc, failed [$got], expected F1 among them" ;;
esac
jq -e '[.rows[] | select(.fixture | test("^(concurrent|race):") | not) | .rules[] | select(.result == "fail")] | length == 0' \
	"$T/out.json" >/dev/null && ok "broken-fixed-stage passes every row with one fork at a time" || bad "broken-fixed-stage failed a row of one fork"

# Across filesystems (forks on /dev/shm): the correct doubles copy the
# mem-file and report the fallback; one that keeps quiet fails F11.
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$T")" ]; then
	X=$(mktemp -d /dev/shm/snapfork-doubles-xdev.XXXXXX)
	for double in cp-ln tar-ln; do
		check "$double" qemu-raw ch-raw --fork-dir="$X" && grep -q "fallback: copy" "$T/out.json" &&
			ok "$double across filesystems: copies and reports the fallback" ||
			bad "$double across filesystems: $(failed_rules "$T/out.json")"
	done
	check broken-silent-fallback qemu-raw --fork-dir="$X"
	rc=$? got=$(failed_rules "$T/out.json")
	[ $rc -eq 1 ] && [ "$got" = F11 ] && ok "broken-silent-fallback caught by F11 across filesystems" ||
		bad "broken-silent-fallback: exit $rc, failed [$got], expected [F11]"
	rm -rf "$X"
else
	echo "skip: /dev/shm is missing or on the scratch's filesystem: the cross-filesystem doubles not run"
fi

finish
