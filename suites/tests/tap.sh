# tap.sh - sourced by the shell tests: a scratch directory $T (removed at
# exit), ok/bad counters, and the closing "N passed, N failed" line.
#   . tap.sh NAME
set -u
T=$(mktemp -d "${SNAPFORK_TEST_DIR:-/var/tmp}/snapfork-$1.XXXXXX")
trap 'chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
pass=0 fail=0

ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }

# expect CODE NAME CMD...: run, keep stdout/stderr in $T/out, $T/err.
expect() {
	local code=$1 name=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ "$rc" -eq "$code" ]; then ok "$name (exit $rc)"; else
		bad "$name: exit $rc, expected $code"; sed 's/^/# /' "$T/err"; fi
}

has() { # has FILE PATTERN NAME
	if grep -q -- "$2" "$1"; then ok "$3"; else bad "$3: no '$2' in:"; sed 's/^/# /' "$1"; fi
}

finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
