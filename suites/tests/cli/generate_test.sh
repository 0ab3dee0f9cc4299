#!/usr/bin/env bash
# generate_test.sh SNAPFORK DOUBLES - snapfork check --generate end to end:
# the library passes 200 layouts of seed 7 with every dimension hit, a
# broken fork is caught and its failure shrunk to a fixture that
# reproduces it, the seed is in the reports, and bad arguments are usage
# errors.
SF=$1 D=$2
. "$(dirname "$0")/../tap.sh" gen
# tmpfs when there is one: the speed figure the README quotes is on tmpfs.
S=$T
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	S=$(mktemp -d /dev/shm/snapfork-gen.XXXXXX)
	trap 'rm -rf "$S"; chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
fi
mkdir -p "$S"/{lib,again,again2,fresh,broken,repro,repro-lib,keep,cpa}

"$SF" check --generate 200 --seed 7 --scratch "$S/lib" --junit "$T/g.xml" --json "$T/g.json" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 0 ] && ok "the library passes 200 layouts of seed 7" || { bad "library: exit $rc"; grep -a -A3 'FAIL' "$T/out" | head -20 | sed 's/^/# /'; }
head -1 "$T/out" | grep -q '^snapfork check: seed 7 ' && ok "the seed is printed first" || bad "seed line: $(head -1 "$T/out")"
if [ "$(id -u)" -eq 0 ]; then
	grep -Eq '^dimensions hit: ([0-9]+)/\1$' "$T/out" && ok "every dimension hit: $(grep -o 'dimensions hit: [0-9/]*' "$T/out")" || bad "$(grep 'dimensions hit' "$T/out")"
else
	echo "skip: device-node dimensions need root; not counted here"
fi
rate=$(sed -n 's/^layouts\/s: \([0-9.]*\).*/\1/p' "$T/out")
[ -n "$rate" ] && ok "layouts/s printed: $rate (on $(stat -f -c %T "$S"))" || bad "no layouts/s line"
grep -q 'name="seed" value="7"' "$T/g.xml" && ok "JUnit names the seed" || bad "seed not in JUnit"
[ "$(jq -r .seed "$T/g.json")" = 7 ] && [ "$(jq '.rows | length' "$T/g.json")" = 200 ] && ok "JSON: the seed and 200 rows" || bad "JSON"
grep -q 'check: layout 200/200' "$T/err" && ok "a progress line while it runs" || bad "no progress"

# The same seed, the same layouts: the same rows and verdicts.
"$SF" check --generate 30 --seed 7 --scratch "$S/again" --json "$T/a.json" >/dev/null 2>&1
"$SF" check --generate 30 --seed 7 --scratch "$S/again2" --json "$T/b.json" >/dev/null 2>&1
strip() { jq -c '[.rows[] | {fixture, rules: (.rules | map_values(.result))}]' "$1"; }
[ "$(strip "$T/a.json")" = "$(strip "$T/b.json")" ] && ok "same seed, same rows and results" || bad "two runs of one seed differ"

# Without --seed a fresh one is drawn and printed.
"$SF" check --generate 3 --scratch "$S/fresh" >"$T/out" 2>&1
grep -q '^snapfork check: seed [0-9][0-9]* (--generate 3 --seed [0-9]*)' "$T/out" && ok "a drawn seed is printed with its command" || bad "no drawn seed"

# --keep keeps every layout's trees (else only a failing rule's first).
"$SF" check --generate 4 --seed 3 --keep --scratch "$S/keep" >/dev/null 2>&1
[ "$(ls "$S/keep" | wc -l)" -eq 4 ] && ok "--keep keeps the trees of every layout" || bad "--keep kept $(ls "$S/keep" | wc -l) of 4"

# A broken fork: caught, shrunk, and the fixture reproduces it.
"$SF" check --generate 200 --seed 1 --fork-cmd "$D/broken-lines.sh {src} {dst}" --scratch "$S/broken" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 1 ] && ok "broken-lines fails generation (exit 1)" || bad "broken-lines: exit $rc"
tar=$(sed -n 's/^  reproduce with: .* --fixture \(.*\.tar\)$/\1/p' "$T/out" | head -1)
n=$(sed -n 's/^F1: gen-[0-9]* shrunk from [0-9]* to \([0-9]*\) entries.*/\1/p' "$T/out" | head -1)
[ -n "$tar" ] && [ -f "$tar" ] && [ -n "$n" ] && [ "$n" -le 5 ] && ok "shrunk to $n entries: $(basename "$tar")" || { bad "no shrunk fixture of at most 5 entries"; grep -a 'shrunk\|reproduce' "$T/out" | sed 's/^/# /'; }
if [ -n "$tar" ] && [ -f "$tar" ]; then
	"$SF" check --fork-cmd "$D/broken-lines.sh {src} {dst}" --scratch "$S/repro" --fixture "$tar" --json "$T/r.json" >"$T/rout" 2>&1
	[ $? -eq 1 ] && [ "$(jq -r '.rows[0].rules.F1.result' "$T/r.json")" = fail ] && ok "the shrunk fixture reproduces F1" || bad "the shrunk fixture does not reproduce"
	"$SF" check --scratch "$S/repro-lib" --fixture "$tar" >"$T/rout" 2>&1 && ok "the library passes the shrunk fixture" || bad "the library fails the shrunk fixture"
fi

# A fork that fails many rules at once (cp -a): every failing rule shrunk,
# one after another, each through a capture and new layouts.  A freed
# locale once crashed the second shrink inside libarchive (exit 139).
"$SF" check --generate 30 --seed 1 --fork-cmd 'cp -a {src} {dst}' --scratch "$S/cpa" >"$T/out" 2>&1
rc=$?
[ $rc -eq 1 ] && [ "$(grep -c ' shrunk from ' "$T/out")" -ge 2 ] && ok "cp -a on 30 layouts: several rules shrunk, exit 1" ||
	bad "cp -a on 30 layouts: exit $rc, $(grep -c ' shrunk from ' "$T/out") shrunk"

expect 2 "--generate 0 is a usage error" "$SF" check --generate 0
expect 2 "--seed without a number is a usage error" "$SF" check --generate 2 --seed x
expect 2 "--generate with --fixture is a usage error" "$SF" check --generate 2 --fixture edge
expect 2 "--seed without --generate is a usage error" "$SF" check --seed 3
expect 0 "--dimensions prints the layout space" "$SF" check --dimensions
has "$T/out" '| name | a newline in it | F1 |' "the table names each value and its rules"
finish
