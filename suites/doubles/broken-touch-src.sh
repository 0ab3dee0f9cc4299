#!/usr/bin/env bash
# Broken: right fork, but it touches the snapshot (an mtime changes).
. "$(dirname "$0")/lib.sh"
"$(dirname "$0")/cp-ln.sh" "$SRC" "$DST"
touch "$SRC/metadata.json"
