#!/usr/bin/env bash
# Broken: drops setuid, setgid and sticky bits "for safety" after the copy;
# the contract keeps every bit of 07777 (F2).
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
chmod -R u-s,g-s,-t "$STAGE"
link_mem "$STAGE"
publish
