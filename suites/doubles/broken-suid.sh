#!/usr/bin/env bash
# Broken: drops setuid, setgid and sticky bits "for safety" after the copy;
# the contract keeps every bit of 07777 (F2).
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
chmod -R u-s,g-s,-t "$STAGE"
mem=$(mem_file)
if [ -n "$mem" ]; then rm -f "$STAGE/$mem"; ln "$SRC/$mem" "$STAGE/$mem"; fi
publish
