/* wrap_fsync.c - fsync counted, and failed on demand (-Wl,--wrap=fsync;
 * wrapio.h).  One wrapper a file: snapfork_wrapio is an archive, and the
 * linker takes a member only for a symbol still undefined, so a test
 * that writes its own __wrap_fsync never gets this one. */
#include <errno.h>
#include <unistd.h>

#include "wrapio.h"

int tt_fsyncs, tt_fsync_err;

int __real_fsync(int fd);
int __wrap_fsync(int fd);
int __wrap_fsync(int fd)
{
	tt_fsyncs++;
	if (tt_fsync_err) {
		errno = tt_fsync_err;
		return -1;
	}
	return __real_fsync(fd);
}
