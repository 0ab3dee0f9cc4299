#!/usr/bin/env bash
# Correct: GNU tar with --sparse through a pipe (a different copy engine
# from cp and rsync), drop the skipped entries, hardlink the mem-file,
# publish with one rename.
. "$(dirname "$0")/lib.sh"
refuse_special
mkdir "$STAGE"
(cd "$SRC" && tar --sparse --format=posix --warning=no-file-ignored -cf - .) |
	(cd "$STAGE" && tar --same-permissions --same-owner -xf -)
drop_skipped "$STAGE"
link_mem "$STAGE"
publish
