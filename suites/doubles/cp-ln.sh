#!/usr/bin/env bash
# Correct: cp -a --sparse=always of everything, drop the skipped entries,
# hardlink the mem-file, publish with one rename.
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
link_mem "$STAGE"
publish
