#!/usr/bin/env bash
# Broken: a correct fork (cp-ln.sh) that leaves a log of its work beside
# DST (F13: a fork adds DST to its parent and nothing else).  Before F13
# was judged on successful forks it passed every fixture.
"$(dirname "$0")/cp-ln.sh" "$@" || exit
echo "forked $1" >"$2.fork.log"
