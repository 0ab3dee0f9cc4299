#!/usr/bin/env bash
# Broken: hardlinks every file (cp -al): copies share the snapshot's inodes.
. "$(dirname "$0")/lib.sh"
refuse_special
cp -al "$SRC" "$STAGE"
drop_skipped "$STAGE"
publish
