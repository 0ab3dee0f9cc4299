#!/usr/bin/env bash
# dimensions_doc.sh SNAPFORK README - the table of the layout space in
# suites/layouts/README.md is what `snapfork check --dimensions` prints.
set -u
if diff -u <(sed -n '/^| dimension/,$p' "$2") <("$1" check --dimensions); then
	echo "ok - suites/layouts/README.md holds the generator's table"
else
	echo "not ok - the table in $2 differs from snapfork check --dimensions (regenerate it)"
	exit 1
fi
