#!/usr/bin/env bash
# Broken: makes DST with mkdir and copies the snapshot's entries into it
# one by one: the snapshot directory's own mode is lost (F2).
. "$(dirname "$0")/lib.sh"
refuse_special
mkdir -m 0755 "$STAGE"
find "$SRC" -mindepth 1 -maxdepth 1 -exec cp -a --sparse=always {} "$STAGE"/ \;
drop_skipped "$STAGE"
link_mem "$STAGE"
publish
