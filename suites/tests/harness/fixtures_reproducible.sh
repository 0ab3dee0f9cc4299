#!/usr/bin/env bash
# fixtures_reproducible.sh GEN DATA - regenerate every fixture into a
# scratch directory; each tar and manifest must equal the committed one.
set -u
gen=$1 data=$2
T=$(mktemp -d "${SNAPFORK_TEST_DIR:-/var/tmp}/snapfork-regen.XXXXXX")
trap 'rm -rf "$T"' EXIT
"$gen" "$T" >/dev/null || { echo "generator failed"; exit 1; }
pass=0 fail=0
for f in "$T"/*; do
	name=$(basename "$f")
	if cmp -s "$f" "$data/$name"; then pass=$((pass + 1)); else
		echo "differs from the committed file: fixtures/data/$name (run: cmake --build build --target fixtures-update)"
		fail=$((fail + 1))
	fi
done
for f in "$data"/*; do
	[ -e "$T/$(basename "$f")" ] || { echo "committed but not generated: fixtures/data/$(basename "$f")"; fail=$((fail + 1)); }
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
