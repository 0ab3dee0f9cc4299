#!/usr/bin/env bash
# clean.sh DIR - the doubles' documented cleanup (CONTRACT.md C2): remove
# the staging lib.sh leaves when a double is killed (DST.double.PID) whose
# process is gone.  A pid can be reused, so this is a sample's cleanup, not
# the reference's (which holds a lock on its staging: snapfork clean).
set -eu
for d in "$1"/*.double.*; do
	[ -d "$d" ] && [ ! -L "$d" ] || continue
	pid=${d##*.double.}
	case $pid in '' | *[!0-9]*) continue ;; esac
	# Alive unless gone or a zombie (state Z: only its status is left).
	state=$(sed -n 's/.*) \([A-Z]\).*/\1/p' "/proc/$pid/stat" 2>/dev/null || true)
	[ -n "$state" ] && [ "$state" != Z ] && continue
	chmod -R u+rwX "$d" 2>/dev/null || true
	rm -rf "$d"
done
