#!/usr/bin/env bash
# Broken: forks straight into DST and notices a FIFO only at the end,
# leaving a partial DST behind.
. "$(dirname "$0")/lib.sh"
cp -a --sparse=always "$SRC" "$DST" 2>/dev/null || true
refuse_special
drop_skipped "$DST"
mem=$(mem_file)
[ -z "$mem" ] || { rm -f "$DST/$mem"; ln "$SRC/$mem" "$DST/$mem"; }
