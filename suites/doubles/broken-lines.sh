#!/usr/bin/env bash
# Broken: walks the snapshot as lines of `find` output, so a name with a
# newline in it is two names that do not exist (F1).
. "$(dirname "$0")/lib.sh"
refuse_special
mkdir "$STAGE"
(cd "$SRC" && find . -mindepth 1 -type d) | while IFS= read -r d; do
	mkdir -p "$STAGE/$d" 2>/dev/null || true
done
(cd "$SRC" && find . -mindepth 1 ! -type d) | while IFS= read -r f; do
	cp -a --sparse=always "$SRC/$f" "$STAGE/$f" 2>/dev/null || true
done
(cd "$SRC" && find . -mindepth 1 -type d) | while IFS= read -r d; do
	chmod "$(printf %05d "$(stat -c %a "$SRC/$d")")" "$STAGE/$d" 2>/dev/null || true
done
drop_skipped "$STAGE"
# The snapshot directory's mode last (0NNNN: chmod keeps a directory's
# setgid otherwise), or what is made inside inherits its setgid.
chmod "$(printf %05d "$(stat -c %a "$SRC")")" "$STAGE"
link_mem "$STAGE"
publish
