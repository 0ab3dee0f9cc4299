/* where.h - where the QEMU commands find their scripts, the doubles and
 * their caches, at run time: from a build tree (the binary is
 * <build>/bin/snapfork: the sources it was built from, caches in <build>)
 * or from anywhere else: an installed tree (<prefix>/bin/snapfork:
 * <prefix>/share/snapfork, or $SNAPFORK_DATADIR; caches in the user's cache
 * directory).  A binary away from its build tree never uses the paths it
 * was built in: a package works wherever it is unpacked. */
#ifndef SNAPFORK_WHERE_H
#define SNAPFORK_WHERE_H

#include <stddef.h>

/* One of suites/vm's scripts (guest.sh, kernel.sh, rootfs.sh) into out.
 * A path that does not exist names it anyway: the caller's error says so. */
void where_script(const char *name, char *out, size_t len);
/* The shell doubles (suites/doubles or <prefix>/share/snapfork/doubles). */
void where_doubles(char *out, size_t len);
/* The cache directory for WHAT ("vm-guest", "kernel-cache"): $SNAPFORK_CACHE/
 * WHAT when set; else the build tree's own; else /var/cache/snapfork/WHAT for
 * root, $XDG_CACHE_HOME/snapfork/WHAT or ~/.cache/snapfork/WHAT for others. */
void where_cache(const char *what, char *out, size_t len);

#endif
