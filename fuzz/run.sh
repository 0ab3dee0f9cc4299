#!/usr/bin/env bash
# fuzz/run.sh TARGET [SECONDS] - build the libFuzzer binaries (clang,
# ASan+UBSan) if needed, run TARGET for SECONDS (default 600) on a copy of
# its committed corpus, then print exec/s, coverage and any finding.
# New corpus inputs stay in build-fuzz/corpus/TARGET; a crash input is
# left in build-fuzz/findings/ with the command to reproduce it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: fuzz/run.sh layout|tar|classify|json [SECONDS]}
seconds=${2:-600}
build=$top/build-fuzz
if [ ! -x "$build/bin/fuzz_$target" ]; then
	CC=clang cmake -S "$top" -B "$build" -DSNAPFORK_FUZZ=ON -DSNAPFORK_TESTS=OFF \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build "$build" -j"$(nproc)" --target "fuzz_$target" >/dev/null
fi
corpus=$build/corpus/$target findings=$build/findings
mkdir -p "$corpus" "$findings"
cp -n "$top/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || true
# The bundled fixtures are seeds of the tar corpus (not copied into it).
[ "$target" = tar ] && cp -n "$top"/fixtures/data/*.tar "$corpus"/
dict=()
[ -f "$top/fuzz/$target.dict" ] && dict=(-dict="$top/fuzz/$target.dict")
log=$build/fuzz_$target.log
set +e
"$build/bin/fuzz_$target" -max_total_time="$seconds" -timeout=20 -print_final_stats=1 \
	-artifact_prefix="$findings/$target-" "${dict[@]}" "$corpus" >"$log" 2>&1
rc=$?
set -e
final=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1)
execs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
echo "fuzz_$target: ${seconds}s, ${execs:-?} executions, ${rate:-?} exec/s"
echo "  last status: $final"
echo "  corpus: $(ls "$corpus" | wc -l) inputs in $corpus"
if [ $rc -ne 0 ]; then
	echo "  FINDING (exit $rc):"
	grep -E 'ORACLE|DISAGREE|INVALID|ERROR: |SUMMARY' "$log" | head -5 | sed 's/^/    /'
	for f in "$findings/$target"-*; do
		[ -e "$f" ] || continue
		echo "    input: $f"
		echo "    replay: $build/../build/bin/replay_$target $f"
		[ "$target" = layout ] && echo "    as a tree: build/bin/snapfork-fuzz-replay $f /tmp/case && build/bin/snapfork fork /tmp/case /tmp/case.fork"
	done
	exit 1
fi
echo "  no finding"
