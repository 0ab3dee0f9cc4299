#!/usr/bin/env bash
# Broken: takes only a non-empty file for the mem-file (`test -s`), so an
# empty mem-file is copied instead of linked (F4).
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
mem=$(mem_file)
if [ -n "$mem" ] && [ -s "$SRC/$mem" ]; then rm -f "$STAGE/$mem"; ln "$SRC/$mem" "$STAGE/$mem"; fi
publish
