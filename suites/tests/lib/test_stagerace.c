/* test_stagerace.c - sf_stage_create and sf_stage_mkdir (ref/lib/stage.c)
 * when the world moves between their steps: the staging directory
 * swapped for a symlink or swept away after mkdir, the lock refused,
 * busy or interrupted, the name taken over by another directory once the
 * lock is held.  Each step is made to race through the linker's --wrap
 * (mkdirat, flock, fstat, fstatat): a hook after the real call does what
 * a sweep or an attacker would have done in between. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"

static int parent = -1;

/* After the next real mkdirat: the new directory is swapped for a symlink
 * to "victim" (SWAP_LINK), or removed (SWAP_GONE). */
static enum { SWAP_NONE, SWAP_LINK, SWAP_GONE } after_mkdir;

int __real_mkdirat(int dir, const char *name, mode_t mode);
int __wrap_mkdirat(int dir, const char *name, mode_t mode);
int __wrap_mkdirat(int dir, const char *name, mode_t mode)
{
	int r = __real_mkdirat(dir, name, mode);
	if (r == 0 && after_mkdir != SWAP_NONE) {
		if (unlinkat(dir, name, AT_REMOVEDIR) < 0 ||
		    (after_mkdir == SWAP_LINK && symlinkat("victim", dir, name) < 0))
			abort();
		after_mkdir = SWAP_NONE;
	}
	return r;
}

/* The next flock calls: their errors in turn (0: the real call); with
 * retake set, after a real flock the locked directory's name is given to
 * a new directory (its own moved aside). */
struct lockplan {
	int err[4], n, at, calls;
	int retake;
};
static struct lockplan lk;

int __real_flock(int fd, int op);
int __wrap_flock(int fd, int op);
int __wrap_flock(int fd, int op)
{
	lk.calls++;
	int e = lk.at < lk.n ? lk.err[lk.at] : 0;
	lk.at += lk.at < lk.n;
	if (e) {
		errno = e;
		return -1;
	}
	int r = __real_flock(fd, op);
	if (r == 0 && lk.retake) {
		/* The locked directory's name, from its descriptor. */
		char link[64], path[4200], aside[4300];
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, path, sizeof path - 1);
		if (n <= 0)
			abort();
		path[n] = 0;
		const char *name = strrchr(path, '/') + 1;
		snprintf(aside, sizeof aside, "%s.aside", name);
		if (renameat(parent, name, parent, aside) < 0 || mkdirat(parent, name, 0700) < 0)
			abort();
		lk.retake = 0;
	}
	return r;
}

/* fstat fails with fstat_err once; the fstatat_nth-th fstatat of a
 * staging name from now fails with fstatat_err (sf_stage_mkdir's check
 * is the first of a name, claim's the second). */
static int fstat_err, fstatat_err, fstatat_nth;

int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st)
{
	if (fstat_err) {
		errno = fstat_err;
		fstat_err = 0;
		return -1;
	}
	return __real_fstat(fd, st);
}

int __real_fstatat(int dir, const char *name, struct stat *st, int flags);
int __wrap_fstatat(int dir, const char *name, struct stat *st, int flags);
int __wrap_fstatat(int dir, const char *name, struct stat *st, int flags)
{
	if (fstatat_err && strstr(name, ".snapfork-") && --fstatat_nth == 0) {
		errno = fstatat_err;
		fstatat_err = 0;
		return -1;
	}
	return __real_fstatat(dir, name, st, flags);
}

/* renameat2 fails with this (no RENAME_NOREPLACE: EINVAL, ENOSYS). */
static int rename2_err;

int __real_renameat2(int od, const char *o, int nd, const char *n, unsigned flags);
int __wrap_renameat2(int od, const char *o, int nd, const char *n, unsigned flags);
int __wrap_renameat2(int od, const char *o, int nd, const char *n, unsigned flags)
{
	if (rename2_err) {
		errno = rename2_err;
		return -1;
	}
	return __real_renameat2(od, o, nd, n, flags);
}

/* When rmdir of swap_dir fails (not empty), swap_dir is moved aside and
 * a symlink to the scratch's "victim" put in its place, before the
 * removal opens it. */
static const char *swap_dir;
/* ...with a FIFO swapped in instead of the symlink, when set. */
static int swap_fifo;
/* unlinkat of this name (a file) fails with EBUSY while set; of that one
 * with EPERM. */
static const char *busy_name, *perm_name;
/* Once unlinkat(name, 0) of this directory has said EISDIR, it is renamed
 * away (another remover got there first); with vanish_late, just before
 * its second rmdir instead (the one after its entries went). */
static const char *vanish_name;
static int vanish_late, vanish_rmdirs;

int __real_unlinkat(int dir, const char *name, int flags);
int __wrap_unlinkat(int dir, const char *name, int flags);
int __wrap_unlinkat(int dir, const char *name, int flags)
{
	if (busy_name && !(flags & AT_REMOVEDIR) && strcmp(name, busy_name) == 0) {
		errno = EBUSY;
		return -1;
	}
	if (perm_name && !(flags & AT_REMOVEDIR) && strcmp(name, perm_name) == 0) {
		errno = EPERM;
		return -1;
	}
	if (vanish_name && vanish_late && (flags & AT_REMOVEDIR) &&
	    strcmp(name, vanish_name) == 0 && ++vanish_rmdirs == 2) {
		if (renameat(dir, name, dir, "aside") < 0)
			abort();
		vanish_name = NULL;
	}
	int r = __real_unlinkat(dir, name, flags);
	int e = errno;
	if (r < 0 && swap_dir && (flags & AT_REMOVEDIR) && strcmp(name, swap_dir) == 0) {
		if (renameat(dir, name, dir, "aside") < 0 ||
		    (swap_fifo ? mkfifoat(dir, name, 0600) : symlinkat("../victim", dir, name)) < 0)
			abort();
		swap_dir = NULL;
	}
	if (r < 0 && e == EISDIR && vanish_name && !vanish_late && strcmp(name, vanish_name) == 0) {
		if (renameat(dir, name, dir, "aside") < 0)
			abort();
		vanish_name = NULL;
	}
	errno = e;
	return r;
}

/* Remove what dir holds under names starting with prefix (by the test's
 * own rm -rf, not the library's removal under test). */
static void rm_named(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			tt_rm_rf(tt_p(dir, de->d_name));
	closedir(d);
	assert_int_equal(tt_count_named(dir, prefix), 0);
}

static int setup(void **state)
{
	rename2_err = 0;
	swap_dir = busy_name = perm_name = vanish_name = NULL;
	swap_fifo = vanish_late = vanish_rmdirs = 0;
	after_mkdir = SWAP_NONE;
	memset(&lk, 0, sizeof lk);
	fstat_err = fstatat_err = fstatat_nth = 0;
	int r = tt_scratch_setup(state);
	parent = open(*state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(parent >= 0);
	tt_mkdir(*state, "victim", 0755);
	return r;
}

static int teardown(void **state)
{
	/* The scratch's removal goes through the same unlinkat wrapper: a
	 * test that failed before its call must not leave it armed. */
	swap_dir = busy_name = perm_name = vanish_name = NULL;
	swap_fifo = vanish_late = vanish_rmdirs = 0;
	close(parent);
	return tt_scratch_teardown(state);
}

/* Staging directories in parent. */
static int staged(const char *dir)
{
	return tt_count_named(dir, ".snapfork-");
}

/* Swapped for a symlink after mkdir: not ours, left as it is (EEXIST,
 * the victim untouched); swept away: EAGAIN (take another name), never
 * the parent's ENOENT. */
static void test_mkdir_then_swapped(void **state)
{
	const char *dir = *state;
	after_mkdir = SWAP_LINK;
	assert_int_equal(sf_stage_mkdir(parent, "s"), -EEXIST);
	struct stat st;
	assert_int_equal(lstat(tt_p(dir, "s"), &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(lstat(tt_p(dir, "victim"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	after_mkdir = SWAP_GONE;
	assert_int_equal(sf_stage_mkdir(parent, "t"), -EAGAIN);
	assert_false(tt_exists(tt_p(dir, "t")));
	/* In sf_stage_create both take another name: one directory, locked. */
	for (int k = 0; k < 2; k++) {
		after_mkdir = k ? SWAP_GONE : SWAP_LINK;
		char name[NAME_MAX + 1];
		int fd = sf_stage_create(parent, k ? "g" : "l", name);
		assert_true(fd >= 0);
		assert_int_equal(fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW), 0);
		assert_true(S_ISDIR(st.st_mode));
		close(fd);
	}
}

/* The lock: EINTR is retried; held by another (EWOULDBLOCK) takes
 * another name, the first left to its holder; no flock on this
 * filesystem (EOPNOTSUPP, EINVAL, EBADF, ENOSYS) goes on unlocked; any
 * other error (ENOLCK) fails, the directory removed. */
static void test_lock_answers(void **state)
{
	const char *dir = *state;
	char name[NAME_MAX + 1];
	struct stat st;
	lk = (struct lockplan){ .err = { EINTR, EINTR }, .n = 2 };
	int fd = sf_stage_create(parent, "i", name);
	assert_true(fd >= 0);
	assert_int_equal(lk.calls, 3);
	assert_int_equal(staged(dir), 1);
	close(fd);
	tt_rm_rf(tt_p(dir, name));

	lk = (struct lockplan){ .err = { EWOULDBLOCK }, .n = 1 };
	fd = sf_stage_create(parent, "w", name);
	assert_true(fd >= 0);
	assert_int_equal(lk.calls, 2);
	assert_int_equal(staged(dir), 2); /* the busy one is its holder's */
	assert_int_equal(fstat(fd, &st), 0);
	struct stat named;
	assert_int_equal(fstatat(parent, name, &named, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(st.st_ino == named.st_ino && st.st_dev == named.st_dev);
	close(fd);
	rm_named(dir, ".w.snapfork-");

	static const int unlocked[] = { EOPNOTSUPP, EINVAL, EBADF, ENOSYS };
	for (int i = 0; i < 4; i++) {
		lk = (struct lockplan){ .err = { unlocked[i] }, .n = 1 };
		fd = sf_stage_create(parent, "u", name);
		if (fd < 0)
			fail_msg("flock %s: %d, not a directory unlocked",
				 strerrorname_np(unlocked[i]), fd);
		assert_int_equal(lk.calls, 1);
		close(fd);
		tt_rm_rf(tt_p(dir, name));
	}

	lk = (struct lockplan){ .err = { ENOLCK }, .n = 1 };
	assert_int_equal(sf_stage_create(parent, "n", name), -ENOLCK);
	assert_int_equal(staged(dir), 0);
	/* The same with descriptor 0 free: the directory's descriptor is 0,
	 * and is closed all the same. */
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
	assert_true(saved >= 0);
	close(0);
	lk = (struct lockplan){ .err = { ENOLCK }, .n = 1 };
	int r = sf_stage_create(parent, "z", name);
	int open0 = fcntl(0, F_GETFD) >= 0;
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_int_equal(r, -ENOLCK);
	assert_false(open0);
	assert_int_equal(staged(dir), 0);
}

/* Locked, then the name found to be another directory (a sweep removed
 * ours and someone made the name again): another name is taken.  The
 * name's stat failing: gone is EAGAIN (another name), anything else the
 * error, the directory removed.  The locked directory's own stat
 * failing: the error, the directory removed. */
static void test_name_checked_after_the_lock(void **state)
{
	const char *dir = *state;
	char name[NAME_MAX + 1];
	lk.retake = 1;
	int fd = sf_stage_create(parent, "r", name);
	assert_true(fd >= 0);
	assert_int_equal(lk.calls, 2);
	struct stat st, named;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(fstatat(parent, name, &named, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(st.st_ino == named.st_ino);
	close(fd);
	rm_named(dir, ".r.snapfork-");

	/* claim's fstatat ENOENT: swept meanwhile, another name (the first
	 * left: a sweep removes what it takes); EIO: the answer, the
	 * directory removed. */
	int fds = tt_open_fds();
	fstatat_err = ENOENT;
	fstatat_nth = 2;
	fd = sf_stage_create(parent, "e", name);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(staged(dir), 2);
	rm_named(dir, ".e.snapfork-");
	fstatat_err = EIO;
	fstatat_nth = 2;
	assert_int_equal(sf_stage_create(parent, "x", name), -EIO);
	assert_int_equal(staged(dir), 0);
	/* The locked directory's own fstat failing: the error, removed. */
	fstat_err = ENOMEM;
	assert_int_equal(sf_stage_create(parent, "y", name), -ENOMEM);
	assert_int_equal(staged(dir), 0);
	assert_int_equal(tt_open_fds(), fds);
}

/* Without RENAME_NOREPLACE (EINVAL from the filesystem, ENOSYS from an
 * old kernel) the publish checks DST first: free, it renames; anything
 * there, a dangling symlink included, is EEXIST and stays; a DST that
 * cannot be looked up is that error.  Any other renameat2 error is the
 * answer. */
static void test_publish_without_noreplace(void **state)
{
	const char *dir = *state;
	static const int errs[] = { EINVAL, ENOSYS };
	for (int i = 0; i < 2; i++) {
		tt_mkdir(dir, "stage", 0700);
		rename2_err = errs[i];
		assert_int_equal(sf_stage_publish(parent, "stage", "dst"), 0);
		assert_true(tt_exists(tt_p(dir, "dst")));
		tt_mkdir(dir, "stage", 0700);
		assert_int_equal(symlinkat("nowhere", parent, "link"), 0);
		assert_int_equal(sf_stage_publish(parent, "stage", "link"), -EEXIST);
		struct stat st;
		assert_int_equal(lstat(tt_p(dir, "link"), &st), 0);
		assert_true(S_ISLNK(st.st_mode));
		char name[300];
		memset(name, 'n', 299);
		name[299] = 0;
		assert_int_equal(sf_stage_publish(parent, "stage", name), -ENAMETOOLONG);
		assert_true(tt_exists(tt_p(dir, "stage")));
		rename2_err = EIO;
		assert_int_equal(sf_stage_publish(parent, "stage", "dst2"), -EIO);
		rename2_err = 0;
		tt_rm_rf(tt_p(dir, "dst"));
		tt_rm_rf(tt_p(dir, "stage"));
		assert_int_equal(unlink(tt_p(dir, "link")), 0);
	}
}

/* dir/t/sub/f; sf_rmtree_at(t, "sub") with sub swapped, once its rmdir
 * has failed, for a FIFO (fifo) or a symlink to ../victim: its result,
 * and the swap checked to have happened. */
static int rmtree_swapped(const char *dir, int fifo)
{
	tt_mkdir(dir, "t", 0755);
	tt_mkdir(dir, "t/sub", 0755);
	tt_text(dir, "t/sub/f", 0644, "f\n");
	int t = open(tt_p(dir, "t"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(t >= 0);
	swap_dir = "sub";
	swap_fifo = fifo;
	alarm(5); /* a hang is a failure */
	int r = sf_rmtree_at(t, "sub");
	alarm(0);
	const char *left = swap_dir;
	swap_dir = NULL;
	swap_fifo = 0;
	close(t);
	assert_null(left); /* the swap happened */
	return r;
}

/* Removing a tree never follows a symlink swapped in for one of its
 * directories: the directory it points to keeps what it holds. */
static void test_rmtree_never_follows(void **state)
{
	const char *dir = *state;
	tt_text(dir, "victim/keep", 0644, "k\n");
	assert_int_not_equal(rmtree_swapped(dir, 0), 0);
	assert_true(tt_exists(tt_p(dir, "victim/keep")));
}

/* ...nor opens a FIFO swapped in for one: that open would wait for a
 * writer forever (O_DIRECTORY makes it ENOTDIR instead). */
static void test_rmtree_never_opens_a_fifo(void **state)
{
	assert_int_equal(rmtree_swapped(*state, 1), -ENOTDIR);
}

/* A directory another remover took away between our two unlinkat calls,
 * or after we emptied it and before our last rmdir, is gone, as asked:
 * 0, not its ENOENT. */
static void test_rmtree_directory_gone_meanwhile(void **state)
{
	const char *dir = *state;
	for (int late = 0; late < 2; late++) {
		tt_mkdir(dir, "t", 0755);
		tt_text(dir, "t/f", 0644, "f\n");
		vanish_name = "t";
		vanish_late = late;
		vanish_rmdirs = 0;
		int r = sf_rmtree_at(parent, "t");
		const char *left = vanish_name;
		vanish_name = NULL;
		vanish_late = 0;
		assert_null(left); /* it went away */
		assert_int_equal(r, 0);
		assert_false(tt_exists(tt_p(dir, "t")));
		tt_rm_rf(tt_p(dir, "aside"));
	}
}

/* Of several entries that cannot go, the error is the first one met's
 * (readdir's order, read here too). */
static void test_rmtree_first_error_kept(void **state)
{
	const char *dir = *state;
	tt_mkdir(dir, "t", 0755);
	tt_text(dir, "t/f", 0644, "f\n");
	tt_text(dir, "t/g", 0644, "g\n");
	DIR *d = opendir(tt_p(dir, "t"));
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) && de->d_name[0] == '.')
		;
	assert_non_null(de);
	int want = strcmp(de->d_name, "f") == 0 ? -EBUSY : -EPERM;
	closedir(d);
	busy_name = "f";
	perm_name = "g";
	int r = sf_rmtree_at(parent, "t");
	busy_name = perm_name = NULL;
	assert_int_equal(r, want);
}

/* A removal cut short (a file busy) leaves the directories it opened
 * at 0700, whatever their mode was: what is left of a fork is no one
 * else's to enter; the error is the file's. */
static void test_rmtree_cut_short(void **state)
{
	const char *dir = *state;
	tt_mkdir(dir, "t", 0755);
	tt_mkdir(dir, "t/sub", 0755);
	assert_int_equal(chmod(tt_p(dir, "t/sub"), 0755), 0);
	tt_text(dir, "t/sub/f", 0644, "f\n");
	busy_name = "f";
	int r = sf_rmtree_at(parent, "t");
	busy_name = NULL;
	assert_int_equal(r, -EBUSY);
	struct stat st;
	assert_int_equal(stat(tt_p(dir, "t/sub"), &st), 0);
	if ((st.st_mode & 07777) != 0700)
		fail_msg("t/sub left at %04o, not 0700", (unsigned)(st.st_mode & 07777));
}

/* With descriptor 0 free, a directory the removal opens gets it: the
 * tree goes all the same, and 0 is not kept. */
static void test_rmtree_stdin_closed(void **state)
{
	const char *dir = *state;
	tt_mkdir(dir, "t", 0755);
	tt_mkdir(dir, "t/sub", 0755);
	tt_text(dir, "t/sub/f", 0644, "f\n");
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
	assert_true(saved >= 0);
	close(0);
	int r = sf_rmtree_at(parent, "t");
	int open0 = fcntl(0, F_GETFD) >= 0;
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	assert_int_equal(r, 0);
	assert_false(open0);
	assert_false(tt_exists(tt_p(dir, "t")));
	/* An empty directory: removed, 0 (not "removed", 1). */
	tt_mkdir(dir, "e", 0755);
	assert_int_equal(sf_rmtree_at(parent, "e"), 0);
	assert_false(tt_exists(tt_p(dir, "e")));
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_mkdir_then_swapped),
		T(test_lock_answers),
		T(test_name_checked_after_the_lock),
		T(test_publish_without_noreplace),
		T(test_rmtree_never_follows),
		T(test_rmtree_stdin_closed),
		T(test_rmtree_cut_short),
		T(test_rmtree_never_opens_a_fifo),
		T(test_rmtree_directory_gone_meanwhile),
		T(test_rmtree_first_error_kept),
	};
	return cmocka_run_group_tests_name("staging races", tests, NULL, NULL);
}
