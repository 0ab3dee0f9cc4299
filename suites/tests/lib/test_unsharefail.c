/* test_unsharefail.c - snapfork_unshare_at (ref/lib/unshare.c) where its
 * calls fail or the world differs from the usual: descriptor 0 free at
 * each of its opens; the copy's temporary name already taken (the random
 * part fixed); chown refused (EPERM, ignored: an unprivileged caller owns
 * both) or failing; no memory for the parent's path; a parent that is no
 * directory, or missing.  Through --wrap it also checks what cannot be
 * seen from outside: the copy is never open to group or others before
 * its mode is set, and every descriptor it holds is close-on-exec. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"
#include "wrapio.h"

static int fd0_at;    /* free descriptor 0 before this open (1-based) */
static int openats;   /* open and openat calls so far */
static int chown_err; /* fchown fails with it */
static int refill;    /* after the rename, a file appears at the old name */
static int dup_fail;  /* strdup and strndup give NULL (ENOMEM) */
static struct tt_cloexec *audit;

int __real_openat(int dir, const char *name, int flags, ...);
int __wrap_openat(int dir, const char *name, int flags, ...);
int __wrap_openat(int dir, const char *name, int flags, ...)
{
	mode_t mode;
	TT_OPEN_MODE(flags, mode);
	if (++openats == fd0_at)
		close(0);
	return __real_openat(dir, name, flags, mode);
}

/* open(".") for a bare name in the cwd: counted with openat. */
int __real_open(const char *name, int flags, ...);
int __wrap_open(const char *name, int flags, ...);
int __wrap_open(const char *name, int flags, ...)
{
	mode_t mode;
	TT_OPEN_MODE(flags, mode);
	if (++openats == fd0_at)
		close(0);
	return __real_open(name, flags, mode);
}

int __real_renameat(int od, const char *o, int nd, const char *n);
int __wrap_renameat(int od, const char *o, int nd, const char *n);
int __wrap_renameat(int od, const char *o, int nd, const char *n)
{
	int r = __real_renameat(od, o, nd, n);
	if (r == 0 && refill) {
		int fd = openat(od, o, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0)
			abort();
		close(fd);
		refill = 0;
	}
	return r;
}

int __real_fchown(int fd, uid_t u, gid_t g);
int __wrap_fchown(int fd, uid_t u, gid_t g);
int __wrap_fchown(int fd, uid_t u, gid_t g)
{
	if (chown_err) {
		errno = chown_err;
		return -1;
	}
	return __real_fchown(fd, u, g);
}

/* Every descriptor is open here (the directory, the original, the copy). */
int __real_fsync(int fd);
int __wrap_fsync(int fd);
int __wrap_fsync(int fd)
{
	if (audit)
		tt_cloexec_check(audit, "fsync of the copy", -1);
	return __real_fsync(fd);
}

char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
	if (dup_fail) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

char *__real_strndup(const char *s, size_t n);
char *__wrap_strndup(const char *s, size_t n);
char *__wrap_strndup(const char *s, size_t n)
{
	if (dup_fail) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strndup(s, n);
}

/* dir/snap and dir/fork: one inode of 1 MiB (data in its first 8 KiB),
 * mode 0640. */
static int setup(void **state)
{
	fd0_at = openats = tt_fixed_random = chown_err = dup_fail = refill = 0;
	audit = NULL;
	int r = tt_scratch_setup(state);
	const char *dir = *state;
	tt_file(dir, "snap", 0640, 1 << 20, (struct tt_extent[]){ { 0, 8192, 5 } }, 1);
	assert_int_equal(chmod(tt_p(dir, "snap"), 0640), 0);
	assert_int_equal(link(tt_p(dir, "snap"), tt_p(dir, "fork")), 0);
	return r;
}

static ino_t ino(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_ino;
}

/* dir/fork is its own inode now, dir/snap alone on the old one; n
 * staging-like names left (someone's). */
static void unshared_n(const char *dir, const char *when, int n)
{
	if (ino(tt_p(dir, "fork")) == ino(tt_p(dir, "snap")))
		fail_msg("%s: fork still shares the inode", when);
	struct stat st;
	assert_int_equal(stat(tt_p(dir, "fork"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_size, 1 << 20);
	assert_int_equal(tt_count_named(dir, "snapfork"), n);
}

static void unshared(const char *dir, const char *when)
{
	unshared_n(dir, when, 0);
}

/* Descriptor 0 free before each of its opens in turn (by path, in the
 * cwd, and in a directory descriptor): unshared the same, 0 not kept. */
static void test_fd0_at_every_open(void **state)
{
	const char *dir = *state;
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
	assert_true(saved >= 0);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char cwd[4200];
	assert_non_null(getcwd(cwd, sizeof cwd));
	for (int how = 0; how < 3; how++)
		for (int n = 1; n < 10; n++) {
			fd0_at = n;
			openats = 0;
			int u = -1, r;
			if (how == 0) {
				r = snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork"), &u);
			} else if (how == 1) {
				assert_int_equal(chdir(dir), 0);
				r = snapfork_unshare("fork", &u);
				assert_int_equal(chdir(cwd), 0);
			} else {
				r = snapfork_unshare_at(d, "fork", &u);
			}
			fd0_at = 0;
			int fired = openats >= n, open0 = fcntl(0, F_GETFD) >= 0;
			if (!open0)
				assert_int_equal(dup2(saved, 0), 0);
			char when[64];
			snprintf(when, sizeof when, "way %d, fd 0 free at openat #%d", how, n);
			if (r != 0)
				fail_msg("%s: %d", when, r);
			if (fired && open0)
				fail_msg("%s: descriptor 0 kept open", when);
			assert_int_equal(u, 1);
			unshared(dir, when);
			/* Shared again for the next round. */
			assert_int_equal(unlink(tt_p(dir, "fork")), 0);
			assert_int_equal(link(tt_p(dir, "snap"), tt_p(dir, "fork")), 0);
			if (!fired)
				break;
		}
	close(d);
	close(saved);
}

/* The copy's mode: none for group or others until fchmod gives it the
 * original's (a window others could open it in); its descriptors all
 * close-on-exec. */
static void test_copy_private_until_its_mode(void **state)
{
	const char *dir = *state;
	struct tt_cloexec a;
	tt_cloexec_start(&a);
	audit = &a;
	tt_mode_before_chmod = 07777;
	int u = 0;
	mode_t mask = umask(0); /* 0600 exactly: no umask hides a bit */
	int r = snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork"), &u);
	umask(mask);
	audit = NULL;
	assert_int_equal(r, 0);
	if (a.leak[0])
		fail_msg("%s", a.leak);
	if ((tt_mode_before_chmod & 07777) != 0600)
		fail_msg("the copy was %04o before its fchmod, not 0600",
			 (unsigned)(tt_mode_before_chmod & 07777));
	unshared(dir, "private");
	/* By bare name in the cwd (the directory opened as "."), the same. */
	assert_int_equal(unlink(tt_p(dir, "fork")), 0);
	assert_int_equal(link(tt_p(dir, "snap"), tt_p(dir, "fork")), 0);
	char cwd[4200];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	tt_cloexec_start(&a);
	audit = &a;
	r = snapfork_unshare("fork", NULL);
	audit = NULL;
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r, 0);
	if (a.leak[0])
		fail_msg("by bare name: %s", a.leak);
}

/* Done, it removes nothing more: a file someone makes at the old
 * temporary name just after the rename is theirs, and stays. */
static void test_nothing_removed_after_the_rename(void **state)
{
	const char *dir = *state;
	refill = 1;
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork"), NULL), 0);
	assert_int_equal(refill, 0);
	unshared_n(dir, "a file at the old name", 1);
}

/* The temporary name taken (by anyone: it is in the snapshot's own
 * directory): EEXIST, a negative errno; that file and the link kept. */
static void test_temporary_name_taken(void **state)
{
	const char *dir = *state;
	tt_fixed_random = 1;
	char rel[NAME_MAX + 8];
	/* Its name, written out here: "." BASE ".snapfork-" PID "-" 8 hex. */
	snprintf(rel, sizeof rel, ".fork.snapfork-%ld-5e5e5e5e", (long)getpid());
	tt_text(dir, rel, 0644, "someone's\n");
	int u = -1;
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork"), &u), -EEXIST);
	assert_int_equal(u, -1);
	assert_int_equal(ino(tt_p(dir, "fork")), ino(tt_p(dir, "snap")));
	struct stat st;
	assert_int_equal(stat(tt_p(dir, rel), &st), 0);
	assert_int_equal(st.st_size, 10);
}

/* chown refused (EPERM: not root; the caller owns both anyway): done;
 * failing otherwise (EIO): the error, the link kept, no temporary. */
static void test_chown_answers(void **state)
{
	const char *dir = *state;
	chown_err = EPERM;
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork"), NULL), 0);
	unshared(dir, "chown EPERM");
	assert_int_equal(unlink(tt_p(dir, "fork")), 0);
	assert_int_equal(link(tt_p(dir, "snap"), tt_p(dir, "fork")), 0);
	chown_err = EIO;
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork"), NULL), -EIO);
	assert_int_equal(ino(tt_p(dir, "fork")), ino(tt_p(dir, "snap")));
	assert_int_equal(tt_count_named(dir, "snapfork"), 0);
}

/* The parent cannot be had: no memory for its path (ENOMEM), missing
 * (ENOENT), a FIFO (ENOTDIR at once, never an open that waits for a
 * writer), a file (ENOTDIR). */
static void test_parent_problems(void **state)
{
	const char *dir = *state;
	dup_fail = 1;
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork"), NULL), -ENOMEM);
	dup_fail = 0;
	char p[4300];
	snprintf(p, sizeof p, "%s/missing/fork", dir);
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, p, NULL), -ENOENT);
	tt_fifo(dir, "fifo");
	snprintf(p, sizeof p, "%s/fifo/fork", dir);
	alarm(20); /* a hang is a failure */
	int r = snapfork_unshare_at(AT_FDCWD, p, NULL);
	alarm(0);
	assert_int_equal(r, -ENOTDIR);
	snprintf(p, sizeof p, "%s/snap/fork", dir);
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, p, NULL), -ENOTDIR);
	assert_int_equal(ino(tt_p(dir, "fork")), ino(tt_p(dir, "snap")));
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, tt_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_fd0_at_every_open),    T(test_copy_private_until_its_mode),
		T(test_temporary_name_taken), T(test_chown_answers),
		T(test_parent_problems),      T(test_nothing_removed_after_the_rename),
	};
	return cmocka_run_group_tests_name("unshare, failing", tests, NULL, NULL);
}
