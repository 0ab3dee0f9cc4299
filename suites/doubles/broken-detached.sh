#!/usr/bin/env bash
# Broken: a correct fork (cp-ln.sh) that returns while a detached job of
# its own (a new session, every inherited descriptor closed, as a daemon
# would) goes on and touches the snapshot a second later.  A manager that
# forks again or deletes the snapshot at once races with it (F14; F6 once
# the job writes).
"$(dirname "$0")/cp-ln.sh" "$@" || exit
setsid sh -c 'sleep 1; touch "$1"' detached "$1/.late-write" </dev/null >/dev/null 2>&1 &
