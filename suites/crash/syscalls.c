/* syscalls.c - which system calls change a filesystem (crash.h): the
 * points where a fork can be killed with a difference in what it leaves.
 * The build's native numbers (x86_64: arch/x86/entry/syscalls/syscall_64.tbl;
 * the old calls aarch64 lacks are left out there); a call that only reads,
 * or writes to a pipe, socket or device, is no point. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "crash.h"

#define FICLONE_NR      0x40049409ul /* _IOW(0x94, 9, int) */
#define FICLONERANGE_NR 0x4020940dul /* _IOW(0x94, 13, struct file_clone_range) */

struct call {
	long nr;
	const char *name;
	int fd_arg;    /* -1, or the argument holding the fd written to */
	int flags_arg; /* -1, or the open flags' argument (a point only with
			* O_CREAT, O_TRUNC or write access) */
};

static const struct call calls[] = {
	{ SYS_write, "write", 0, -1 },
	{ SYS_pwrite64, "pwrite64", 0, -1 },
	{ SYS_writev, "writev", 0, -1 },
	{ SYS_pwritev, "pwritev", 0, -1 },
	{ SYS_pwritev2, "pwritev2", 0, -1 },
#ifdef SYS_sendfile
	{ SYS_sendfile, "sendfile", 0, -1 },
#endif
	{ SYS_copy_file_range, "copy_file_range", 2, -1 },
	{ SYS_splice, "splice", 2, -1 },
	{ SYS_ioctl, "ioctl", 0, -1 }, /* FICLONE, FICLONERANGE only */
#ifdef SYS_open
	{ SYS_open, "open", -1, 1 },
#endif
	{ SYS_openat, "openat", -1, 2 },
#ifdef SYS_creat
	{ SYS_creat, "creat", -1, -1 },
#endif
	{ SYS_openat2, "openat2", -1, -1 }, /* its flags are in memory: always */
#ifdef SYS_mkdir
	{ SYS_mkdir, "mkdir", -1, -1 },
#endif
	{ SYS_mkdirat, "mkdirat", -1, -1 },
#ifdef SYS_mknod
	{ SYS_mknod, "mknod", -1, -1 },
#endif
	{ SYS_mknodat, "mknodat", -1, -1 },
#ifdef SYS_link
	{ SYS_link, "link", -1, -1 },
#endif
	{ SYS_linkat, "linkat", -1, -1 },
#ifdef SYS_symlink
	{ SYS_symlink, "symlink", -1, -1 },
#endif
	{ SYS_symlinkat, "symlinkat", -1, -1 },
#ifdef SYS_rename
	{ SYS_rename, "rename", -1, -1 },
#endif
	{ SYS_renameat, "renameat", -1, -1 },
	{ SYS_renameat2, "renameat2", -1, -1 },
#ifdef SYS_unlink
	{ SYS_unlink, "unlink", -1, -1 },
#endif
	{ SYS_unlinkat, "unlinkat", -1, -1 },
#ifdef SYS_rmdir
	{ SYS_rmdir, "rmdir", -1, -1 },
#endif
#ifdef SYS_chmod
	{ SYS_chmod, "chmod", -1, -1 },
#endif
	{ SYS_fchmod, "fchmod", -1, -1 },
	{ SYS_fchmodat, "fchmodat", -1, -1 },
	{ 452, "fchmodat2", -1, -1 }, /* Linux 6.6, glibc 2.39's fchmodat(AT_SYMLINK_NOFOLLOW) */
#ifdef SYS_chown
	{ SYS_chown, "chown", -1, -1 },
#endif
	{ SYS_fchown, "fchown", -1, -1 },
#ifdef SYS_lchown
	{ SYS_lchown, "lchown", -1, -1 },
#endif
	{ SYS_fchownat, "fchownat", -1, -1 },
#ifdef SYS_utime
	{ SYS_utime, "utime", -1, -1 },
#endif
#ifdef SYS_utimes
	{ SYS_utimes, "utimes", -1, -1 },
#endif
#ifdef SYS_futimesat
	{ SYS_futimesat, "futimesat", -1, -1 },
#endif
	{ SYS_utimensat, "utimensat", -1, -1 },
	{ SYS_truncate, "truncate", -1, -1 },
	{ SYS_ftruncate, "ftruncate", -1, -1 },
	{ SYS_fallocate, "fallocate", -1, -1 },
	{ SYS_fsync, "fsync", -1, -1 },
	{ SYS_fdatasync, "fdatasync", -1, -1 },
#ifdef SYS_sync_file_range
	{ SYS_sync_file_range, "sync_file_range", -1, -1 },
#endif
	{ SYS_syncfs, "syncfs", -1, -1 },
	{ SYS_sync, "sync", -1, -1 },
	{ SYS_setxattr, "setxattr", -1, -1 },
	{ SYS_lsetxattr, "lsetxattr", -1, -1 },
	{ SYS_fsetxattr, "fsetxattr", -1, -1 },
	{ SYS_removexattr, "removexattr", -1, -1 },
	{ SYS_lremovexattr, "lremovexattr", -1, -1 },
	{ SYS_fremovexattr, "fremovexattr", -1, -1 },
};

static const struct call *find(long nr)
{
	for (size_t i = 0; i < sizeof calls / sizeof *calls; i++)
		if (calls[i].nr == nr)
			return &calls[i];
	return NULL;
}

/* Is fd of pid a pipe, a socket or a device (no filesystem change)?  By
 * its type, not its name: /dev/shm holds regular files. */
static dev_t ignored_dev;
static ino_t ignored_ino;

void crash_syscall_ignore(dev_t dev, ino_t ino)
{
	ignored_dev = dev;
	ignored_ino = ino;
}

static int not_a_file(pid_t pid, long fd)
{
	char p[64];
	struct stat st;
	snprintf(p, sizeof p, "/proc/%d/fd/%ld", (int)pid, fd);
	if (stat(p, &st) < 0)
		return 1; /* no such fd: the call fails, nothing changes */
	return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode) ||
	       (st.st_ino == ignored_ino && st.st_dev == ignored_dev && ignored_ino);
}

const char *crash_syscall_point(pid_t pid, long nr, const unsigned long long *args)
{
	const struct call *c = find(nr);
	if (!c)
		return NULL;
	if (nr == SYS_ioctl && args[1] != FICLONE_NR && args[1] != FICLONERANGE_NR)
		return NULL;
	if (c->flags_arg >= 0) {
		unsigned long long fl = args[c->flags_arg];
		if (!(fl & (O_CREAT | O_TRUNC)) && (fl & O_ACCMODE) == O_RDONLY)
			return NULL;
	}
	if (c->fd_arg >= 0 && not_a_file(pid, (long)args[c->fd_arg]))
		return NULL;
	return c->name;
}
