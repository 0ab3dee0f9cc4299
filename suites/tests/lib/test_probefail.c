/* test_probefail.c - snapfork_probe when its own trials fail: each
 * capability reports the errno its trial got, and only its own; a trial
 * file that cannot be made fails all five with that errno; a directory
 * that cannot be opened, stat'ed or given a scratch fails the probe.
 * Every case leaves nothing behind.
 *
 * The calls are made to fail through the linker's --wrap, one kind (and
 * for openat and renameat2, one name) at a time, while the probe runs;
 * each case's errno is one no filesystem gives there by itself, so a
 * report that kept the real answer, or lost the errno's sign, shows. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "snapfork.h"
#include "testtree.h"
#include "wrapio.h"

/* The one fault of a case: calls of fn (to name, when given) fail with
 * err, or, err 0, return ret without being made. */
static struct {
	int armed;
	const char *fn, *name;
	int err;
	long ret;
} f;

/* Nonzero when this call of fn is the faulted one; then the wrapper
 * returns what gate leaves in *ret (errno set). */
static int gate(const char *fn, const char *name, long *ret)
{
	if (!f.armed || strcmp(f.fn, fn) != 0 || (f.name && (!name || strcmp(f.name, name) != 0)))
		return 0;
	errno = f.err;
	*ret = f.err ? -1 : f.ret;
	return 1;
}

int __real_openat(int dir, const char *name, int flags, ...);
int __wrap_openat(int dir, const char *name, int flags, ...);
int __wrap_openat(int dir, const char *name, int flags, ...)
{
	mode_t mode;
	TT_OPEN_MODE(flags, mode);
	long r;
	return gate("openat", name, &r) ? (int)r : __real_openat(dir, name, flags, mode);
}

int __real_linkat(int a, const char *an, int b, const char *bn, int flags);
int __wrap_linkat(int a, const char *an, int b, const char *bn, int flags);
int __wrap_linkat(int a, const char *an, int b, const char *bn, int flags)
{
	long r;
	return gate("linkat", bn, &r) ? (int)r : __real_linkat(a, an, b, bn, flags);
}

ssize_t __real_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	long r;
	return gate("pwrite", NULL, &r) ? r : __real_pwrite(fd, buf, n, off);
}

int __real_fsync(int fd);
int __wrap_fsync(int fd);
int __wrap_fsync(int fd)
{
	long r;
	return gate("fsync", NULL, &r) ? (int)r : __real_fsync(fd);
}

off_t __real_lseek(int fd, off_t off, int whence);
off_t __wrap_lseek(int fd, off_t off, int whence);
off_t __wrap_lseek(int fd, off_t off, int whence)
{
	long r;
	return gate("lseek", NULL, &r) ? r : __real_lseek(fd, off, whence);
}

ssize_t __real_copy_file_range(int in, off_t *ino, int out, off_t *outo, size_t len,
			       unsigned flags);
ssize_t __wrap_copy_file_range(int in, off_t *ino, int out, off_t *outo, size_t len,
			       unsigned flags);
ssize_t __wrap_copy_file_range(int in, off_t *ino, int out, off_t *outo, size_t len, unsigned flags)
{
	long r;
	return gate("copy_file_range", NULL, &r)
		       ? r
		       : __real_copy_file_range(in, ino, out, outo, len, flags);
}

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	va_start(ap, req);
	long arg = va_arg(ap, long);
	va_end(ap);
	long r;
	return req == FICLONE && gate("ioctl", NULL, &r) ? (int)r : __real_ioctl(fd, req, arg);
}

int __real_renameat2(int a, const char *an, int b, const char *bn, unsigned flags);
int __wrap_renameat2(int a, const char *an, int b, const char *bn, unsigned flags);
int __wrap_renameat2(int a, const char *an, int b, const char *bn, unsigned flags)
{
	long r;
	return gate("renameat2", bn, &r) ? (int)r : __real_renameat2(a, an, b, bn, flags);
}

int __real_fstatfs(int fd, struct statfs *buf);
int __wrap_fstatfs(int fd, struct statfs *buf);
int __wrap_fstatfs(int fd, struct statfs *buf)
{
	long r;
	return gate("fstatfs", NULL, &r) ? (int)r : __real_fstatfs(fd, buf);
}

int __real_fstatvfs(int fd, struct statvfs *buf);
int __wrap_fstatvfs(int fd, struct statvfs *buf);
int __wrap_fstatvfs(int fd, struct statvfs *buf)
{
	long r;
	return gate("fstatvfs", NULL, &r) ? (int)r : __real_fstatvfs(fd, buf);
}

int __real_mkdirat(int dir, const char *name, mode_t mode);
int __wrap_mkdirat(int dir, const char *name, mode_t mode);
int __wrap_mkdirat(int dir, const char *name, mode_t mode)
{
	long r;
	return gate("mkdirat", NULL, &r) ? (int)r : __real_mkdirat(dir, name, mode);
}

/* The probe of dir under one fault; its scratch must be gone after. */
static int probe(const char *dir, struct snapfork_probe *p)
{
	f.armed = 1;
	int r = snapfork_probe(dir, p);
	f.armed = 0;
	assert_int_equal(tt_count_named(dir, "probe"), 0);
	assert_int_equal(tt_count_named(dir, "snapfork"), 0);
	return r;
}

enum field { ALL = -1, HARDLINK, REFLINK, SEEK_HOLE_, COPY_RANGE, RENAME };

static int32_t *field(struct snapfork_probe *p, int i)
{
	int32_t *all[] = { &p->hardlink, &p->reflink, &p->seek_hole, &p->copy_range,
			   &p->rename_noreplace };
	return all[i];
}

static const char *const names[] = { "hardlink", "reflink", "seek_hole", "copy_range",
				     "rename_noreplace" };

struct fault {
	const char *fn, *name;
	int err;
	long ret;
	enum field which;
	int want; /* the errno the field reports */
};

/* A trial's failure is its capability's answer, the others unchanged. */
static void test_each_trial_reports_its_errno(void **state)
{
	const char *dir = *state;
	struct snapfork_probe base = SNAPFORK_PROBE_INIT;
	f.fn = "none";
	assert_int_equal(probe(dir, &base), 0);
	static const struct fault cases[] = {
		/* The trial file: nothing can be tried without it. */
		{ "openat", "file", EACCES, 0, ALL, EACCES },
		{ "pwrite", NULL, ENOSPC, 0, ALL, ENOSPC },
		{ "fsync", NULL, EDQUOT, 0, ALL, EDQUOT },
		{ "linkat", "link", EMLINK, 0, HARDLINK, EMLINK },
		{ "openat", "clone", EMFILE, 0, REFLINK, EMFILE },
		{ "ioctl", NULL, ETXTBSY, 0, REFLINK, ETXTBSY },
		{ "lseek", NULL, ENXIO, 0, SEEK_HOLE_, ENXIO },
		/* Data at 0 of a file that starts with a 1 MiB hole: no holes
		 * here (the generic SEEK_DATA); data further on: holes. */
		{ "lseek", NULL, 0, 0, SEEK_HOLE_, EOPNOTSUPP },
		{ "lseek", NULL, 0, 1 << 20, SEEK_HOLE_, 0 },
		{ "openat", "range", ENFILE, 0, COPY_RANGE, ENFILE },
		{ "copy_file_range", NULL, EXDEV, 0, COPY_RANGE, EXDEV },
		/* 0 bytes copied from where 64 KiB of data are: not supported. */
		{ "copy_file_range", NULL, 0, 0, COPY_RANGE, EOPNOTSUPP },
		{ "copy_file_range", NULL, 0, 4096, COPY_RANGE, 0 },
		{ "openat", "a", ELOOP, 0, RENAME, ELOOP },
		/* Replacing "file" must be refused: a rename that "succeeds"
		 * over it does not honour RENAME_NOREPLACE. */
		{ "renameat2", "file", 0, 0, RENAME, EINVAL },
		{ "renameat2", "file", ENOSYS, 0, RENAME, ENOSYS },
		{ "renameat2", "b", EPERM, 0, RENAME, EPERM },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct fault *c = &cases[i];
		f.fn = c->fn;
		f.name = c->name;
		f.err = c->err;
		f.ret = c->ret;
		struct snapfork_probe p = SNAPFORK_PROBE_INIT;
		assert_int_equal(probe(dir, &p), 0);
		for (int k = 0; k < 5; k++) {
			int want =
				c->which == ALL || (int)c->which == k ? c->want : *field(&base, k);
			if (*field(&p, k) != want)
				fail_msg("%s%s%s failing (%s, ret %ld): %s is %d (%s), not %d (%s)",
					 c->fn, c->name ? " of " : "", c->name ? c->name : "",
					 strerror(c->err), c->ret, names[k], *field(&p, k),
					 strerror(*field(&p, k)), want, strerror(want));
		}
		/* The trial file's limit is asked only of a file there is. */
		assert_int_equal(p.link_max, c->which == ALL ? -1 : base.link_max);
		assert_int_equal(p.fs_magic, base.fs_magic);
	}
	f.name = NULL;
}

/* The directory itself cannot be opened, stat'ed or given its scratch:
 * the probe fails with the errno, the caller's struct untouched. */
static void test_the_directory_failing_fails_the_probe(void **state)
{
	const char *dir = *state;
	static const struct fault cases[] = {
		{ "openat", NULL, ENOTDIR, 0, ALL, ENOTDIR },
		{ "fstatfs", NULL, ENOLINK, 0, ALL, ENOLINK },
		{ "fstatvfs", NULL, EOVERFLOW, 0, ALL, EOVERFLOW },
		{ "mkdirat", NULL, EROFS, 0, ALL, EROFS },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		f.fn = cases[i].fn;
		f.name = cases[i].fn[0] == 'o' ? dir : NULL;
		f.err = cases[i].err;
		struct snapfork_probe p = SNAPFORK_PROBE_INIT, was = SNAPFORK_PROBE_INIT;
		int r = probe(dir, &p);
		if (r != -cases[i].want)
			fail_msg("%s failing with %s: the probe returned %d, not %d", cases[i].fn,
				 strerror(cases[i].err), r, -cases[i].want);
		assert_memory_equal(&p, &was, sizeof p);
	}
	f.name = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_each_trial_reports_its_errno, tt_scratch_setup,
						tt_scratch_teardown),
		cmocka_unit_test_setup_teardown(test_the_directory_failing_fails_the_probe,
						tt_scratch_setup, tt_scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
