/* test_sweep.c - the sweep of dead forks' staging (ref/lib/clean.c,
 * CONTRACT.md C2) in the worlds a test cannot make by hand: a filesystem
 * shared between machines (fstatfs's f_type faked), one whose readdir
 * says DT_UNKNOWN, an entry gone or swapped between readdir and the lock,
 * a lock someone else holds, an error on the way, a process whose stdin
 * is closed.  The calls are seen through the linker's --wrap; at each,
 * every descriptor the library holds must be close-on-exec. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"

/* ---- the wrapped calls ---- */

static int fake_fs; /* fstatfs says f_type is fake_type */
static unsigned long fake_type;
static int fstatfs_err;   /* fstatfs fails with this */
static int unknown_types; /* readdir says DT_UNKNOWN */
static void (*after_readdir)(const char *name);
static void (*after_lock)(void); /* once, after the first flock that succeeds */
static int open_err;             /* openat of a staging name fails with this */
static int open_errs;            /* ...the first; EIO after it */
static int placeholder = -1;     /* closed at the first readdir: fd 0 comes free */

/* Descriptors the library holds must be close-on-exec (cloexec.c):
 * checked at each wrapped call. */
static struct tt_cloexec audited;

static void audit(const char *where)
{
	tt_cloexec_check(&audited, where, placeholder);
}

int __real_fstatfs(int fd, struct statfs *b);
int __wrap_fstatfs(int fd, struct statfs *b);
int __wrap_fstatfs(int fd, struct statfs *b)
{
	audit("fstatfs");
	if (fstatfs_err) {
		errno = fstatfs_err;
		return -1;
	}
	int r = __real_fstatfs(fd, b);
	if (r == 0 && fake_fs)
		b->f_type = (__fsword_t)fake_type;
	return r;
}

struct dirent *__real_readdir(DIR *d);
struct dirent *__wrap_readdir(DIR *d);
struct dirent *__wrap_readdir(DIR *d)
{
	audit("readdir");
	if (placeholder >= 0) {
		close(placeholder);
		placeholder = -1;
	}
	struct dirent *de = __real_readdir(d);
	if (de && unknown_types)
		de->d_type = DT_UNKNOWN;
	if (de && after_readdir)
		after_readdir(de->d_name);
	return de;
}

static int fdopendir_err; /* fdopendir fails with this */

DIR *__real_fdopendir(int fd);
DIR *__wrap_fdopendir(int fd);
DIR *__wrap_fdopendir(int fd)
{
	/* Here, before glibc's fdopendir sets FD_CLOEXEC itself: the dup
	 * must have it from the start (another thread may exec meanwhile). */
	audit("fdopendir");
	if (fdopendir_err) {
		errno = fdopendir_err;
		return NULL;
	}
	return __real_fdopendir(fd);
}

int __real_flock(int fd, int op);
int __wrap_flock(int fd, int op);
int __wrap_flock(int fd, int op)
{
	audit("flock");
	int r = __real_flock(fd, op);
	if (r == 0 && after_lock) {
		void (*hook)(void) = after_lock;
		after_lock = NULL;
		hook();
	}
	return r;
}

int __real_openat(int dir, const char *name, int flags, ...);
int __wrap_openat(int dir, const char *name, int flags, ...);
int __wrap_openat(int dir, const char *name, int flags, ...)
{
	mode_t mode = 0;
	if (flags & (O_CREAT | __O_TMPFILE)) {
		va_list ap;
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	if (open_err && sf_stage_is_name(name)) {
		errno = open_err;
		if (open_errs) /* the next one fails otherwise: EACCES, EIO, EIO... */
			open_err = EIO;
		return -1;
	}
	return __real_openat(dir, name, flags, mode);
}

/* ---- the tests ---- */

static const char *here; /* the scratch of the running test */

static int setup(void **state)
{
	/* Every test but the shared-filesystem one sees a local filesystem,
	 * whatever SNAPFORK_TEST_DIR is on (NFS would keep everything). */
	fake_fs = 1;
	fake_type = EXT4_SUPER_MAGIC;
	fdopendir_err = 0;
	placeholder = -1;
	fstatfs_err = 0;
	unknown_types = 0;
	after_readdir = NULL;
	after_lock = NULL;
	open_err = 0;
	int r = tt_scratch_setup(state);
	here = *state;
	return r;
}

/* A dead fork's staging: a directory with a staging name nobody locks. */
static const char *dead(const char *dir, int i)
{
	static char name[8][64];
	snprintf(name[i % 8], sizeof name[0], ".f%d.snapfork-1-%08x", i, i);
	assert_int_equal(mkdirat(AT_FDCWD, tt_p(dir, name[i % 8]), 0700), 0);
	tt_text(tt_p(dir, name[i % 8]), "memory", 0600, "guest\n");
	return name[i % 8];
}

struct tally {
	unsigned removed, live, failed, each, errs;
	int first; /* the first error the callback saw */
};

static void each(void *arg, const char *name, int what)
{
	struct tally *t = arg;
	assert_true(sf_stage_is_name(name));
	t->each++;
	t->errs += what < 0;
	if (what < 0 && !t->first)
		t->first = what;
}

/* snapfork_clean(dir), audited; the counts it reports and the callbacks. */
static int clean(const char *dir, struct tally *t)
{
	struct snapfork_clean c = SNAPFORK_CLEAN_INIT;
	memset(t, 0, sizeof *t);
	c.each = each;
	c.arg = t;
	tt_cloexec_start(&audited);
	int r = snapfork_clean(dir, &c);
	if (audited.leak[0])
		fail_msg("%s", audited.leak);
	t->removed = c.removed;
	t->live = c.live;
	t->failed = c.failed;
	assert_int_equal(t->each, c.removed + c.live + c.failed);
	assert_int_equal(t->errs, c.failed);
	return r;
}

/* NFS, SMB, FUSE, 9p, Ceph, AFS (the magics from the kernel's own
 * header): a dead fork's staging there may be another machine's live
 * one, whose flock we cannot see, so it is left and counted live.  A
 * local filesystem, or a number next to one of those, is swept; a
 * failed fstatfs cannot tell, so everything stays. */
static void test_shared_filesystems_left_alone(void **state)
{
	const char *dir = *state;
	static const unsigned long shared[] = {
		NFS_SUPER_MAGIC,  CIFS_SUPER_MAGIC, SMB2_SUPER_MAGIC,
		SMB_SUPER_MAGIC,  FUSE_SUPER_MAGIC, V9FS_MAGIC,
		CEPH_SUPER_MAGIC, AFS_SUPER_MAGIC,  AFS_FS_MAGIC,
	};
	struct tally t;
	const char *name = dead(dir, 1);
	fake_fs = 1;
	for (size_t i = 0; i < sizeof shared / sizeof *shared; i++) {
		fake_type = shared[i];
		assert_int_equal(clean(dir, &t), 0);
		if (t.live != 1 || t.removed != 0 || !tt_exists(tt_p(dir, name)))
			fail_msg("f_type %#lx (a shared filesystem): %u removed, %u live",
				 fake_type, t.removed, t.live);
	}
	fstatfs_err = EIO;
	assert_int_equal(clean(dir, &t), 0);
	assert_int_equal(t.live, 1);
	assert_true(tt_exists(tt_p(dir, name)));
	fstatfs_err = 0;
	int i = 2;
	for (size_t k = 0; k < sizeof shared / sizeof *shared; k++)
		for (int d = -1; d <= 1; d += 2) {
			fake_type = shared[k] + (unsigned long)d;
			name = dead(dir, i++);
			assert_int_equal(clean(dir, &t), 0);
			if (t.removed != 1u + (k == 0 && d == -1) || t.live != 0 ||
			    tt_exists(tt_p(dir, name)))
				fail_msg("f_type %#lx (not shared): %u removed, %u live", fake_type,
					 t.removed, t.live);
		}
}

/* readdir may say DT_UNKNOWN (xfs without ftype, some FUSE): each
 * staging name is then opened to see.  A dead directory is removed; a
 * file, a symlink (even to a directory) and an entry gone meanwhile are
 * no staging: not counted, no error. */
static void gone(const char *name)
{
	if (!strncmp(name, ".gone.", 6))
		assert_int_equal(unlinkat(AT_FDCWD, tt_p(here, name), AT_REMOVEDIR), 0);
}

static void test_unknown_types_and_vanishing_entries(void **state)
{
	const char *dir = *state;
	struct tally t;
	const char *name = dead(dir, 1);
	tt_text(dir, ".file.snapfork-1-00000001", 0644, "not staging\n");
	tt_mkdir(dir, "plain", 0755);
	tt_symlink(dir, ".link.snapfork-1-00000002", "plain");
	tt_mkdir(dir, ".gone.snapfork-1-00000003", 0700);
	unknown_types = 1;
	after_readdir = gone;
	assert_int_equal(clean(dir, &t), 0);
	assert_int_equal(t.removed, 1);
	assert_int_equal(t.live, 0);
	assert_int_equal(t.failed, 0);
	assert_false(tt_exists(tt_p(dir, name)));
	assert_false(tt_exists(tt_p(dir, ".gone.snapfork-1-00000003")));
	assert_true(tt_exists(tt_p(dir, ".file.snapfork-1-00000001")));
	assert_true(tt_exists(tt_p(dir, ".link.snapfork-1-00000002")));
	assert_true(tt_exists(tt_p(dir, "plain")));
}

/* An error on one staging directory is counted, passed to the callback,
 * and returned (the first one met: each open fails with another errno);
 * the sweep goes on to the next. */
static void test_errors_counted_and_returned(void **state)
{
	const char *dir = *state;
	struct tally t;
	dead(dir, 1);
	dead(dir, 2);
	dead(dir, 3);
	open_err = EACCES;
	open_errs = 1;
	int r = clean(dir, &t);
	open_err = open_errs = 0;
	assert_int_equal(t.failed, 3);
	assert_int_equal(t.removed + t.live, 0);
	assert_int_equal(r, t.first);
	assert_int_equal(r, -EACCES);
	assert_int_equal(clean(dir, &t), 0);
	assert_int_equal(t.removed, 3);
	/* The directory cannot be read at all (EMFILE: out of descriptors):
	 * the error, and nothing done.  No descriptor is left behind. */
	dead(dir, 4);
	int fds = tt_open_fds();
	fdopendir_err = EMFILE;
	assert_int_equal(clean(dir, &t), -EMFILE);
	fdopendir_err = 0;
	assert_int_equal(tt_open_fds(), fds);
	assert_int_equal(t.each, 0);
	assert_int_equal(tt_count_named(dir, ".snapfork-"), 1);
}

/* Any lock on it, even a shared one, says someone holds it: live. */
static void test_a_shared_lock_keeps_it(void **state)
{
	const char *dir = *state;
	struct tally t;
	const char *name = dead(dir, 1);
	int fd = open(tt_p(dir, name), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_SH), 0);
	assert_int_equal(clean(dir, &t), 0);
	assert_int_equal(t.live, 1);
	assert_true(tt_exists(tt_p(dir, name)));
	close(fd);
	assert_int_equal(clean(dir, &t), 0);
	assert_int_equal(t.removed, 1);
}

/* The name swapped between the open and the lock (a fork published the
 * dead one's name? a user's mv): what is there now is not what was locked,
 * so nothing is removed, whether a directory or a symlink took the name. */
static char swapped[64];
static int swap_to_link, new_dir = -1;

static void swap(void)
{
	char aside[4200];
	snprintf(aside, sizeof aside, "%s", tt_p(here, "aside"));
	assert_int_equal(rename(tt_p(here, swapped), aside), 0);
	if (swap_to_link) {
		tt_symlink(here, swapped, "aside");
		return;
	}
	tt_mkdir(here, swapped, 0700);
	/* Held: whether or not readdir goes on to return the new entry
	 * (POSIX leaves it open; tmpfs and xfs may), it is not dead. */
	new_dir = open(tt_p(here, swapped), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(new_dir >= 0);
	assert_int_equal(flock(new_dir, LOCK_SH), 0);
}

static void test_swapped_after_the_lock(void **state)
{
	const char *dir = *state;
	struct tally t;
	for (swap_to_link = 0; swap_to_link < 2; swap_to_link++) {
		snprintf(swapped, sizeof swapped, "%s", dead(dir, 1));
		after_lock = swap;
		assert_int_equal(clean(dir, &t), 0);
		if (new_dir >= 0)
			close(new_dir);
		new_dir = -1;
		assert_int_equal(t.removed, 0);
		assert_true(t.live >= 1);
		assert_true(tt_exists(tt_p(dir, swapped)));
		assert_true(tt_exists(tt_p(dir, "aside/memory")));
		if (swap_to_link)
			assert_int_equal(unlink(tt_p(dir, swapped)), 0);
		else
			tt_rm_rf(tt_p(dir, swapped));
		tt_rm_rf(tt_p(dir, "aside"));
	}
}

/* A daemon may run with stdin closed: the library's first descriptor is
 * then 0, which is a descriptor like any other. */
static void test_stdin_closed(void **state)
{
	const char *dir = *state;
	struct tally t;
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
	assert_true(saved >= 0);
	close(0);
	dead(dir, 1);
	int r = clean(dir, &t); /* snapfork_clean_at's own open gets 0 */
	unsigned removed = t.removed;
	/* Now the sweep's open of the staging: fd 0 is held by a placeholder
	 * until the first readdir, when the walk's own are open. */
	dead(dir, 2);
	placeholder = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct snapfork_clean c = SNAPFORK_CLEAN_INIT;
	if (placeholder != 0 || d < 0)
		fail_msg("fd 0 is not the placeholder (%d), or %s did not open", placeholder, dir);
	int r2 = sf_stage_sweep(d, &c);
	/* And the directory stream's own dup: fd 0 free when it is made. */
	dead(dir, 3);
	struct snapfork_clean c3 = SNAPFORK_CLEAN_INIT;
	int r3 = sf_stage_sweep(d, &c3);
	close(d);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_int_equal(r, 0);
	assert_int_equal(removed, 1);
	assert_int_equal(r2, 0);
	assert_int_equal(c.removed, 1);
	assert_int_equal(r3, 0);
	assert_int_equal(c3.removed, 1);
	assert_int_equal(tt_count_named(dir, ".snapfork-"), 0);
}

/* snapfork_clean of a FIFO is ENOTDIR at once: opened without
 * O_DIRECTORY it would block until a writer came. */
static void test_clean_a_fifo(void **state)
{
	const char *dir = *state;
	tt_fifo(dir, "fifo");
	alarm(20); /* a hang is a failure, not a stuck run */
	struct snapfork_clean c = SNAPFORK_CLEAN_INIT;
	int r = snapfork_clean(tt_p(dir, "fifo"), &c);
	alarm(0);
	assert_int_equal(r, -ENOTDIR);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, tt_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_shared_filesystems_left_alone),
		T(test_unknown_types_and_vanishing_entries),
		T(test_errors_counted_and_returned),
		T(test_a_shared_lock_keeps_it),
		T(test_swapped_after_the_lock),
		T(test_stdin_closed),
		T(test_clean_a_fifo),
	};
	return cmocka_run_group_tests_name("sweep", tests, NULL, NULL);
}
