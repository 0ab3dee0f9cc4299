#!/usr/bin/env bash
# Broken: links the mem-file with unquoted paths and ignores the failure,
# so wherever SRC or DST holds a space or a glob character the link
# silently fails and the copy stays (F4).  Passes every fixture at tidy
# paths; the paths-quoting row catches it.
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
mem=$(mem_file)
if [ -n "$mem" ]; then
	# shellcheck disable=SC2086
	ln $SRC/$mem $STAGE/$mem.link 2>/dev/null && rm -f "$STAGE/$mem" &&
		mv "$STAGE/$mem.link" "$STAGE/$mem" || true
fi
publish
