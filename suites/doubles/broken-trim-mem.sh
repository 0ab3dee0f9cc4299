#!/usr/bin/env bash
# Broken: cuts the last MiB off the fork's mem-file (a trailer it believes
# the hypervisor appended) through the hardlink: the snapshot's mem-file
# shrinks too, and no hypervisor maps it at the guest's RAM size.
. "$(dirname "$0")/lib.sh"
"$(dirname "$0")/cp-ln.sh" "$SRC" "$DST"
mem=$(mem_file)
[ -z "$mem" ] || truncate -s -1M "$DST/$mem"
