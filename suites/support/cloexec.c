/* cloexec.c - the close-on-exec audit: every descriptor the library
 * holds must be FD_CLOEXEC, or a program another thread of the caller
 * execs meanwhile inherits it (and, for a staging directory, its flock:
 * the sweep would then take a dead fork for a live one).  Descriptors
 * open without the flag before the call are the caller's.  fcntl is
 * called as a raw system call: test_faults wraps fcntl (-Wl,--wrap)
 * and audits from inside its wrappers. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testtree.h"

static int fd_flags(int fd)
{
	return (int)syscall(SYS_fcntl, fd, F_GETFD);
}

void tt_cloexec_start(struct tt_cloexec *a)
{
	a->leak[0] = 0;
	for (int fd = 0; fd < TT_CLOEXEC_FDS; fd++) {
		int f = fd_flags(fd);
		a->inherited[fd] = f >= 0 && !(f & FD_CLOEXEC);
	}
}

int tt_cloexec_check(struct tt_cloexec *a, const char *where, int ignore_fd)
{
	if (a->leak[0])
		return -1;
	for (int fd = 0; fd < TT_CLOEXEC_FDS; fd++) {
		int f = fd_flags(fd);
		if (f < 0 || (f & FD_CLOEXEC) || a->inherited[fd] || fd == ignore_fd)
			continue;
		char link[32], target[160];
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof target - 1);
		target[n > 0 ? n : 0] = 0;
		snprintf(a->leak, sizeof a->leak, "fd %d (%s) open without FD_CLOEXEC at %s", fd,
			 n > 0 ? target : "?", where);
		return -1;
	}
	return 0;
}
