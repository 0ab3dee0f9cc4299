#!/usr/bin/env bash
# Correct: rsync with the contract's skip rules as filters, then ln.
. "$(dirname "$0")/lib.sh"
refuse_special
mem=$(mem_file)
filters=(--exclude=/logs/ --include='*.lz4.tmp/' --include='*.zst.tmp/' --exclude='*.lz4.tmp' --exclude='*.zst.tmp')
[ -z "$mem" ] || filters+=("--exclude=/$mem")
rsync -a --sparse --no-specials --no-devices "${filters[@]}" "$SRC/" "$STAGE/"
[ -z "$mem" ] || ln "$SRC/$mem" "$STAGE/$mem"
publish
