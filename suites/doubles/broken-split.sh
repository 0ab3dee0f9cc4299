#!/usr/bin/env bash
# Broken: copies the top-level entries named by an unquoted `ls`, which
# splits names at spaces and drops a leading dash into cp's options (F1).
. "$(dirname "$0")/lib.sh"
refuse_special
mkdir "$STAGE"
cd "$SRC"
# shellcheck disable=SC2045,SC2086
for f in $(ls -A); do
	cp -a --sparse=always $f "$STAGE"/ 2>/dev/null || true
done
drop_skipped "$STAGE"
# The snapshot directory's mode last (0NNNN: chmod keeps a directory's
# setgid otherwise), or what is made inside inherits its setgid.
chmod "$(printf %05d "$(stat -c %a "$SRC")")" "$STAGE"
link_mem "$STAGE"
publish
