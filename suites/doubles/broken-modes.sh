#!/usr/bin/env bash
# Broken: cp -r without -p under umask 077: permission bits not kept.
. "$(dirname "$0")/lib.sh"
refuse_special
umask 077
mem=$(mem_file)
cp -r --no-dereference --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
[ -z "$mem" ] || { rm -f "$STAGE/$mem"; ln "$SRC/$mem" "$STAGE/$mem"; }
publish
