#!/usr/bin/env bash
# Broken: does not skip half-written *.lz4.tmp / *.zst.tmp files.
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
rm -rf "$STAGE/logs"
find "$STAGE" -type s -delete
mem=$(mem_file)
[ -z "$mem" ] || { rm -f "$STAGE/$mem"; ln "$SRC/$mem" "$STAGE/$mem"; }
publish
