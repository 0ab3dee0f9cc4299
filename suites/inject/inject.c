/* inject.c - see inject.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "inject.h"
#include "testtree.h"

static struct inj_plan plan;
static int armed, fired;
static unsigned counts[INJ_NCALLS];

/* The close-on-exec audit (inj_audit_cloexec, suites/support/cloexec.c)
 * while armed: at each wrapped close and fdopendir (at every call it
 * tripled test_faults' time).  Every descriptor the library opens is
 * open at some close (its own, or a later one's); a directory's dup is
 * open at its fdopendir.  Not during a plan's hook: those are the
 * test's own calls. */
static int auditing, audit_armed;
static struct tt_cloexec audited;

void inj_audit_cloexec(int on)
{
	auditing = on;
}

const char *inj_leak(void)
{
	return audited.leak[0] ? audited.leak : NULL;
}

static void audit(enum inj_call c)
{
	if (audit_armed && (c == INJ_CLOSE || c == INJ_FDOPENDIR))
		tt_cloexec_check(&audited, inj_name(c), -1);
}

void inj_arm(const struct inj_plan *p)
{
	plan = *p;
	memset(counts, 0, sizeof counts);
	fired = 0;
	armed = 1;
	audit_armed = auditing;
	tt_cloexec_start(&audited);
}

void inj_disarm(void)
{
	armed = 0;
	audit_armed = 0;
}

unsigned inj_count(enum inj_call call)
{
	return counts[call];
}

int inj_fired(void)
{
	return fired;
}

const char *inj_name(enum inj_call c)
{
	static const char *const n[] = { "openat",
					 "mkdirat",
					 "fstatat",
					 "linkat",
					 "symlinkat",
					 "readlinkat",
					 "ioctl",
					 "copy_file_range",
					 "lseek",
					 "read",
					 "write",
					 "pread",
					 "pwrite",
					 "ftruncate",
					 "fsync",
					 "fchmod",
					 "renameat2",
					 "unlinkat",
					 "malloc",
					 "fstat",
					 "dup",
					 "close",
					 "open",
					 "fdopendir",
					 "getrandom",
					 "fchown",
					 "fstatfs",
					 "sync_file_range",
					 "mount",
					 "umount2",
					 "child_sh",
					 "mkdir",
					 "chown",
					 "chmod",
					 "stat",
					 "link",
					 "fopen",
					 "posix_fallocate",
					 "pathconf",
					 "mkdtemp",
					 "geteuid",
					 "realpath",
					 "pipe2",
					 "fork",
					 "fclose",
					 "any" };
	_Static_assert(sizeof n / sizeof n[0] == INJ_NCALLS, "a name for every call");
	return c < INJ_NCALLS ? n[c] : "?";
}

/* The plan's filters: a call of its kind that does not match them is
 * not counted. */
static int filtered_out(enum inj_call c, const char *path, unsigned long req)
{
	if (plan.call != c)
		return 0;
	if (plan.path_has && !(path && strstr(path, plan.path_has)))
		return 1;
	if (plan.path_under &&
	    !(path && strncmp(path, plan.path_under, strlen(plan.path_under)) == 0))
		return 1;
	return plan.ioctl_req && plan.ioctl_req != req;
}

static int hit(enum inj_call c, const char *path, unsigned long req)
{
	audit(c);
	if (!armed || filtered_out(c, path, req))
		return 0;
	unsigned n = ++counts[c];
	unsigned any = ++counts[INJ_ANY];
	unsigned match = plan.call == INJ_ANY ? any : plan.call == c ? n : 0;
	if (match == 0 || match < plan.nth || (!plan.persistent && match != plan.nth))
		return 0;
	fired = 1;
	armed = plan.persistent; /* once: disarm, so the hook's own calls pass */
	if (plan.hook) {
		int was = armed, was_audit = audit_armed;
		armed = audit_armed = 0;
		plan.hook(plan.hook_arg);
		armed = was;
		audit_armed = was_audit;
	}
	if (plan.kill)
		raise(SIGKILL);
	if (plan.short_count || plan.zero)
		return 2;
	if (plan.err == 0)
		return 0;
	errno = plan.err;
	return 1;
}

int inj_hit(enum inj_call c, const char *path)
{
	return hit(c, path, 0);
}

/* open's mode argument is there only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, mode)                                                                     \
	do {                                                                                       \
		if ((flags) & (O_CREAT | __O_TMPFILE)) {                                           \
			va_list ap;                                                                \
			va_start(ap, flags);                                                       \
			mode = (mode_t)va_arg(ap, int);                                            \
			va_end(ap);                                                                \
		}                                                                                  \
	} while (0)

int __real_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...);
int __wrap_openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return inj_hit(INJ_OPENAT, path) == 1 ? -1 : __real_openat(dirfd, path, flags, mode);
}

int __real_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	OPEN_MODE(flags, mode);
	return inj_hit(INJ_OPEN, path) == 1 ? -1 : __real_open(path, flags, mode);
}

#define WRAP INJ_WRAP
WRAP(int, mkdirat, INJ_MKDIRAT, (int d, const char *p, mode_t m), (d, p, m), p, -1)
WRAP(int, fstatat, INJ_FSTATAT, (int d, const char *p, struct stat *s, int f), (d, p, s, f), p, -1)
WRAP(int, linkat, INJ_LINKAT, (int a, const char *b, int c, const char *e, int f), (a, b, c, e, f),
     e, -1)
WRAP(int, symlinkat, INJ_SYMLINKAT, (const char *t, int d, const char *p), (t, d, p), p, -1)
WRAP(ssize_t, readlinkat, INJ_READLINKAT, (int d, const char *p, char *b, size_t n), (d, p, b, n),
     p, -1)
WRAP(off_t, lseek, INJ_LSEEK, (int fd, off_t off, int w), (fd, off, w), NULL, -1)
WRAP(int, ftruncate, INJ_FTRUNCATE, (int fd, off_t len), (fd, len), NULL, -1)
WRAP(int, fsync, INJ_FSYNC, (int fd), (fd), NULL, -1)
WRAP(int, fchmod, INJ_FCHMOD, (int fd, mode_t m), (fd, m), NULL, -1)
WRAP(int, fchown, INJ_FCHOWN, (int fd, uid_t u, gid_t g), (fd, u, g), NULL, -1)
WRAP(int, renameat2, INJ_RENAMEAT2, (int a, const char *b, int c, const char *d, unsigned f),
     (a, b, c, d, f), d, -1)
WRAP(int, renameat, INJ_RENAMEAT2, (int a, const char *b, int c, const char *d), (a, b, c, d), d,
     -1)
WRAP(int, unlinkat, INJ_UNLINKAT, (int d, const char *p, int f), (d, p, f), p, -1)
WRAP(void *, calloc, INJ_MALLOC, (size_t n, size_t s), (n, s), NULL, NULL)
WRAP(void *, realloc, INJ_MALLOC, (void *p, size_t s), (p, s), NULL, NULL)
WRAP(char *, strdup, INJ_MALLOC, (const char *p), (p), NULL, NULL)
WRAP(char *, strndup, INJ_MALLOC, (const char *p, size_t n), (p, n), NULL, NULL)
WRAP(DIR *, fdopendir, INJ_FDOPENDIR, (int fd), (fd), NULL, NULL)
WRAP(ssize_t, getrandom, INJ_GETRANDOM, (void *b, size_t n, unsigned f), (b, n, f), NULL, -1)
WRAP(int, fstat, INJ_FSTAT, (int fd, struct stat *st), (fd, st), NULL, -1)
WRAP(int, fstatfs, INJ_FSTATFS, (int fd, struct statfs *st), (fd, st), NULL, -1)
WRAP(int, fstatvfs, INJ_FSTATFS, (int fd, struct statvfs *st), (fd, st), NULL, -1)
WRAP(int, sync_file_range, INJ_SYNC_FILE_RANGE, (int fd, off_t o, off_t n, unsigned f),
     (fd, o, n, f), NULL, -1)
WRAP(int, dup, INJ_DUP, (int fd), (fd), NULL, -1)

/* The request is what ioctl_req looks at, e.g. FICLONE. */
int __real_ioctl(int fd, unsigned long req, void *arg);
int __wrap_ioctl(int fd, unsigned long req, void *arg);
int __wrap_ioctl(int fd, unsigned long req, void *arg)
{
	return hit(INJ_IOCTL, NULL, req) == 1 ? -1 : __real_ioctl(fd, req, arg);
}

/* close(2) releases the fd even when it reports an error (Linux): so
 * do we, then report the injected error. */
int __real_close(int fd);
int __wrap_close(int fd);
int __wrap_close(int fd)
{
	int h = inj_hit(INJ_CLOSE, NULL);
	int r = __real_close(fd);
	return h == 1 ? -1 : r;
}

int __real_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	if (cmd == F_DUPFD_CLOEXEC && inj_hit(INJ_DUP, NULL) == 1)
		return -1;
	return __real_fcntl(fd, cmd, arg);
}

void *__real_malloc(size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_malloc(size_t n)
{
	return inj_hit(INJ_MALLOC, NULL) == 1 ? NULL : __real_malloc(n);
}

/* The data calls can also be shortened: half the count asked for. */
#define WRAP_IO(name, call, proto, args, first_count)                                              \
	ssize_t __real_##name proto;                                                               \
	ssize_t __wrap_##name proto;                                                               \
	ssize_t __wrap_##name proto                                                                \
	{                                                                                          \
		int h = inj_hit(call, NULL);                                                       \
		if (h == 1)                                                                        \
			return -1;                                                                 \
		if (h == 2 && plan.zero)                                                           \
			return 0;                                                                  \
		if (h == 2 && first_count > 1)                                                     \
			first_count /= 2;                                                          \
		return __real_##name args;                                                         \
	}

WRAP_IO(read, INJ_READ, (int fd, void *b, size_t n), (fd, b, n), n)
WRAP_IO(write, INJ_WRITE, (int fd, const void *b, size_t n), (fd, b, n), n)
WRAP_IO(pread, INJ_PREAD, (int fd, void *b, size_t n, off_t o), (fd, b, n, o), n)
WRAP_IO(pwrite, INJ_PWRITE, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o), n)
WRAP_IO(copy_file_range, INJ_COPY_FILE_RANGE,
	(int a, off_t *b, int c, off_t *d, size_t n, unsigned f), (a, b, c, d, n, f), n)
