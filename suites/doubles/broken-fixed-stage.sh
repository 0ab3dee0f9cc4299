#!/usr/bin/env bash
# Broken: stages every fork in one fixed directory beside DST.  Alone it
# is correct; two forks at once build into the same staging, publish each
# other's half-made trees and fail (F1, F13 on the concurrent rows).
. "$(dirname "$0")/lib.sh"
STAGE="$(dirname "$DST")/.fork-staging"
refuse_special
rm -rf "$STAGE"
cp -a --sparse=always "$SRC" "$STAGE"
drop_skipped "$STAGE"
link_mem "$STAGE"
publish
