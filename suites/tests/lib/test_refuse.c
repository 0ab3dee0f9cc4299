/* test_refuse.c - bad input gets a clear error naming the path, and a
 * failed fork leaves nothing (CONTRACT.md F13); the snapshot is untouched. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "testtree.h"
#include "snapfork.h"

/* fcntl(F_DUPFD_CLOEXEC) fails with this, once, when set (--wrap). */
static int dup_err;

int __real_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	long arg = va_arg(ap, long);
	va_end(ap);
	if (cmd == F_DUPFD_CLOEXEC && dup_err) {
		errno = dup_err;
		dup_err = 0;
		return -1;
	}
	return __real_fcntl(fd, cmd, arg);
}

/* fstatat of a name fails with this while set; or, once, the directory
 * of that name is removed just after fstatat saw it (--wrap). */
static const char *stat_fail_name, *gone_after_stat;
static int stat_err, swap_in;

int __real_fstatat(int dir, const char *name, struct stat *st, int flags);
int __wrap_fstatat(int dir, const char *name, struct stat *st, int flags);
int __wrap_fstatat(int dir, const char *name, struct stat *st, int flags)
{
	if (stat_fail_name && strcmp(name, stat_fail_name) == 0) {
		errno = stat_err;
		return -1;
	}
	int r = __real_fstatat(dir, name, st, flags);
	if (gone_after_stat && strcmp(name, gone_after_stat) == 0) {
		gone_after_stat = NULL;
		if (unlinkat(dir, name, AT_REMOVEDIR) < 0)
			abort();
		/* In its place, if asked: a FIFO, or a symlink to a directory. */
		if ((swap_in == 'f' && mkfifoat(dir, name, 0644) < 0) ||
		    (swap_in == 'l' && symlinkat(".", dir, name) < 0))
			abort();
	}
	return r;
}

/* readlinkat of "ln" answers readlink_ret bytes ('a's) while it is not
 * -1 (--wrap): 0 as for an empty target (NFS from a BSD server, FUSE),
 * the buffer's whole size as for one too long. */
static ssize_t readlink_ret = -1;

ssize_t __real_readlinkat(int dir, const char *name, char *buf, size_t size);
ssize_t __wrap_readlinkat(int dir, const char *name, char *buf, size_t size);
ssize_t __wrap_readlinkat(int dir, const char *name, char *buf, size_t size)
{
	if (readlink_ret < 0 || strcmp(name, "ln") != 0)
		return __real_readlinkat(dir, name, buf, size);
	memset(buf, 'a', (size_t)readlink_ret < size ? (size_t)readlink_ret : size);
	return readlink_ret;
}

/* calloc fails (ENOMEM) while set (--wrap). */
static int calloc_fail;

void *__real_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_calloc(size_t n, size_t size)
{
	if (calloc_fail) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(n, size);
}

/* realloc of this many bytes or more fails (ENOMEM) while set (--wrap):
 * the walk's path buffer starts at 256 and doubles; its lists of names
 * (8 bytes a name) reach 512 only in a directory of over 32 entries. */
static size_t realloc_fail_from;

void *__real_realloc(void *p, size_t size);
void *__wrap_realloc(void *p, size_t size);
void *__wrap_realloc(void *p, size_t size)
{
	if (realloc_fail_from && size >= realloc_fail_from) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, size);
}

static int setup(void **state)
{
	dup_err = calloc_fail = 0;
	realloc_fail_from = 0;
	stat_fail_name = gone_after_stat = NULL;
	swap_in = 0;
	readlink_ret = -1;
	tt_place_setup(state, "refuse");
	struct tt_place *t = *state;
	tt_snapshot(t->src, "memory-ranges", (off_t)64 << 20);
	return 0;
}

/* Nothing left: no DST, no staging directory beside it. */
static void assert_nothing_left(struct tt_place *t)
{
	assert_false(tt_exists(t->dst));
	assert_int_equal(tt_count_named(t->dir, ".snapfork-"), 0);
	struct stat st;
	assert_int_equal(lstat(tt_p(t->src, "memory-ranges"), &st), 0);
	assert_int_equal(st.st_nlink, 1); /* the link went with the staging dir */
}

static void expect_fail(const char *src, const char *dst, int err, enum snapfork_side side,
			const char *path)
{
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int fds = tt_open_fds();
	assert_int_equal(snapfork_fork(src, dst, NULL, &rep), err);
	assert_int_equal(tt_open_fds(), fds);
	assert_int_equal(rep.error, err);
	assert_int_equal(rep.error_side, side);
	assert_string_equal(rep.error_path, path);
	assert_non_null(rep.error_reason);
}

/* As expect_fail, and the reason is why. */
static void expect_why(const char *src, const char *dst, int err, const char *why)
{
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(src, dst, NULL, &rep), err);
	assert_int_equal(rep.error, err);
	assert_string_equal(rep.error_path, dst);
	assert_string_equal(rep.error_reason, why);
}

static void test_F13_fifo_deep_in_tree_refused_nothing_left(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_mkdir(t->src, "zz", 0755);
	tt_mkdir(t->src, "zz/deeper", 0755);
	tt_fifo(t->src, "zz/deeper/pipe");
	expect_fail(t->src, t->dst, -EINVAL, SNAPFORK_SIDE_SRC, "zz/deeper/pipe");
	assert_nothing_left(t);
}

static void test_F13_device_refused(void **state)
{
	struct tt_place *t = tt_place(state);
	if (!tt_is_root()) {
		print_message("skip: mknod of a device node needs CAP_MKNOD (root)\n");
		skip();
	}
	assert_int_equal(mknod(tt_p(t->src, "null"), S_IFCHR | 0600, makedev(1, 3)), 0);
	expect_fail(t->src, t->dst, -EINVAL, SNAPFORK_SIDE_SRC, "null");
	assert_nothing_left(t);
}

static void test_F13_unreadable_file_fails_cleanly(void **state)
{
	struct tt_place *t = tt_place(state);
	if (tt_is_root()) {
		print_message("skip: root reads mode-0000 files; the ENOSPC test covers "
			      "a mid-walk failure as root\n");
		skip();
	}
	tt_text(t->src, "secret", 0000, "s");
	expect_fail(t->src, t->dst, -EACCES, SNAPFORK_SIDE_SRC, "secret");
	assert_nothing_left(t);
}

/* ENOSPC halfway: a 1 MiB tmpfs cannot hold the 8 MiB of data below. */
static void test_F13_enospc_mid_fork_leaves_nothing(void **state)
{
	struct tt_place *t = tt_place(state);
	if (!tt_is_root()) {
		print_message("skip: mounting a small tmpfs needs CAP_SYS_ADMIN (root)\n");
		skip();
	}
	tt_file(t->src, "zz-dense.raw", 0644, 8 << 20, (struct tt_extent[]){ { 0, 8 << 20, 9 } },
		 1);
	char small[4200], dst[4300];
	snprintf(small, sizeof small, "%s/small", t->dir);
	snprintf(dst, sizeof dst, "%s/fork", small);
	tt_mkdir(t->dir, "small", 0755);
	if (mount("tmpfs", small, "tmpfs", 0, "size=1m") < 0) {
		print_message("skip: cannot mount tmpfs: %s\n", strerror(errno));
		skip();
	}
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(t->src, dst, NULL, &rep);
	int left = tt_count_named(small, "");
	umount2(small, MNT_DETACH);
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(rep.error_side, SNAPFORK_SIDE_DST);
	assert_int_equal(left, 2); /* "." and ".." only */
	struct stat st;
	assert_int_equal(lstat(tt_p(t->src, "memory-ranges"), &st), 0);
	assert_int_equal(st.st_nlink, 1);
}

static void test_dst_exists(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_mkdir(t->dir, "fork", 0755);
	expect_fail(t->src, t->dst, -EEXIST, SNAPFORK_SIDE_ARG, t->dst);
	rmdir(t->dst);
	tt_symlink(t->dir, "fork", "snap"); /* DST a symlink, even to SRC */
	expect_fail(t->src, t->dst, -EEXIST, SNAPFORK_SIDE_ARG, t->dst);
	unlink(t->dst);
	tt_text(t->dir, "fork", 0644, "a file");
	expect_fail(t->src, t->dst, -EEXIST, SNAPFORK_SIDE_ARG, t->dst);
	unlink(t->dst);
}

static void test_same_directory_twice(void **state)
{
	struct tt_place *t = tt_place(state);
	expect_fail(t->src, t->src, -EEXIST, SNAPFORK_SIDE_ARG, t->src);
	expect_why(t->src, t->src, -EEXIST, "SRC and DST are the same directory");
	/* A symlink to SRC as DST is an entry that exists: not followed. */
	tt_symlink(t->dir, "to-snap", "snap");
	char l[4200];
	snprintf(l, sizeof l, "%s", tt_p(t->dir, "to-snap"));
	expect_why(t->src, l, -EEXIST, "DST already exists");
	/* So is an empty directory. */
	tt_mkdir(t->dir, "empty", 0755);
	snprintf(l, sizeof l, "%s", tt_p(t->dir, "empty"));
	expect_why(t->src, l, -EEXIST, "DST already exists");
}

static void test_dst_inside_src(void **state)
{
	struct tt_place *t = tt_place(state);
	char dst[4200];
	snprintf(dst, sizeof dst, "%s/snapshots/fork", t->src);
	expect_fail(t->src, dst, -EINVAL, SNAPFORK_SIDE_ARG, dst);
	expect_why(t->src, dst, -EINVAL, "DST is inside SRC");
	assert_false(tt_exists(dst));
	assert_int_equal(tt_count_named(tt_p(t->src, "snapshots"), ".snapfork-"), 0);
}

static void test_src_inside_dst(void **state)
{
	struct tt_place *t = tt_place(state);
	char src[4200];
	snprintf(src, sizeof src, "%s/snap/snapshots", t->dir);
	expect_fail(src, t->src, -EINVAL, SNAPFORK_SIDE_ARG, t->src);
	expect_why(src, t->src, -EINVAL, "SRC is inside DST");
}

static void test_src_symlink_file_missing(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_symlink(t->dir, "link", "snap");
	const char *link = tt_p(t->dir, "link");
	char l[4200];
	snprintf(l, sizeof l, "%s", link);
	expect_fail(l, t->dst, -ELOOP, SNAPFORK_SIDE_ARG, l);
	const char *file = tt_p(t->src, "config.json");
	char f[4200];
	snprintf(f, sizeof f, "%s", file);
	expect_fail(f, t->dst, -ENOTDIR, SNAPFORK_SIDE_ARG, f);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(l, t->dst, NULL, &rep), -ELOOP);
	assert_string_equal(rep.error_reason, "SRC is a symlink; give the directory it points to");
	rep = (struct snapfork_report)SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(f, t->dst, NULL, &rep), -ENOTDIR);
	assert_string_equal(rep.error_reason, "SRC is not a directory");
	char m[4200];
	snprintf(m, sizeof m, "%s/missing", t->dir);
	expect_fail(m, t->dst, -ENOENT, SNAPFORK_SIDE_ARG, m);
	assert_false(tt_exists(t->dst));
}

static void test_dst_parent_missing(void **state)
{
	struct tt_place *t = tt_place(state);
	char d[4200];
	snprintf(d, sizeof d, "%s/no/such/fork", t->dir);
	expect_fail(t->src, d, -ENOENT, SNAPFORK_SIDE_ARG, d);
	expect_fail(t->src, "..", -EINVAL, SNAPFORK_SIDE_ARG, "..");
}

/* The walk up from DST's parent looks 4096 levels for SRC: DST 4095
 * levels down is refused as inside SRC; 4096 down is past that look,
 * and the walk's own depth limit refuses it instead (ELOOP). */
static void test_dst_deep_inside_src(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_mkdir(t->src, "deep", 0755);
	int at = tt_chain(tt_p(t->src, "deep"), 4094); /* DST's parent: 4095 down */
	struct snapfork_options o = { .size = sizeof o, .max_depth = 8 };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork_at(AT_FDCWD, t->src, at, "fork", &o, &rep), -EINVAL);
	assert_string_equal(rep.error_reason, "DST is inside SRC");
	assert_int_equal(mkdirat(at, "d", 0755), 0);
	int deeper = openat(at, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(at);
	rep = (struct snapfork_report)SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork_at(AT_FDCWD, t->src, deeper, "fork", &o, &rep), -ELOOP);
	assert_string_equal(rep.error_reason, "directory nesting exceeds the depth limit");
	assert_false(faccessat(deeper, "fork", F_OK, AT_SYMLINK_NOFOLLOW) == 0);
	close(deeper);
}

/* Deeper: DST three levels inside SRC, SRC three inside DST. */
static void test_nested_deeper(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_mkdir(t->src, "a", 0755);
	tt_mkdir(t->src, "a/b", 0755);
	tt_mkdir(t->src, "a/b/c", 0755);
	char dst[4200], src[4200];
	snprintf(dst, sizeof dst, "%s/a/b/c/fork", t->src);
	expect_fail(t->src, dst, -EINVAL, SNAPFORK_SIDE_ARG, dst);
	snprintf(src, sizeof src, "%s/a/b/c", t->src);
	tt_snapshot(src, "memory", (off_t)1 << 20);
	expect_fail(src, t->src, -EINVAL, SNAPFORK_SIDE_ARG, t->src);
	assert_int_equal(tt_count_named(t->dir, ".snapfork-"), 0);
}

/* DST's parent a file, or a FIFO: ENOTDIR, said of the parent (the
 * parent is opened as "dir/", so the lookup refuses anything else). */
static void test_dst_parent_not_a_directory(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_text(t->dir, "file", 0644, "x\n");
	tt_fifo(t->dir, "fifo");
	static const char *const parents[] = { "file", "fifo" };
	for (int i = 0; i < 2; i++) {
		char d[4200];
		snprintf(d, sizeof d, "%s/%s/fork", t->dir, parents[i]);
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		alarm(20); /* a hang is a failure */
		int r = snapfork_fork(t->src, d, NULL, &rep);
		alarm(0);
		assert_int_equal(r, -ENOTDIR);
		assert_string_equal(rep.error_reason, "cannot open the parent directory");
	}
}

/* When where DST lies cannot be checked (no descriptor to walk up
 * with), the fork fails: it never goes on unchecked. */
static void test_where_dst_lies_unknown(void **state)
{
	struct tt_place *t = tt_place(state);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	dup_err = EMFILE;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), -EMFILE);
	assert_string_equal(rep.error_reason, "cannot check where DST lies");
	assert_nothing_left(t);
}

/* DST cannot be stat'ed for a reason other than its absence (EACCES
 * on its parent, EIO): the fork fails with it, said of DST. */
static void test_dst_cannot_be_stated(void **state)
{
	struct tt_place *t = tt_place(state);
	static const int errs[] = { EACCES, EIO };
	for (int i = 0; i < 2; i++) {
		stat_fail_name = "fork";
		stat_err = errs[i];
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		int r = snapfork_fork(t->src, t->dst, NULL, &rep);
		stat_fail_name = NULL;
		assert_int_equal(r, -errs[i]);
		assert_string_equal(rep.error_path, t->dst);
		assert_string_equal(rep.error_reason, "cannot stat DST");
		assert_nothing_left(t);
	}
	/* A directory at DST, gone before it could be opened to see where
	 * it lies: it was there, so DST exists; never "SRC is inside DST"
	 * on no evidence. */
	tt_mkdir(t->dir, "fork", 0755);
	gone_after_stat = "fork";
	expect_why(t->src, t->dst, -EEXIST, "DST already exists");
	assert_null(gone_after_stat);
}

/* An entry the walk read but cannot stat: gone meanwhile (ENOENT) is
 * "vanished during the walk", any other error "stat failed"; either
 * fails the fork, said of SRC and the entry, nothing left. */
static void test_entry_cannot_be_stated(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_text(t->src, "entry", 0644, "x\n");
	static const int errs[] = { ENOENT, EIO };
	static const char *const why[] = { "vanished during the walk", "stat failed" };
	for (int i = 0; i < 2; i++) {
		stat_fail_name = "entry";
		stat_err = errs[i];
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		int r = snapfork_fork(t->src, t->dst, NULL, &rep);
		stat_fail_name = NULL;
		assert_int_equal(r, -errs[i]);
		assert_int_equal(rep.error_side, SNAPFORK_SIDE_SRC);
		assert_string_equal(rep.error_path, "entry");
		assert_string_equal(rep.error_reason, why[i]);
		assert_nothing_left(t);
	}
}

/* A directory of SRC swapped, after the walk saw it, for a FIFO (never
 * an open that waits for a writer) or a symlink to a directory (never
 * followed): the fork fails opening it, said of SRC, nothing left. */
static void test_directory_swapped_during_the_walk(void **state)
{
	struct tt_place *t = tt_place(state);
	static const char kinds[] = { 'f', 'l' };
	for (int i = 0; i < 2; i++) {
		tt_mkdir(t->src, "sub", 0755);
		gone_after_stat = "sub";
		swap_in = kinds[i];
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		alarm(20); /* a hang is a failure */
		int r = snapfork_fork(t->src, t->dst, NULL, &rep);
		alarm(0);
		swap_in = 0;
		assert_null(gone_after_stat);
		assert_true(r < 0);
		assert_int_equal(rep.error_side, SNAPFORK_SIDE_SRC);
		assert_string_equal(rep.error_path, "sub");
		assert_string_equal(rep.error_reason, "open directory failed");
		assert_nothing_left(t);
		assert_int_equal(unlink(tt_p(t->src, "sub")), 0);
	}
}

/* A symlink whose target reads as empty cannot be made again (symlink(2)
 * refuses "": ENOENT), said of DST; one that fills readlinkat's whole
 * buffer is longer than PATH_MAX: ENAMETOOLONG, said of SRC.  Either
 * fails the fork, nothing left. */
static void test_symlink_targets_out_of_range(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_symlink(t->src, "ln", "config.json");
	static const ssize_t rets[] = { 0, PATH_MAX + 1 };
	static const int errs[] = { -ENOENT, -ENAMETOOLONG };
	static const char *const why[] = { "symlink failed", "symlink target too long" };
	static const enum snapfork_side side[] = { SNAPFORK_SIDE_DST, SNAPFORK_SIDE_SRC };
	for (int i = 0; i < 2; i++) {
		readlink_ret = rets[i];
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		int r = snapfork_fork(t->src, t->dst, NULL, &rep);
		readlink_ret = -1;
		assert_int_equal(r, errs[i]);
		assert_string_equal(rep.error_reason, why[i]);
		assert_int_equal(rep.error_side, side[i]);
		assert_string_equal(rep.error_path, "ln");
		assert_nothing_left(t);
	}
}

/* No memory for the skip list: ENOMEM, nothing made. */
static void test_out_of_memory(void **state)
{
	struct tt_place *t = tt_place(state);
	const char *skip[] = { "logs", NULL };
	struct snapfork_options o = { .size = sizeof o, .skip = skip };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	calloc_fail = 1;
	int r = snapfork_fork(t->src, t->dst, &o, &rep);
	calloc_fail = 0;
	assert_int_equal(r, -ENOMEM);
	assert_int_equal(rep.error, -ENOMEM);
	assert_int_equal(rep.error_side, SNAPFORK_SIDE_ARG);
	assert_string_equal(rep.error_reason, "out of memory");
	assert_nothing_left(t);
}

/* No memory to grow the walk's path: the fork fails "out of memory" at
 * the directory it was in, and nothing is left. */
static void test_out_of_memory_for_the_path(void **state)
{
	struct tt_place *t = tt_place(state);
	char name[201];
	memset(name, 'd', 200);
	name[200] = '\0';
	tt_mkdir(t->src, name, 0755);
	tt_text(t->src, tt_p(name, name), 0644, "x"); /* 401 bytes of path */
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	realloc_fail_from = 512;
	int r = snapfork_fork(t->src, t->dst, NULL, &rep);
	realloc_fail_from = 0;
	assert_int_equal(r, -ENOMEM);
	assert_int_equal(rep.error, -ENOMEM);
	assert_int_equal(rep.error_side, SNAPFORK_SIDE_SRC);
	assert_string_equal(rep.error_path, name);
	assert_string_equal(rep.error_reason, "out of memory");
	assert_nothing_left(t);
}

/* DST must end in a plain name; trailing slashes are fine. */
static void test_dst_spellings(void **state)
{
	struct tt_place *t = tt_place(state);
	char d[4200];
	static const char *const bad[] = { ".", "/", "x/.", "x/..", "x/../", "///" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(d, sizeof d, "%s/%s", t->dir, bad[i]);
		expect_fail(t->src, bad[i][0] == '/' ? bad[i] : d, -EINVAL, SNAPFORK_SIDE_ARG,
			    bad[i][0] == '/' ? bad[i] : d);
	}
	char longname[300];
	memset(longname, 'n', 256);
	longname[256] = '\0';
	snprintf(d, sizeof d, "%s/%s", t->dir, longname);
	expect_fail(t->src, d, -EINVAL, SNAPFORK_SIDE_ARG, d);
	/* Plain names near "." and ".." fork, and so does one of NAME_MAX. */
	static const char *const good[] = { ".a", "a.", "ab", "..a", "a..", "...", ".a." };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		snprintf(d, sizeof d, "%s/%s", t->dir, good[i]);
		struct snapfork_report ok = SNAPFORK_REPORT_INIT;
		if (snapfork_fork(t->src, d, NULL, &ok) != 0)
			fail_msg("DST named \"%s\": %s (%s)", good[i], strerrorname_np(-ok.error),
				 ok.error_reason);
		tt_rm_rf(d);
	}
	longname[255] = '\0';
	snprintf(d, sizeof d, "%s/%s", t->dir, longname);
	assert_int_equal(snapfork_fork(t->src, d, NULL, NULL), 0);
	tt_rm_rf(d);
	snprintf(d, sizeof d, "%s///", t->dst);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, d, NULL, &rep), 0);
	/* A fork that succeeded reports no error, no path, no reason. */
	assert_int_equal(rep.error, 0);
	assert_null(rep.error_reason);
	assert_string_equal(rep.error_path, "");
	tt_verify_ok(t->src, t->dst, NULL);
	tt_rm_rf(t->dst);
	/* A bare name forks into the working directory. */
	char cwd[4200];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(t->dir), 0);
	int r = snapfork_fork(t->src, "bare", NULL, NULL); /* no report wanted */
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r, 0);
	tt_verify_ok(t->src, tt_p(t->dir, "bare"), NULL);
}

/* Skip paths are relative and below SRC; "./a", "/a" and "a/" mean "a". */
static void test_skip_spellings(void **state)
{
	struct tt_place *t = tt_place(state);
	static const char *const bad[] = { "", "/", "a//b", "..", "../x", "a/../b", "a/..", "./" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *skip[] = { "logs", bad[i], NULL };
		struct snapfork_options o = { .size = sizeof o, .skip = skip };
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		assert_int_equal(snapfork_fork(t->src, t->dst, &o, &rep), -EINVAL);
		assert_int_equal(rep.error_side, SNAPFORK_SIDE_ARG);
		assert_string_equal(rep.error_path, bad[i]);
		assert_false(tt_exists(t->dst));
	}
	tt_mkdir(t->src, "cache", 0755);
	tt_text(t->src, "cache/c", 0644, "c");
	tt_text(t->src, "keep", 0644, "k");
	tt_text(t->src, "..cache", 0644, "a plain name");
	static const char *const good[] = { "./cache", "/cache",    "cache/",
					    "cache//", "././cache", "..cache" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		const char *skip[] = { good[i], NULL };
		struct snapfork_options o = { .size = sizeof o, .skip = skip };
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		if (snapfork_fork(t->src, t->dst, &o, &rep) != 0)
			fail_msg("skip \"%s\": %s", good[i], rep.error_reason);
		const char *gone = good[i][0] == '.' && good[i][1] == '.' ? "..cache" : "cache";
		if (tt_exists(tt_p(t->dst, gone)))
			fail_msg("skip \"%s\": %s forked", good[i], gone);
		assert_true(tt_exists(tt_p(t->dst, "keep")));
		tt_rm_rf(t->dst);
	}
}

/* An error path longer than the report holds is cut, and says so. */
static void test_long_error_path(void **state)
{
	struct tt_place *t = tt_place(state);
	char name[201], rel[8 * 202 + 8] = "";
	memset(name, 'd', 200);
	name[200] = '\0';
	int d = open(t->src, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 8; i++) { /* 1608 bytes of path */
		assert_int_equal(mkdirat(d, name, 0755), 0);
		int next = openat(d, name, O_RDONLY | O_DIRECTORY);
		close(d);
		d = next;
		strcat(rel, name);
		strcat(rel, "/");
	}
	assert_int_equal(mkfifoat(d, "pipe", 0600), 0);
	close(d);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), -EINVAL);
	assert_int_equal(strlen(rep.error_path), SNAPFORK_REPORT_PATH - 1);
	assert_string_equal(rep.error_path + SNAPFORK_REPORT_PATH - 4, "...");
	assert_memory_equal(rep.error_path, rel, SNAPFORK_REPORT_PATH - 4);
	assert_false(tt_exists(t->dst));
}

/* readdir's first name in dir (not "." or ".."). */
static void first_listed(const char *dir, char *name, size_t len)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)) && de->d_name[0] == '.')
		;
	assert_non_null(de);
	snprintf(name, len, "%s", de->d_name);
	closedir(d);
}

/* The walk goes in name order whatever order readdir gives (tmpfs gives
 * creation order, or newest first before Linux 6.6; ext4 hash order), so
 * of several refused entries the error names the first by name, the same
 * on every filesystem and run.  FIFOs named by two digits, made in an
 * order not sorted; while readdir would give the least name first anyway,
 * that one goes and a name above all is made (newest: last or first in
 * creation order, anywhere in hash order), so that the test tells. */
static void test_error_names_first_by_name(void **state)
{
	struct tt_place *t = tt_place(state);
	char q[4200];
	snprintf(q, sizeof q, "%s/q", t->src);
	static const int counts[] = { 2, 26 };
	for (int k = 0; k < 2; k++) {
		int n = counts[k], least = 0, next = n, tries = 0;
		char name[16], first[256];
		tt_mkdir(t->src, "q", 0755);
		for (int i = 0; i < n; i++) {
			snprintf(name, sizeof name, "%02d", (i + n / 2) % n);
			tt_fifo(q, name);
		}
		for (;;) {
			snprintf(name, sizeof name, "%02d", least);
			first_listed(q, first, sizeof first);
			if (strcmp(first, name) != 0)
				break;
			if (++tries == 20) { /* a filesystem that lists names sorted */
				print_message("skip: readdir lists the least name first here: the "
					      "walk's own order cannot be put to the test\n");
				tt_rm_rf(q);
				skip();
			}
			assert_int_equal(unlink(tt_p(q, name)), 0);
			least++;
			snprintf(name, sizeof name, "%02d", next++);
			tt_fifo(q, name);
		}
		snprintf(name, sizeof name, "q/%02d", least);
		expect_fail(t->src, t->dst, -EINVAL, SNAPFORK_SIDE_SRC, name);
		assert_nothing_left(t);
		tt_rm_rf(q);
	}
}

static void test_bad_method(void **state)
{
	struct tt_place *t = tt_place(state);
	struct snapfork_options o = { .size = sizeof o, .method = (enum snapfork_method)7 };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, &o, &rep), -EINVAL);
	assert_int_equal(rep.error_side, SNAPFORK_SIDE_ARG);
	assert_string_equal(rep.error_reason, "unknown copy method");
	assert_false(tt_exists(t->dst));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, tt_place_teardown)
	const struct CMUnitTest tests[] = {
		T(test_F13_fifo_deep_in_tree_refused_nothing_left),
		T(test_F13_device_refused),
		T(test_F13_unreadable_file_fails_cleanly),
		T(test_F13_enospc_mid_fork_leaves_nothing),
		T(test_dst_exists),
		T(test_same_directory_twice),
		T(test_dst_inside_src),
		T(test_src_inside_dst),
		T(test_dst_cannot_be_stated),
		T(test_out_of_memory),
		T(test_entry_cannot_be_stated),
		T(test_directory_swapped_during_the_walk),
		T(test_symlink_targets_out_of_range),
		T(test_dst_deep_inside_src),
		T(test_src_symlink_file_missing),
		T(test_dst_parent_missing),
		T(test_dst_spellings),
		T(test_nested_deeper),
		T(test_dst_parent_not_a_directory),
		T(test_where_dst_lies_unknown),
		T(test_skip_spellings),
		T(test_out_of_memory_for_the_path),
		T(test_error_names_first_by_name),
		T(test_bad_method),
		T(test_long_error_path),
	};
	return cmocka_run_group_tests_name("refusals and cleanup", tests, NULL, NULL);
}
