#!/usr/bin/env bash
# Broken: keeps file sizes in 32 bits (as C code with an `unsigned` size
# would): files of 4 GiB and more come out cut (F2).
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
mem=$(mem_file)
(cd "$STAGE" && find . -type f -size +4194303k -print0) | while IFS= read -r -d '' f; do
	[ "$f" = "./$mem" ] && continue
	size=$(stat -c %s "$STAGE/$f")
	truncate -s $((size & 0xffffffff)) "$STAGE/$f"
done
if [ -n "$mem" ]; then rm -f "$STAGE/$mem"; ln "$SRC/$mem" "$STAGE/$mem"; fi
publish
