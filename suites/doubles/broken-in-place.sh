#!/usr/bin/env bash
# Broken: builds DST in place and removes it when it fails, so every clean
# failure leaves nothing and `check` passes it; killed midway it leaves a
# DST that looks like a fork (CONTRACT.md C1; snapfork crash catches it).
. "$(dirname "$0")/lib.sh"
refuse_special
trap 'rm -rf "$DST"' ERR
cp -a --sparse=always "$SRC" "$DST"
drop_skipped "$DST"
link_mem "$DST"
