/* util.c - error recording, errno classes, clocks and temp names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static void record(struct ctx *c, int err, enum snapfork_side side, const char *path,
		   const char *reason)
{
	struct snapfork_report *r = c->rep;
	if (r->error != 0)
		return;
	r->error = err;
	r->error_side = side;
	r->error_reason = reason;
	size_t n = strlen(path);
	if (n >= SNAPFORK_REPORT_PATH) { /* cut, and say so */
		memcpy(r->error_path, path, SNAPFORK_REPORT_PATH - 4);
		memcpy(r->error_path + SNAPFORK_REPORT_PATH - 4, "...", 4);
	} else {
		memcpy(r->error_path, path, n + 1);
	}
}

int sf_fail_path(struct ctx *c, int err, const char *path, const char *reason)
{
	record(c, err, SNAPFORK_SIDE_ARG, path, reason);
	return err;
}

int sf_fail_rel(struct ctx *c, int err, enum snapfork_side side, const char *rel,
		const char *reason)
{
	record(c, err, side, rel, reason);
	return err;
}

int sf_fail(struct ctx *c, int err, enum snapfork_side side, const char *reason)
{
	record(c, err, side, c->path.len ? c->path.buf : "", reason);
	return err;
}

int sf_errno_fallback(int err)
{
	switch (err) {
	case ENOSYS:
	case EOPNOTSUPP: /* == ENOTSUP on Linux */
	case ENOTTY:     /* FICLONE on a filesystem without the ioctl */
	case EXDEV:      /* copy_file_range across filesystems before 5.3 */
	case EINVAL:
	case EBADF:
	case ETXTBSY:
	case EPERM:
	case EACCES:
		return 1;
	}
	return 0;
}

int sf_errno_link_fallback(int err)
{
	switch (err) {
	case EXDEV:  /* snapshot and fork on different filesystems */
	case EMLINK: /* ext4 caps an inode at 65000 links; btrfs per directory */
	case EPERM:  /* immutable file, or fs.protected_hardlinks */
	case EACCES:
	case EOPNOTSUPP:
	case ENOSYS:
		return 1;
	}
	return 0;
}

uint64_t sf_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ".<base>.snapfork-<pid>-<random>", base cut so the name fits NAME_MAX
 * (at most 1 + 200 + 10 + 20 + 1 + 8 bytes). */
void sf_tmpname(const char *base, char out[static NAME_MAX + 1])
{
	uint32_t rnd;
	if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
		rnd = (uint32_t)sf_now_ns();
	snprintf(out, NAME_MAX + 1, ".%.200s.snapfork-%ld-%08x", base, (long)getpid(), rnd);
}

int sf_opendir_dup(int dirfd, DIR **out)
{
	/* Close-on-exec from the start: glibc's fdopendir sets FD_CLOEXEC
	 * (dirent/opendir.c), but only after the dup, and another thread of
	 * the caller may fork and exec in between. */
	int fd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	/* The dup shares its offset with dirfd: start from the top. */
	rewinddir(d);
	*out = d;
	return 0;
}

int sf_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}
