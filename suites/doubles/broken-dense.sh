#!/usr/bin/env bash
# Broken: fills every hole (cp --sparse=never), mem-file linked.
. "$(dirname "$0")/lib.sh"
refuse_special
mem=$(mem_file)
cp -a --sparse=never "$SRC" "$STAGE" 2>/dev/null || cp -a --sparse=never "$SRC" "$STAGE"
drop_skipped "$STAGE"
[ -z "$mem" ] || { rm -f "$STAGE/$mem"; ln "$SRC/$mem" "$STAGE/$mem"; }
publish
