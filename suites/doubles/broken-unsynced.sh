#!/usr/bin/env bash
# Broken (C3): cp-ln.sh without writing the copies back before the rename.
# Every check passes; a power cut after the fork, once ext4's periodic
# commit made the rename durable but not the delayed-allocation data,
# brings DST back with files of zeros (snapfork powercut --fs ext4).
. "$(dirname "$0")/lib.sh"
refuse_special
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
link_mem "$STAGE"
publish_unsynced
