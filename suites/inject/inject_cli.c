/* inject_cli.c - the calls only the snapfork command makes (the matrix's
 * mounts, mkfs through child_sh (suites/child), sysctl files; the check's fork of a
 * command), wrapped like the library's in inject.c.  Linked into
 * test_cli_faults only, with -Wl,--wrap for each. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inject.h"

#define WRAP INJ_WRAP

WRAP(int, mount, INJ_MOUNT,
     (const char *s, const char *t, const char *fs, unsigned long f, const void *d),
     (s, t, fs, f, d), t, -1)
WRAP(int, umount2, INJ_UMOUNT2, (const char *t, int f), (t, f), t, -1)
WRAP(int, child_sh, INJ_SYSTEM, (const char *cmd, const char *log, int64_t d), (cmd, log, d), cmd, -1)
WRAP(int, mkdir, INJ_MKDIR, (const char *p, mode_t m), (p, m), p, -1)
WRAP(int, chown, INJ_CHOWN, (const char *p, uid_t u, gid_t g), (p, u, g), p, -1)
WRAP(int, chmod, INJ_CHMOD, (const char *p, mode_t m), (p, m), p, -1)
WRAP(int, stat, INJ_STAT, (const char *p, struct stat *st), (p, st), p, -1)
WRAP(int, link, INJ_LINK, (const char *a, const char *b), (a, b), b, -1)
WRAP(FILE *, fopen, INJ_FOPEN, (const char *p, const char *m), (p, m), p, NULL)
WRAP(long, pathconf, INJ_PATHCONF, (const char *p, int n), (p, n), p, -1)
WRAP(char *, mkdtemp, INJ_MKDTEMP, (char *t), (t), t, NULL)
WRAP(char *, realpath, INJ_REALPATH, (const char *p, char *out), (p, out), p, NULL)
WRAP(int, pipe2, INJ_PIPE, (int *fds, int fl), (fds, fl), NULL, -1)
WRAP(pid_t, fork, INJ_FORK, (void), (), NULL, -1)

/* fclose releases the stream even when it fails: so do we. */
int __real_fclose(FILE *f);
int __wrap_fclose(FILE *f);
int __wrap_fclose(FILE *f)
{
	int h = inj_hit(INJ_FCLOSE, NULL);
	int r = __real_fclose(f);
	return h == 1 ? EOF : r;
}

/* posix_fallocate returns the error instead of setting errno. */
int __real_posix_fallocate(int fd, off_t off, off_t len);
int __wrap_posix_fallocate(int fd, off_t off, off_t len);
int __wrap_posix_fallocate(int fd, off_t off, off_t len)
{
	if (inj_hit(INJ_FALLOCATE, NULL) == 1)
		return errno;
	return __real_posix_fallocate(fd, off, len);
}

/* Firing makes the process look unprivileged (uid 65534). */
uid_t __real_geteuid(void);
uid_t __wrap_geteuid(void);
uid_t __wrap_geteuid(void)
{
	return inj_hit(INJ_GETEUID, NULL) == 1 ? 65534 : __real_geteuid();
}
