#!/usr/bin/env bash
# repro_test.sh SNAPFORK SOURCE_DIR - every "reproduce with:" line that
# `snapfork check` prints reruns exactly the failing row, to the same
# verdict: a tar of the user's in a path with a space and a quote, a
# bundled fixture, the device refusal row (root), a template that holds
# quotes, --scratch and --fork-timeout carried along.  And reports: a
# --json/--junit that cannot be written is exit 2 before anything runs;
# `-` is stdout (the table then goes to stderr).
SF=$1 SRC=$2
. "$(dirname "$0")/../tap.sh" repro
D=$SRC/suites/doubles
export TMPDIR=$T/tmp # the failing rows' kept trees (and the reruns') stay in $T
mkdir -p "$T/my dir" "$T/scr atch" "$TMPDIR"
cp "$SRC/fixtures/data/qemu-raw.tar" "$T/my dir/it's raw.tar"

# Rules failing in row ROW of a check's JSON, e.g. "F4".
fails() { # fails JSON ROW
	jq -r --arg r "$2" '.rows[] | select(.fixture == $r) | .rules | to_entries[]
		| select(.value.result == "fail" and .value.level == "MUST") | .key' "$1" | sort | tr '\n' ' '
}

# Each printed reproducer, run as printed (by the shell), must fail the
# same MUST rules of its row.
rerun_all() { # rerun_all OUTPUT JSON NAME
	local n=0 line row cmd want got
	while IFS= read -r line; do
		row=${line%%: reproduce with: *}
		cmd=${line#*: reproduce with: }
		want=$(fails "$2" "$row")
		rm -f "$T/rerun.json"
		PATH=$(dirname "$SF"):$PATH bash -c "$cmd --json '$T/rerun.json'" >"$T/rerun.txt" 2>&1
		got=$(fails "$T/rerun.json" "$row")
		if [ -n "$want" ] && [ "$want" = "$got" ]; then
			ok "$3: $row: the printed command reruns it to the same verdict ($want)"
		else
			bad "$3: $row: want [$want], the rerun gave [$got]: $cmd"
			tail -5 "$T/rerun.txt" | sed 's/^/# /'
		fi
		n=$((n + 1))
	done < <(grep ': reproduce with: ' "$1")
	[ $n -gt 0 ] || bad "$3: no reproducer printed"
}

# A template with quotes and a space in what it runs.
TMPL="sh -c 'exec \"\$0\" \"\$@\"' $D/broken-no-link.sh {src} {dst}"
"$SF" check --fork-cmd "$TMPL" --fork-timeout 120 --scratch "$T/scr atch" \
	--fixture "$T/my dir/it's raw.tar" --fixture ch-raw --json "$T/a.json" >"$T/a.txt" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "no-link in a quoted template fails (exit 1)" || bad "no-link: exit $rc"
has "$T/a.txt" "--scratch '$T/scr atch'" "the reproducer carries --scratch, quoted"
has "$T/a.txt" "--fork-timeout 120" "the reproducer carries --fork-timeout"
rerun_all "$T/a.txt" "$T/a.json" "tar and bundled fixture"

if [ "$(id -u)" -eq 0 ]; then
	"$SF" check --fork-cmd "$D/broken-devices.sh {src} {dst}" --fixture ch-cycles \
		--json "$T/b.json" >"$T/b.txt" 2>&1
	has "$T/b.txt" "refusal-device:ch-cycles: reproduce with: .* --fixture ch-cycles " \
		"the device refusal row names its fixture"
	rerun_all "$T/b.txt" "$T/b.json" "device refusal row"
else
	echo "skip: repro: the device refusal row needs mknod (root)"
fi

# --exclude: the correct shell double passes every fixture but deep.
expect 0 "cp-ln.sh passes every bundled fixture but deep (--exclude deep)" \
	"$SF" check --fork-cmd "$D/cp-ln.sh {src} {dst}" --exclude deep
expect 2 "--exclude of a fixture that is not there is a usage error" "$SF" check --exclude nosuch

# Reports: checked before the run; - is stdout.
t0=$SECONDS
expect 2 "--junit into a directory that does not exist: exit 2" \
	"$SF" check --junit /nonexistent/x.xml --fork-cmd "sleep 100 # {src} {dst}"
[ $((SECONDS - t0)) -lt 10 ] && ok "...before anything was forked" || bad "the run went on first"
has "$T/err" "/nonexistent/x.xml: --junit: cannot write the report there" "...naming the path"
expect 2 "--json into a directory: exit 2" "$SF" check --json "$T"
expect 2 "--json - and --junit - together: a usage error" "$SF" check --json - --junit -
"$SF" check --fixture ch-raw --json - >"$T/out.json" 2>"$T/table.txt"
rc=$?
if [ $rc -eq 0 ] && jq -e '.ok' "$T/out.json" >/dev/null && grep -q "every MUST rule holds" "$T/table.txt"; then
	ok "--json -: the JSON alone on stdout, the table on stderr"
else bad "--json -: exit $rc"; head -3 "$T/out.json" | sed 's/^/# /'; fi
"$SF" check --fixture ch-raw --junit - >"$T/out.xml" 2>/dev/null
python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$T/out.xml" &&
	ok "--junit -: well-formed XML alone on stdout" || bad "--junit -: not XML"
finish
