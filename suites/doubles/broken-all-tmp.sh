#!/usr/bin/env bash
# Broken: skips every file ending in .tmp, not only half-written
# compression output (*.lz4.tmp, *.zst.tmp): state.tmp is lost (F1).
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
find "$STAGE" -type f -name '*.tmp' -delete
link_mem "$STAGE"
publish
