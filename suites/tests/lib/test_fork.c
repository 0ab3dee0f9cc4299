/* test_fork.c - whole forks: types, modes, skip rules, mem-file lookup and
 * sharing, link fallback, deep trees.  Each test builds its own snapshot
 * in a scratch directory that teardown always removes; the result is
 * judged by the checker (suites/judge), never by libsnapfork itself. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "judge.h"
#include "testtree.h"
#include "snapfork.h"

static int setup(void **state)
{
	return tt_place_setup(state, "fork");
}

static void fork_ok(struct tt_place *t, const struct snapfork_options *o,
		    struct snapfork_report *rep)
{
	int r = snapfork_fork(t->src, t->dst, o, rep);
	if (r != 0)
		fail_msg("fork failed: %s: %s (%s)", rep->error_path,
			 rep->error_reason ? rep->error_reason : "", strerror(-r));
}

static void test_F1_F2_F3_F4_raw_snapshot(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "memory-ranges", (off_t)1 << 30);
	struct stat before;
	assert_int_equal(lstat(tt_p(t->src, "memory-ranges"), &before), 0);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int fds = tt_open_fds();
	fork_ok(t, NULL, &rep);
	assert_int_equal(tt_open_fds(), fds); /* no fd leaks */
	assert_int_equal(rep.kind, SNAPFORK_KIND_RAW);
	assert_string_equal(rep.mem_path, "memory-ranges");
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_LINK);
	assert_int_equal(rep.mem_fallback_errno, 0);
	assert_int_equal(rep.bytes_linked, (uint64_t)1 << 30);
	assert_int_equal(rep.skipped, 2); /* logs/, vsock.sock */
	assert_int_equal(rep.symlinks, 1);
	struct stat after, forked;
	assert_int_equal(lstat(tt_p(t->src, "memory-ranges"), &after), 0);
	assert_int_equal(lstat(tt_p(t->dst, "memory-ranges"), &forked), 0);
	assert_int_equal(forked.st_ino, before.st_ino);
	assert_int_equal(after.st_nlink, before.st_nlink + 1); /* F4 */
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_F4_many_forks_share_one_inode(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "snapshots/snapshot-latest/memory", (off_t)256 << 20);
	for (int i = 0; i < 5; i++) {
		char dst[4200];
		snprintf(dst, sizeof dst, "%s/fork%d", t->dir, i);
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		assert_int_equal(snapfork_fork(t->src, dst, NULL, &rep), 0);
		tt_verify_ok(t->src, dst, NULL);
	}
	struct stat st;
	assert_int_equal(lstat(tt_p(t->src, "snapshots/snapshot-latest/memory"), &st), 0);
	assert_int_equal(st.st_nlink, 6);
}

static void test_F2_modes_exact_whatever_the_umask(void **state)
{
	struct tt_place *t = tt_place(state);
	static const mode_t modes[] = { 0600, 0640, 0700, 0750, 0755, 0444, 04755, 01777 };
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		char name[32];
		snprintf(name, sizeof name, "f%04o", (unsigned)modes[i]);
		tt_text(t->src, name, modes[i] & 0777 ? modes[i] : 0600, "x");
		snprintf(name, sizeof name, "d%04o", (unsigned)modes[i]);
		tt_mkdir(t->src, name, modes[i]);
	}
	/* A read-only directory with content: the fork must fill it first. */
	tt_mkdir(t->src, "ro", 0755);
	tt_text(t->src, "ro/inside", 0644, "y");
	assert_int_equal(chmod(tt_p(t->src, "ro"), 0555), 0);
	assert_int_equal(chmod(t->src, 0750), 0);
	mode_t old = umask(0277);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(t->src, t->dst, NULL, &rep);
	umask(old);
	assert_int_equal(r, 0);
	tt_verify_ok(t->src, t->dst, NULL);
	chmod(tt_p(t->src, "ro"), 0755);
}

/* chown -R path to uid:gid (nftw-free: the snapshot is small). */
static void chown_tree(const char *path, uid_t uid, gid_t gid)
{
	char cmd[4400];
	snprintf(cmd, sizeof cmd, "chown -R %u:%u '%s'", (unsigned)uid, (unsigned)gid, path);
	assert_int_equal(system(cmd), 0);
}

/* Under umask 0777 mkdir(2) makes directories 0000: root opens them
 * anyway, any other user gets EACCES.  The fork must still work for an
 * unprivileged user (check --generate's umask dimension found it). */
static void test_F2_umask_0777_as_an_unprivileged_user(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "memory", (off_t)16 << 20);
	tt_mkdir(t->src, "a", 0755);
	tt_mkdir(t->src, "a/b", 0700);
	tt_mkdir(t->src, "a/b/c", 0750);
	tt_text(t->src, "a/b/c/file", 0640, "deep");
	int root = tt_is_root();
	if (root)
		chown_tree(t->dir, TT_NOBODY, TT_NOBODY);
	/* The fork's directory as a descriptor, taken before dropping root:
	 * no path to walk as that user ("/" may be private). */
	int dir = open(t->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir >= 0);
	const char *src = strrchr(t->src, '/') + 1, *dst = strrchr(t->dst, '/') + 1;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (root && tt_become_nobody() < 0)
			_exit(100);
		umask(0777);
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		int r = snapfork_fork_at(dir, src, dir, dst, NULL, &rep);
		if (r < 0)
			fprintf(stderr, "fork failed: %s: %s (%s)\n", rep.error_path,
				rep.error_reason ? rep.error_reason : "", strerror(-r));
		_exit(r < 0 ? 1 : 0); /* as nobody: no coverage file to write */
	}
	close(dir);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_symlinks_keep_target_text(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_text(t->src, "config.json", 0644, "{}");
	tt_symlink(t->src, "rel", "config.json");
	tt_symlink(t->src, "abs", "/etc/hostname");
	tt_symlink(t->src, "dangling", "does/not/exist");
	tt_symlink(t->src, "escape", "../../../../outside");
	tt_symlink(t->src, "loop", "loop");
	tt_symlink(t->src, "memory", "config.json"); /* a symlink is no mem-file */
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fork_ok(t, NULL, &rep);
	assert_int_equal(rep.kind, SNAPFORK_KIND_MEMORYLESS);
	assert_int_equal(rep.symlinks, 6);
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_skip_rules_in_a_fork(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_mkdir(t->src, "logs", 0755);
	tt_text(t->src, "logs/vmm.log", 0644, "top-level logs: skipped");
	tt_mkdir(t->src, "a", 0755);
	tt_mkdir(t->src, "a/logs", 0755);
	tt_text(t->src, "a/logs/app.log", 0644, "nested logs: copied");
	tt_text(t->src, "memory.lz4.tmp", 0644, "half-written");
	tt_text(t->src, "a/memory.zst.tmp", 0644, "half-written");
	tt_mkdir(t->src, "dir.zst.tmp", 0755);
	tt_text(t->src, "dir.zst.tmp/kept", 0644, "directories so named are copied");
	tt_socket(t->src, "api.sock");
	tt_socket(t->src, "a/vsock.sock");
	tt_mkdir(t->src, "vol-overlays", 0755);
	tt_text(t->src, "vol-overlays/big.raw", 0644, "caller skips this");
	tt_text(t->src, "vol-overlays/keep.raw", 0644, "and keeps this");
	const char *const skip[] = { "./vol-overlays/big.raw/", NULL };
	struct snapfork_options o = { .size = sizeof o, .skip = skip };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fork_ok(t, &o, &rep);
	assert_int_equal(rep.skipped, 6);
	assert_false(tt_exists(tt_p(t->dst, "logs")));
	assert_true(tt_exists(tt_p(t->dst, "a/logs/app.log")));
	assert_true(tt_exists(tt_p(t->dst, "dir.zst.tmp/kept")));
	assert_false(tt_exists(tt_p(t->dst, "vol-overlays/big.raw")));
	tt_verify_ok(t->src, t->dst, skip);
}

static void test_caller_skip_prunes_a_directory(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_mkdir(t->src, "cache", 0755);
	tt_fifo(t->src, "cache/fifo"); /* would be refused if walked */
	tt_text(t->src, "keep", 0644, "k");
	const char *const skip[] = { "cache", NULL };
	struct snapfork_options o = { .size = sizeof o, .skip = skip };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fork_ok(t, &o, &rep);
	assert_false(tt_exists(tt_p(t->dst, "cache")));
	tt_verify_ok(t->src, t->dst, skip);
	const char *const bad[] = { "../etc", NULL };
	o.skip = bad;
	char dst2[4200];
	snprintf(dst2, sizeof dst2, "%s/fork2", t->dir);
	assert_int_equal(snapfork_fork(t->src, dst2, &o, &rep), -EINVAL);
	assert_string_equal(rep.error_path, "../etc");
}

/* Skip paths of one, two and three bytes: the "/.." suffix test looks at a
 * path's last three bytes only when it has three (under ASan a look one
 * byte before a two-byte path's copy fails here); "a/.." ends in ".." and
 * is refused. */
static void test_skip_short_names(void **state)
{
	struct tt_place *t = tt_place(state);
	static const char *const names[] = { "a", "ab", "abc" };
	for (size_t i = 0; i < 3; i++) {
		tt_mkdir(t->src, names[i], 0755);
		char fifo[16];
		snprintf(fifo, sizeof fifo, "%s/fifo", names[i]);
		tt_fifo(t->src, fifo); /* would be refused if walked */
	}
	tt_text(t->src, "keep", 0644, "k");
	const char *const skip[] = { "a", "ab/", "./abc", NULL };
	struct snapfork_options o = { .size = sizeof o, .skip = skip };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fork_ok(t, &o, &rep);
	for (size_t i = 0; i < 3; i++)
		assert_false(tt_exists(tt_p(t->dst, names[i])));
	assert_true(tt_exists(tt_p(t->dst, "keep")));
	const char *const bad[] = { "ab", "a/..", NULL };
	o.skip = bad;
	char dst2[4200];
	snprintf(dst2, sizeof dst2, "%s/fork2", t->dir);
	assert_int_equal(snapfork_fork(t->src, dst2, &o, &rep), -EINVAL);
	assert_string_equal(rep.error_path, "a/..");
	assert_false(tt_exists(dst2));
}

static void test_mem_file_lookup_order(void **state)
{
	struct tt_place *t = tt_place(state);
	/* Candidates in order; each case removes the winner and forks again. */
	static const char *const order[] = { "memory-ranges", "memory",
					     "snapshots/snapshot-latest/memory-ranges",
					     "snapshots/snapshot-latest/memory" };
	tt_mkdir(t->src, "snapshots", 0755);
	tt_mkdir(t->src, "snapshots/snapshot-latest", 0755);
	for (size_t i = 0; i < 4; i++)
		tt_file(t->src, order[i], 0600, 1 << 20,
			 (struct tt_extent[]){ { 0, 4096, (unsigned)i } }, 1);
	for (size_t i = 0; i < 4; i++) {
		char dst[4200];
		snprintf(dst, sizeof dst, "%s/fork%zu", t->dir, i);
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		assert_int_equal(snapfork_fork(t->src, dst, NULL, &rep), 0);
		assert_string_equal(rep.mem_path, order[i]);
		tt_verify_ok(t->src, dst, NULL);
		/* Replace the winner by a symlink and then by a directory: neither
		 * is a mem-file, the next candidate wins. */
		assert_int_equal(unlink(tt_p(t->src, order[i])), 0);
		if (i % 2)
			tt_mkdir(t->src, order[i], 0755);
		else
			tt_symlink(t->src, order[i], "elsewhere");
	}
}

static void test_mem_file_behind_symlinked_dir_is_not_used(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_mkdir(t->src, "real", 0755);
	tt_mkdir(t->src, "real/snapshot-latest", 0755);
	tt_file(t->src, "real/snapshot-latest/memory", 0600, 1 << 20, NULL, 0);
	tt_symlink(t->src, "snapshots", "real");
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fork_ok(t, NULL, &rep);
	assert_int_equal(rep.kind, SNAPFORK_KIND_MEMORYLESS);
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_no_link_option_copies_mem_file(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "memory", (off_t)512 << 20);
	struct snapfork_options o = { .size = sizeof o, .flags = SNAPFORK_NO_LINK, .method = SNAPFORK_METHOD_RW };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fork_ok(t, &o, &rep);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_RW);
	struct stat a, b;
	assert_int_equal(lstat(tt_p(t->src, "memory"), &a), 0);
	assert_int_equal(lstat(tt_p(t->dst, "memory"), &b), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(a.st_nlink, 1);
	assert_true(b.st_blocks <= a.st_blocks); /* holes kept */
	/* The checker must call this an F4 violation, and nothing else. */
	struct judge_result res = { 0 };
	char err[256];
	assert_int_equal(judge_verify(t->src, t->dst, NULL, &res, err, sizeof err), 0);
	assert_int_equal(res.failed, 1u << 4);
	judge_result_free(&res);
}

/* The report counts each copied file by the rung that copied it: a forced
 * method puts every file under its own counter and none under another's.
 * RW works everywhere; RANGE where copy_file_range does (a skip, with the
 * library's reason, where it does not). */
static void test_method_counts_files_by_rung(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "memory-ranges", (off_t)64 << 20);
	static const struct {
		enum snapfork_method m;
		const char *dst;
	} cases[] = { { SNAPFORK_METHOD_RW, "rw" }, { SNAPFORK_METHOD_RANGE, "range" } };
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct snapfork_options o = { .size = sizeof o, .method = cases[i].m };
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		int r = snapfork_fork(t->src, tt_p(t->dir, cases[i].dst), &o, &rep);
		if (r != 0 && cases[i].m == SNAPFORK_METHOD_RANGE && rep.error_reason &&
		    strcmp(rep.error_reason, "copy_file_range not supported here") == 0) {
			print_message("skip: the RANGE case: copy_file_range refused here (%s)\n",
				      strerror(-r));
			skip();
		}
		if (r != 0)
			fail_msg("%s: %s: %s (%s)", cases[i].dst, rep.error_path,
				 rep.error_reason ? rep.error_reason : "", strerror(-r));
		assert_int_equal(rep.files, 3); /* config.json, state.json, overlay.raw */
		assert_int_equal(rep.files_reflinked, 0);
		assert_int_equal(rep.files_range,
				 cases[i].m == SNAPFORK_METHOD_RANGE ? rep.files : 0);
		assert_int_equal(rep.files_rw, cases[i].m == SNAPFORK_METHOD_RW ? rep.files : 0);
		assert_true(rep.bytes_copied > 0);
		tt_verify_ok(t->src, tt_p(t->dir, cases[i].dst), NULL);
	}
}

/* EXDEV: the snapshot on one filesystem, the fork on another. */
static void test_F11_link_fallback_across_filesystems(void **state)
{
	struct tt_place *t = tt_place(state);
	char *other = strdup("/dev/shm/snapfork-xdev.XXXXXX");
	struct stat a, b;
	if (!mkdtemp(other) || stat(other, &a) < 0 || stat(t->dir, &b) < 0 ||
	    a.st_dev == b.st_dev) {
		print_message("skip: /dev/shm is not a separate filesystem from %s; "
			      "cross-filesystem fallback not tested here\n",
			      t->dir);
		if (other[0])
			rmdir(other);
		free(other);
		skip();
	}
	char src[4200];
	snprintf(src, sizeof src, "%s/snap", other);
	tt_mkdir(other, "snap", 0755);
	tt_snapshot(src, "memory", (off_t)1 << 30);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(src, t->dst, NULL, &rep);
	if (r == 0) {
		assert_int_equal(rep.mem_fallback_errno, EXDEV);
		assert_true(rep.mem_via == SNAPFORK_VIA_RANGE || rep.mem_via == SNAPFORK_VIA_RW);
		tt_verify_ok(src, t->dst, NULL);
	}
	tt_rm_rf(other);
	free(other);
	assert_int_equal(r, 0);
}

/* EPERM: an immutable mem-file (chattr +i) cannot be linked, even by root. */
static void test_link_fallback_immutable_mem_file(void **state)
{
	struct tt_place *t = tt_place(state);
	if (!tt_is_root()) {
		print_message("skip: setting FS_IMMUTABLE_FL needs CAP_LINUX_IMMUTABLE (root)\n");
		skip();
	}
	tt_snapshot(t->src, "memory", (off_t)64 << 20);
	int fd = open(tt_p(t->src, "memory"), O_RDONLY);
	int flags = 0;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0 ||
	    (flags |= FS_IMMUTABLE_FL, ioctl(fd, FS_IOC_SETFLAGS, &flags)) < 0) {
		print_message("skip: the filesystem under %s has no immutable flag (%s)\n", t->dir,
			      strerror(errno));
		close(fd);
		skip();
	}
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(t->src, t->dst, NULL, &rep);
	flags &= ~FS_IMMUTABLE_FL;
	assert_int_equal(ioctl(fd, FS_IOC_SETFLAGS, &flags), 0);
	close(fd);
	assert_int_equal(r, 0);
	assert_int_equal(rep.mem_fallback_errno, EPERM);
	assert_true(rep.mem_via != SNAPFORK_VIA_LINK);
	struct judge_result res = { 0 };
	char err[256];
	assert_int_equal(judge_verify(t->src, t->dst, NULL, &res, err, sizeof err), 0);
	assert_int_equal(res.failed, 1u << 4); /* a copy: F4 cannot hold, all else does */
	judge_result_free(&res);
}

static void test_tree_deeper_than_PATH_MAX(void **state)
{
	struct tt_place *t = tt_place(state);
	/* 40 levels of 200-byte names: about 8 KiB of path, twice PATH_MAX. */
	char name[201];
	memset(name, 'd', 200);
	name[200] = '\0';
	int fd = open(t->src, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 40; i++) {
		name[0] = (char)('a' + i % 26);
		assert_int_equal(mkdirat(fd, name, 0755), 0);
		int next = openat(fd, name, O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
		assert_true(fd >= 0);
	}
	int f = openat(fd, "deep-file", O_WRONLY | O_CREAT, 0640);
	assert_int_equal(write(f, "bottom", 6), 6);
	close(f);
	assert_int_equal(symlinkat("../up", fd, "deep-link"), 0);
	close(fd);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fork_ok(t, NULL, &rep);
	assert_int_equal(rep.dirs, 40);
	assert_int_equal(rep.files, 1);
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_depth_limit_guards_loops(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_mkdir(t->src, "a", 0755);
	tt_mkdir(t->src, "a/b", 0755);
	tt_mkdir(t->src, "a/b/c", 0755);
	struct snapfork_options o = { .size = sizeof o, .max_depth = 2 };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, &o, &rep), -ELOOP);
	assert_int_equal(rep.error_side, SNAPFORK_SIDE_SRC);
	assert_string_equal(rep.error_path, "a/b");
	assert_false(tt_exists(t->dst));
	assert_int_equal(tt_count_named(t->dir, ".snapfork-"), 0);
}

/* No max_depth (0) is 1024 (snapfork.h): a chain of 1023 directories
 * forks, one of 1024 is refused at its last level.  Two descriptors a
 * level: the limit on open files is raised for it, or the test skips. */
static void test_default_depth_limit(void **state)
{
	struct tt_place *t = tt_place(state);
	struct rlimit rl, was;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &rl), 0);
	was = rl;
	if (rl.rlim_cur < 4096) {
		if (rl.rlim_max < 4096) {
			print_message("skipped: 4096 open files needed, the hard limit is %llu\n",
				      (unsigned long long)rl.rlim_max);
			skip();
		}
		rl.rlim_cur = 4096;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
	int d = tt_chain(t->src, 1023);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	if (snapfork_fork(t->src, t->dst, NULL, &rep) != 0)
		fail_msg("1023 levels: %s (%s)", strerrorname_np(-rep.error), rep.error_reason);
	assert_true(rep.dirs >= 1023);
	tt_rm_rf(t->dst);
	assert_int_equal(mkdirat(d, "d", 0755), 0);
	close(d);
	rep = (struct snapfork_report)SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), -ELOOP);
	assert_string_equal(rep.error_reason, "directory nesting exceeds the depth limit");
	assert_false(tt_exists(t->dst));
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
}

static void test_long_and_odd_names(void **state)
{
	struct tt_place *t = tt_place(state);
	char name[256];
	memset(name, 'n', 255);
	name[255] = '\0';
	tt_text(t->src, name, 0644, "255-byte name");
	tt_text(t->src, "caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac", 0644, "utf-8");
	tt_text(t->src, "bad-\xff\xfe-utf8", 0644, "invalid utf-8");
	tt_text(t->src, "new\nline", 0644, "newline");
	tt_text(t->src, " lead space", 0644, "space");
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fork_ok(t, NULL, &rep);
	assert_int_equal(rep.files, 5);
	tt_verify_ok(t->src, t->dst, NULL);
}

/* On a filesystem that reflinks, every copied file is a reflink and the
 * mem-file is still a hardlink (F12: one inode, shared page cache).  The
 * loop mount lives in the test's state, so teardown releases it even when
 * an assertion fails. */
static int setup_xfs(void **state)
{
	return tt_place_setup_fs(state, "xfs", "-q -f -m reflink=1");
}

static int setup_btrfs(void **state)
{
	return tt_place_setup_fs(state, "btrfs", "-q -f");
}

static void test_fork_on_reflink_fs_reflinks_files_links_mem(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "memory", (off_t)1 << 30);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), 0);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_LINK);
	assert_int_equal(rep.files_reflinked, rep.files);
	assert_int_equal(rep.bytes_copied, 0);
	tt_verify_ok(t->src, t->dst, NULL);
}

/* When the link is not wanted (or refused), a reflinking filesystem
 * gives the mem-file a reflink: a separate inode that shares the blocks,
 * counted as reflinked bytes, not copied ones. */
static void test_no_link_on_reflink_fs_reflinks_mem(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_snapshot(t->src, "memory", (off_t)1 << 30);
	struct snapfork_options o = { .size = sizeof o, .flags = SNAPFORK_NO_LINK };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, &o, &rep), 0);
	assert_int_equal(rep.mem_via, SNAPFORK_VIA_REFLINK);
	assert_true(rep.bytes_reflinked >= rep.mem_size);
	assert_int_equal(rep.bytes_linked, 0);
	assert_int_equal(rep.bytes_copied, 0);
	struct stat a, b;
	assert_int_equal(stat(tt_p(t->src, "memory"), &a), 0);
	assert_int_equal(stat(tt_p(t->dst, "memory"), &b), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(a.st_nlink, 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, tt_place_teardown)
	const struct CMUnitTest tests[] = {
		T(test_F1_F2_F3_F4_raw_snapshot),
		T(test_F4_many_forks_share_one_inode),
		T(test_F2_modes_exact_whatever_the_umask),
		T(test_F2_umask_0777_as_an_unprivileged_user),
		T(test_symlinks_keep_target_text),
		T(test_skip_rules_in_a_fork),
		T(test_caller_skip_prunes_a_directory),
		T(test_skip_short_names),
		T(test_mem_file_lookup_order),
		T(test_mem_file_behind_symlinked_dir_is_not_used),
		T(test_no_link_option_copies_mem_file),
		T(test_method_counts_files_by_rung),
		T(test_F11_link_fallback_across_filesystems),
		T(test_link_fallback_immutable_mem_file),
		T(test_tree_deeper_than_PATH_MAX),
		T(test_depth_limit_guards_loops),
		T(test_default_depth_limit),
		T(test_long_and_odd_names),
		cmocka_unit_test_setup_teardown(test_fork_on_reflink_fs_reflinks_files_links_mem,
						setup_xfs, tt_place_teardown),
		cmocka_unit_test_setup_teardown(test_fork_on_reflink_fs_reflinks_files_links_mem,
						setup_btrfs, tt_place_teardown),
		cmocka_unit_test_setup_teardown(test_no_link_on_reflink_fs_reflinks_mem, setup_xfs,
						tt_place_teardown),
	};
	return cmocka_run_group_tests_name("fork", tests, NULL, NULL);
}
