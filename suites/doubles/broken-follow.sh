#!/usr/bin/env bash
# Broken: follows symlinks (cp -L) where it must recreate them.
. "$(dirname "$0")/lib.sh"
refuse_special
mem=$(mem_file)
cp -a -L --sparse=always "$SRC" "$STAGE" 2>/dev/null || true
drop_skipped "$STAGE"
[ -z "$mem" ] || { rm -f "$STAGE/$mem"; ln "$SRC/$mem" "$STAGE/$mem"; }
publish
