#!/usr/bin/env bash
# Broken: copies everything (logs/, sockets, *.tmp) and links nothing.
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
publish
