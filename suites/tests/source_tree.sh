#!/usr/bin/env bash
# source_tree.sh record|compare SOURCE_DIR BUILD_DIR - no test may leave
# files in the source tree.  ctest runs `record` before the first test and
# `compare` after the last (a fixture); the build directory is left out
# when it lies inside the source tree, and so is .git.
set -euo pipefail
what=$1 src=$(cd "$2" && pwd) build=$(cd "$3" && pwd)
list() {
	find "$src" \( -path "$src/.git" -o -path "$build" \) -prune -o -print | LC_ALL=C sort
}
case $what in
record) list >"$build/source-tree.before" ;;
compare)
	if ! diff <(cat "$build/source-tree.before") <(list) >"$build/source-tree.diff"; then
		echo "not ok - the tests changed the source tree (each test must work in its scratch):"
		sed -n 's/^[<>] /  /p' "$build/source-tree.diff"
		exit 1
	fi
	echo "ok - the source tree is as it was before the tests"
	;;
*) echo "usage: source_tree.sh record|compare SOURCE_DIR BUILD_DIR" >&2; exit 2 ;;
esac
