/* test_stage.c - stage.c's pieces one at a time (white-box): the staging
 * directory is made 0700 whatever the umask, locked and named as a
 * staging name; publishing never replaces what is at DST; removing a
 * staging tree goes through modes that forbid it, never follows a
 * symlink, and stops at its depth limit.  Cases that need an
 * unprivileged user run as uid 65534 in a child that got its directory
 * as a descriptor first (no path to walk: "/" may be private). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"

/* fchmodat2 as an older kernel (ENOSYS) or a seccomp filter (EPERM)
 * would answer, or failing outright (EACCES), through --wrap=syscall. */
static int fchmodat2_err;
/* Set: just before fchmodat2, swap_parent/swap_name is moved aside and
 * a symlink to "victim" put in its place (a rename racing the chmod). */
static int swap_parent = -1;
static const char *swap_name;
/* fchmodat2 calls, and the mode of the name each found (the directory
 * as mkdir left it: never open to group or others, even for a moment). */
static int chmods;
static mode_t chmod_saw;

long __real_syscall(long n, ...);
long __wrap_syscall(long n, ...);
long __wrap_syscall(long n, ...)
{
	va_list ap;
	va_start(ap, n);
	long a[6];
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (n == 452) {
		struct stat st;
		chmods++;
		chmod_saw = fstatat((int)a[0], (const char *)a[1], &st, AT_SYMLINK_NOFOLLOW) == 0
				    ? st.st_mode
				    : 0;
	}
	if (n == 452 && swap_name) {
		char aside[64];
		snprintf(aside, sizeof aside, "%s.aside", swap_name);
		if (renameat(swap_parent, swap_name, swap_parent, aside) < 0 ||
		    symlinkat("victim", swap_parent, swap_name) < 0)
			abort();
		swap_name = NULL;
	}
	if (n == 452 && fchmodat2_err) {
		errno = fchmodat2_err;
		return -1;
	}
	return __real_syscall(n, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int open_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static mode_t mode_at(int dir, const char *name)
{
	struct stat st;
	assert_int_equal(fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st.st_mode;
}

static void test_stage_dir_is_0700_whatever_the_umask(void **state)
{
	int d = open_dir(*state);
	mode_t masks[] = { 0, 022, 0077, 0700, 0777 };
	for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
		mode_t old = umask(masks[i]);
		char name[32];
		snprintf(name, sizeof name, "m%zu", i);
		chmods = 0;
		chmod_saw = 0;
		int r = sf_stage_mkdir(d, name);
		umask(old);
		assert_int_equal(r, 0);
		assert_int_equal(mode_at(d, name), S_IFDIR | 0700);
		/* A chmod only where the umask took owner bits; made 0700
		 * from a mode that let no one else in. */
		if (chmods != ((masks[i] & 0700) != 0))
			fail_msg("umask %04o: %d chmod calls", (unsigned)masks[i], chmods);
		if (chmod_saw & 077)
			fail_msg("umask %04o: the directory was %04o before its chmod",
				 (unsigned)masks[i], (unsigned)(chmod_saw & 07777));
	}
	/* Without fchmodat2 (ENOSYS, EPERM) glibc's fchmodat does it; any
	 * other error of it is the answer, and the directory is not left. */
	static const int errs[] = { ENOSYS, EPERM, EACCES };
	for (int i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof name, "f%d", i);
		mode_t old = umask(0777);
		fchmodat2_err = errs[i];
		int r = sf_stage_mkdir(d, name);
		fchmodat2_err = 0;
		umask(old);
		if (errs[i] == EACCES) {
			assert_int_equal(r, -EACCES);
			assert_int_equal(faccessat(d, name, F_OK, AT_SYMLINK_NOFOLLOW), -1);
		} else {
			assert_int_equal(r, 0);
			assert_int_equal(mode_at(d, name), S_IFDIR | 0700);
		}
	}
	/* Something already there is EEXIST, and is left as it was. */
	assert_int_equal(symlinkat("m0", d, "link"), 0);
	assert_int_equal(sf_stage_mkdir(d, "link"), -EEXIST);
	assert_true(S_ISLNK(mode_at(d, "link")));
	assert_int_equal(sf_stage_mkdir(d, "m0"), -EEXIST);
	assert_int_equal(sf_stage_mkdir(d, "no/such"), -ENOENT);
	close(d);
}

/* The staging directory swapped for a symlink between its check and the
 * chmod that makes it 0700: the chmod must not follow the symlink
 * (AT_SYMLINK_NOFOLLOW, in fchmodat2 and in glibc's fchmodat alike): the
 * directory it points to keeps its mode, and the mkdir fails. */
static void test_stage_chmod_never_follows(void **state)
{
	const char *dir = *state;
	int d = open_dir(dir);
	static const int errs[] = { 0, ENOSYS };
	for (int i = 0; i < 2; i++) {
		tt_mkdir(dir, "victim", 0755);
		assert_int_equal(chmod(tt_p(dir, "victim"), 0755), 0);
		char name[32];
		snprintf(name, sizeof name, "s%d", i);
		swap_parent = d;
		swap_name = name;
		fchmodat2_err = errs[i];
		mode_t old = umask(0777);
		int r = sf_stage_mkdir(d, name);
		umask(old);
		fchmodat2_err = 0;
		assert_null(swap_name); /* the chmod was reached */
		assert_int_equal(mode_at(d, "victim"), S_IFDIR | 0755);
		if (r != -EOPNOTSUPP)
			fail_msg("%s: %d, not -EOPNOTSUPP",
				 errs[i] ? "glibc's fchmodat" : "fchmodat2", r);
		assert_true(S_ISLNK(mode_at(d, name)));
		tt_rm_rf(tt_p(dir, "victim"));
	}
	close(d);
}

static void test_stage_create_locks_a_staging_name(void **state)
{
	int d = open_dir(*state);
	int fds = tt_open_fds();
	char name[NAME_MAX + 1];
	int s = sf_stage_create(d, "fork", name);
	assert_true(s >= 0);
	assert_true(sf_stage_is_name(name));
	assert_int_equal(strncmp(name, ".fork.snapfork-", 15), 0);
	assert_int_equal(mode_at(d, name), S_IFDIR | 0700);
	/* s is that directory, and holds its lock exclusively. */
	struct stat a, b;
	assert_int_equal(fstat(s, &a), 0);
	assert_int_equal(fstatat(d, name, &b, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	int other = openat(d, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(other >= 0);
	assert_int_equal(flock(other, LOCK_SH | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	close(s); /* the lock goes with it */
	assert_int_equal(flock(other, LOCK_EX | LOCK_NB), 0);
	close(other);
	assert_int_equal(tt_open_fds(), fds);
	/* Two at once get two names. */
	char n2[NAME_MAX + 1];
	s = sf_stage_create(d, "fork", name);
	int s2 = sf_stage_create(d, "fork", n2);
	assert_true(s >= 0 && s2 >= 0);
	assert_string_not_equal(name, n2);
	close(s);
	close(s2);
	/* The parent gone: its errno, nothing made. */
	assert_int_equal(mkdirat(d, "gone", 0755), 0);
	int gone = openat(d, "gone", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(unlinkat(d, "gone", AT_REMOVEDIR), 0);
	assert_int_equal(sf_stage_create(gone, "fork", name), -ENOENT);
	close(gone);
	close(d);
}

static void test_publish_never_replaces(void **state)
{
	const char *dir = *state;
	int d = open_dir(dir);
	tt_mkdir(dir, "stage", 0700);
	tt_text(dir, "stage/f", 0644, "fork");
	tt_mkdir(dir, "empty", 0755);
	tt_text(dir, "file", 0644, "mine");
	/* rename(2) would replace an empty directory; RENAME_NOREPLACE must not. */
	assert_int_equal(sf_stage_publish(d, "stage", "empty"), -EEXIST);
	assert_true(tt_exists(tt_p(dir, "empty")) && !tt_exists(tt_p(dir, "empty/f")));
	assert_int_equal(sf_stage_publish(d, "stage", "file"), -EEXIST);
	assert_true(tt_exists(tt_p(dir, "stage/f")));
	assert_int_equal(sf_stage_publish(d, "stage", "dst"), 0);
	assert_true(tt_exists(tt_p(dir, "dst/f")));
	assert_false(tt_exists(tt_p(dir, "stage")));
	assert_int_equal(sf_stage_publish(d, "stage", "dst2"), -ENOENT);
	close(d);
}

/* A chain of depth directories below dir/name, a file at the bottom. */
static void chain(const char *dir, const char *name, int depth)
{
	tt_mkdir(dir, name, 0755);
	int fd = tt_chain(tt_p(dir, name), depth);
	int f = openat(fd, "bottom", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	assert_true(f >= 0);
	close(f);
	close(fd);
}

static void test_rmtree(void **state)
{
	const char *dir = *state;
	int d = open_dir(dir);
	/* Modes that forbid it, a symlink to outside that must not be followed. */
	tt_mkdir(dir, "outside", 0755);
	tt_text(dir, "outside/keep", 0644, "not the tree's");
	tt_mkdir(dir, "t", 0755);
	tt_mkdir(dir, "t/a", 0755);
	tt_text(dir, "t/a/f", 0644, "x");
	tt_mkdir(dir, "t/a/ro", 0755);
	tt_text(dir, "t/a/ro/g", 0644, "y");
	tt_mkdir(dir, "t/empty", 0755);
	assert_int_equal(symlinkat("../outside", d, "t/out"), 0);
	assert_int_equal(symlinkat("../../outside", d, "t/a/out"), 0);
	assert_int_equal(fchmodat(d, "t/a/ro", 0500, 0), 0);
	assert_int_equal(fchmodat(d, "t/a", 0500, 0), 0);
	assert_int_equal(sf_rmtree_at(d, "t"), 0);
	assert_false(tt_exists(tt_p(dir, "t")));
	assert_true(tt_exists(tt_p(dir, "outside/keep")));
	assert_int_equal(sf_rmtree_at(d, "t"), 0); /* already gone */
	tt_text(dir, "plain", 0644, "a file");
	assert_int_equal(sf_rmtree_at(d, "plain"), 0);
	assert_false(tt_exists(tt_p(dir, "plain")));
	close(d);
}

static void test_rmtree_depth_limit(void **state)
{
	const char *dir = *state;
	int d = open_dir(dir);
	/* The depth limit: 4096 directories below the top one go (two
	 * descriptors a level: the soft limit raised to the hard one)... */
	struct rlimit rl;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = rl.rlim_max;
	if (rl.rlim_max < 2 * 4100 + 64 || setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		print_message("skip: the depth limit: %llu descriptors allowed, 8264 needed\n",
			      (unsigned long long)rl.rlim_max);
		close(d);
		skip();
	}
	chain(dir, "deep", 4096);
	assert_int_equal(sf_rmtree_at(d, "deep"), 0);
	assert_false(tt_exists(tt_p(dir, "deep")));
	/* ...one more is ELOOP, and the bottom is still there. */
	chain(dir, "deeper", 4097);
	assert_int_equal(sf_rmtree_at(d, "deeper"), -ELOOP);
	assert_true(tt_exists(tt_p(dir, "deeper")));
	int fd = openat(d, "deeper", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (int i = 0; i < 2048; i++) {
		int next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(fd);
		fd = next;
	}
	assert_int_equal(sf_rmtree_at(fd, "d"), 0); /* the lower half */
	close(fd);
	assert_int_equal(sf_rmtree_at(d, "deeper"), 0);
	assert_false(tt_exists(tt_p(dir, "deeper")));
	close(d);
}

/* As uid 65534 (no CAP_DAC_OVERRIDE): the tree's own modes are in the
 * way, and rmtree makes each directory writable again (it made them). */
static void test_rmtree_unprivileged(void **state)
{
	const char *dir = *state;
	if (!tt_is_root()) {
		print_message("skip: needs root to become uid 65534\n");
		skip();
	}
	tt_mkdir(dir, "t", 0755);
	tt_mkdir(dir, "t/a", 0755);
	tt_text(dir, "t/a/f", 0644, "x");
	tt_mkdir(dir, "t/a/b", 0755);
	tt_text(dir, "t/a/b/g", 0644, "y");
	/* An empty directory no one may open: it goes by rmdir alone. */
	tt_mkdir(dir, "t/a/e0", 0755);
	char cmd[8192];
	snprintf(cmd, sizeof cmd,
		 "chown -R 65534:65534 '%s' && chmod 0000 '%s/t/a/e0' && "
		 "chmod 0500 '%s/t/a/b' '%s/t/a'",
		 dir, dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	int d = open_dir(dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (tt_become_nobody() < 0)
			_exit(100);
		/* As that user, without the fchmod, t/a/f could not go: */
		if (unlinkat(d, "t/a/f", 0) == 0 || errno != EACCES)
			_exit(101);
		_exit(sf_rmtree_at(d, "t") == 0 ? 0 : 102); /* nobody: no coverage files */
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_false(tt_exists(tt_p(dir, "t")));
	close(d);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tt_scratch_setup, tt_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_stage_dir_is_0700_whatever_the_umask),
		T(test_stage_chmod_never_follows),
		T(test_stage_create_locks_a_staging_name),
		T(test_publish_never_replaces),
		T(test_rmtree),
		T(test_rmtree_depth_limit),
		T(test_rmtree_unprivileged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
