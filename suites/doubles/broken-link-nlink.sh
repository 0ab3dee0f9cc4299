#!/usr/bin/env bash
# Broken: takes every file with more than one link for an immutable
# mem-file and hardlinks it too, so other names of one inode share the
# snapshot's (F3).
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
(cd "$SRC" && find . -type f -links +1 -print0) | while IFS= read -r -d '' f; do
	rm -f "$STAGE/$f"
	ln "$SRC/$f" "$STAGE/$f"
done
link_mem "$STAGE"
publish
