/* test_writeback.c - every copied file's data is written back before DST
 * is published (CONTRACT.md C3), the way writeback.c says: each file's
 * writeback started when its copy ends (sync_file_range WRITE), waited
 * for (WAIT_BEFORE|WRITE|WAIT_AFTER) with at most SF_WB_WINDOW files held,
 * then closed, all before the rename that publishes DST;
 * fdatasync instead on btrfs (fstatfs is made to say btrfs here); none
 * of it with SNAPFORK_FSYNC or SNAPFORK_NO_WRITEBACK; a failed writeback
 * or close, or no memory to name a held file, fails the fork with its
 * errno, naming the file, leaving nothing.  The calls are seen through the linker's --wrap (as
 * suites/inject does); which files were copied is read from DST itself. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"
#include "snapfork.h"
#include "testtree.h"

enum ev_kind { EV_START, EV_WAIT, EV_DATASYNC, EV_CLOSE, EV_PUBLISH };
struct ev {
	enum ev_kind kind;
	int fd;
};
#define MAX_EV 8192
static struct ev evs[MAX_EV];
static size_t nev;
static int armed, fake_btrfs;
static const char *publish_name; /* DST's base name: its rename publishes it */
/* Fail the nth call of a kind (1-based; 0: none) with EIO. */
static enum ev_kind fail_kind;
static unsigned fail_nth, seen[EV_PUBLISH + 1];

/* The nth strdup of a fork fails (ENOMEM) while strdup_fail_nth is set. */
static unsigned strdup_fail_nth, strdups;

char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
	if (armed && strdup_fail_nth && ++strdups == strdup_fail_nth) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_strdup(s);
}

static int record(enum ev_kind k, int fd)
{
	if (!armed)
		return 0;
	if (nev < MAX_EV)
		evs[nev++] = (struct ev){ k, fd };
	return ++seen[k] == fail_nth && fail_kind == k;
}

int __real_sync_file_range(int fd, off_t off, off_t n, unsigned flags);
int __wrap_sync_file_range(int fd, off_t off, off_t n, unsigned flags);
int __wrap_sync_file_range(int fd, off_t off, off_t n, unsigned flags)
{
	const unsigned wait =
		SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
	/* The whole file, one of the two forms, nothing else. */
	if (armed && (off != 0 || n != 0 || (flags != SYNC_FILE_RANGE_WRITE && flags != wait)))
		fail_msg("sync_file_range(%d, %lld, %lld, %#x): not the whole file in one of "
			 "writeback.c's two forms",
			 fd, (long long)off, (long long)n, flags);
	if (record(flags == wait ? EV_WAIT : EV_START, fd)) {
		errno = EIO;
		return -1;
	}
	return __real_sync_file_range(fd, off, n, flags);
}

int __real_fdatasync(int fd);
int __wrap_fdatasync(int fd);
int __wrap_fdatasync(int fd)
{
	if (record(EV_DATASYNC, fd)) {
		errno = EIO;
		return -1;
	}
	return __real_fdatasync(fd);
}

int __real_close(int fd);
int __wrap_close(int fd);
int __wrap_close(int fd)
{
	int r = __real_close(fd);
	/* A close that fails (NFS keeps write errors for it) still closes. */
	if (record(EV_CLOSE, fd) && r == 0) {
		errno = EIO;
		return -1;
	}
	return r;
}

int __real_fstatfs(int fd, struct statfs *s);
int __wrap_fstatfs(int fd, struct statfs *s);
int __wrap_fstatfs(int fd, struct statfs *s)
{
	/* Armed, the filesystem is btrfs or not as the test says, whatever
	 * SNAPFORK_TEST_DIR really is. */
	int r = __real_fstatfs(fd, s);
	if (r == 0 && armed)
		s->f_type = fake_btrfs ? BTRFS_SUPER_MAGIC : EXT4_SUPER_MAGIC;
	return r;
}

int __real_renameat2(int od, const char *o, int nd, const char *n, unsigned flags);
int __wrap_renameat2(int od, const char *o, int nd, const char *n, unsigned flags);
int __wrap_renameat2(int od, const char *o, int nd, const char *n, unsigned flags)
{
	if (publish_name && strcmp(n, publish_name) == 0)
		record(EV_PUBLISH, -1);
	return __real_renameat2(od, o, nd, n, flags);
}

int __real_renameat(int od, const char *o, int nd, const char *n);
int __wrap_renameat(int od, const char *o, int nd, const char *n);
int __wrap_renameat(int od, const char *o, int nd, const char *n)
{
	if (publish_name && strcmp(n, publish_name) == 0)
		record(EV_PUBLISH, -1);
	return __real_renameat(od, o, nd, n);
}

/* ---- the snapshot, and what DST shows was copied ---- */

#define NFILES 75 /* more than twice SF_WB_WINDOW */

static int setup(void **state)
{
	int r = tt_place_setup(state, "writeback");
	struct tt_place *t = *state;
	tt_snapshot(t->src, "memory", (off_t)16 << 20);
	tt_mkdir(t->src, "many", 0755);
	for (int i = 0; i < NFILES; i++) {
		char name[32];
		snprintf(name, sizeof name, "many/f%02d", i);
		tt_text(t->src, name, 0644, i % 5 ? "some data" : "");
	}
	return r;
}

static const char *walk_src, *walk_dst;
static unsigned walk_copies;
static int count_copy(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	char src[8192];
	struct stat s;
	snprintf(src, sizeof src, "%s%s", walk_src, path + strlen(walk_dst));
	if (lstat(src, &s) == 0 && s.st_ino != st->st_ino)
		walk_copies++;
	return 0;
}

/* Regular files in DST that are not SRC's inode: the copies. */
static unsigned copies(const struct tt_place *t)
{
	walk_src = t->src, walk_dst = t->dst, walk_copies = 0;
	assert_int_equal(nftw(t->dst, count_copy, 16, FTW_PHYS), 0);
	return walk_copies;
}

static int fork_watched(struct tt_place *t, unsigned flags, struct snapfork_report *rep)
{
	struct snapfork_options o = SNAPFORK_OPTIONS_INIT;
	o.flags = flags;
	o.method = SNAPFORK_METHOD_RW; /* a reflink writes no data, and has no writeback */
	publish_name = strrchr(t->dst, '/') + 1;
	nev = 0;
	memset(seen, 0, sizeof seen);
	armed = 1;
	int r = snapfork_fork(t->src, t->dst, &o, rep);
	armed = 0;
	return r;
}

static size_t count(enum ev_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < nev; i++)
		n += evs[i].kind == k;
	return n;
}

/* Each started file waited for (kind wait) then closed, in that order on
 * its descriptor; at most SF_WB_WINDOW held, and that many reached when
 * there are enough files; all before the
 * publishing rename.  On btrfs (start == wait) nothing is started. */
static void check_order(enum ev_kind start, enum ev_kind wait, size_t files)
{
	enum { NONE, STARTED, WAITED };
	static unsigned char st[4096];
	memset(st, NONE, sizeof st);
	size_t publish = nev, outstanding = 0, most = 0;
	for (size_t i = 0; i < nev && publish == nev; i++)
		if (evs[i].kind == EV_PUBLISH)
			publish = i;
	assert_true(publish < nev);
	for (size_t i = 0; i < nev; i++) {
		int fd = evs[i].fd;
		if (fd < 0 || fd >= (int)sizeof st)
			continue;
		if (start != wait && evs[i].kind == start) {
			assert_int_equal(st[fd], NONE);
			st[fd] = STARTED;
			if (++outstanding > most)
				most = outstanding;
		} else if (evs[i].kind == wait) {
			assert_true(i < publish);
			assert_int_equal(st[fd], start != wait ? STARTED : NONE);
			if (start != wait)
				outstanding--;
			st[fd] = WAITED;
		} else if (evs[i].kind == EV_CLOSE) {
			assert_true(st[fd] != STARTED); /* never closed unwaited */
			if (st[fd] == WAITED)
				assert_true(i < publish);
			st[fd] = NONE;
		}
	}
	for (size_t fd = 0; fd < sizeof st; fd++)
		assert_int_equal(st[fd], NONE);
	/* A file's writeback starts before the oldest's wait makes room: one
	 * more than the window is in flight then. */
	if (start != wait)
		assert_int_equal(most, files <= SF_WB_WINDOW ? files : SF_WB_WINDOW + 1);
}

static void test_each_copy_written_back_before_publishing(void **state)
{
	struct tt_place *t = tt_place(state);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(fork_watched(t, 0, &rep), 0);
	unsigned files = copies(t);
	assert_true(files >= NFILES);
	assert_int_equal(count(EV_START), files);
	assert_int_equal(count(EV_WAIT), files);
	assert_int_equal(count(EV_DATASYNC), 0);
	check_order(EV_START, EV_WAIT, files);
	tt_verify_ok(t->src, t->dst, NULL);
}

static void test_btrfs_waits_with_fdatasync(void **state)
{
	struct tt_place *t = tt_place(state);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fake_btrfs = 1;
	int r = fork_watched(t, 0, &rep);
	fake_btrfs = 0;
	assert_int_equal(r, 0);
	unsigned files = copies(t);
	assert_int_equal(count(EV_START) + count(EV_WAIT), 0);
	assert_int_equal(count(EV_DATASYNC), files);
	check_order(EV_DATASYNC, EV_DATASYNC, files);
}

static void test_fsync_and_no_writeback_skip_it(void **state)
{
	struct tt_place *t = tt_place(state);
	unsigned flags[] = { SNAPFORK_FSYNC, SNAPFORK_NO_WRITEBACK,
			     SNAPFORK_FSYNC | SNAPFORK_NO_WRITEBACK };
	for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		assert_int_equal(fork_watched(t, flags[i], &rep), 0);
		assert_int_equal(count(EV_START) + count(EV_WAIT) + count(EV_DATASYNC), 0);
		tt_rm_rf(t->dst);
	}
}

/* The nth call of kind fails with EIO: the fork fails with EIO naming a
 * copied file and the reason, leaves no DST and no descriptor. */
static void fails(struct tt_place *t, enum ev_kind kind, unsigned nth, int btrfs,
		  const char *reason)
{
	int fds = tt_open_fds();
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	fail_kind = kind, fail_nth = nth, fake_btrfs = btrfs;
	int r = fork_watched(t, 0, &rep);
	fail_nth = 0, fake_btrfs = 0;
	assert_int_equal(r, -EIO);
	assert_int_equal(rep.error, -EIO);
	assert_int_equal(rep.error_side, SNAPFORK_SIDE_DST);
	assert_non_null(rep.error_reason);
	assert_string_equal(rep.error_reason, reason);
	char copied[8192];
	snprintf(copied, sizeof copied, "%s/%s", t->src, rep.error_path);
	struct stat st;
	assert_int_equal(lstat(copied, &st), 0); /* a file SRC has */
	assert_true(S_ISREG(st.st_mode));
	assert_false(tt_exists(t->dst));
	assert_int_equal(tt_count_named(t->dir, ".snapfork-"), 0);
	assert_int_equal(tt_open_fds(), fds);
	assert_true(seen[kind] >= nth);
}

static void test_a_failed_writeback_fails_the_fork(void **state)
{
	struct tt_place *t = tt_place(state);
	fails(t, EV_START, 5, 0, "writeback failed");
	/* The four files held when it failed are closed, not waited for: a
	 * failed fork's data is thrown away. */
	assert_int_equal(count(EV_START), 5);
	assert_int_equal(count(EV_WAIT), 0);
	for (size_t i = 0; i < nev; i++) {
		size_t j = i + 1;
		while (evs[i].kind == EV_START && j < nev &&
		       !(evs[j].kind == EV_CLOSE && evs[j].fd == evs[i].fd))
			j++;
		if (evs[i].kind == EV_START && j == nev)
			fail_msg("the file started on fd %d was not closed", evs[i].fd);
	}
	fails(t, EV_START, 1, 0, "writeback failed");
	fails(t, EV_WAIT, 3, 0, "writeback failed");
	fails(t, EV_WAIT, NFILES, 0, "writeback failed"); /* one waited at the end */
	fails(t, EV_DATASYNC, 2, 1, "writeback failed");
}

/* A close that reports a write error after the wait: the fork fails. */
static void test_a_failed_close_fails_the_fork(void **state)
{
	struct tt_place *t = tt_place(state);
	/* Which close is a window file's depends on the walk: try each until
	 * one is (the reason says so); every one must fail the fork cleanly
	 * or leave a correct fork. */
	int hit = 0;
	for (unsigned nth = 1; nth < 400 && !hit; nth++) {
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		fail_kind = EV_CLOSE, fail_nth = nth;
		int r = fork_watched(t, 0, &rep);
		fail_nth = 0;
		if (r == 0) {
			tt_verify_ok(t->src, t->dst, NULL);
			tt_rm_rf(t->dst);
			if (seen[EV_CLOSE] < nth)
				break; /* past the last close */
			continue;
		}
		assert_false(tt_exists(t->dst));
		assert_int_equal(tt_count_named(t->dir, ".snapfork-"), 0);
		if (rep.error_reason && strcmp(rep.error_reason, "close failed") == 0 &&
		    rep.error_side == SNAPFORK_SIDE_DST) {
			assert_int_equal(r, -EIO);
			hit = 1;
		}
	}
	assert_true(hit);
}

/* No memory to name a file held for its writeback: the fork fails
 * (ENOMEM, "out of memory", said of DST), its descriptor closed, nothing
 * left.  Each strdup of the fork fails in turn until one is that. */
static void test_no_memory_for_the_window(void **state)
{
	struct tt_place *t = tt_place(state);
	int hit = 0, fds = tt_open_fds();
	for (unsigned nth = 1; nth < 400 && !hit; nth++) {
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		strdups = 0;
		strdup_fail_nth = nth;
		int r = fork_watched(t, 0, &rep);
		strdup_fail_nth = 0;
		if (r == 0) {
			tt_rm_rf(t->dst);
			if (strdups < nth)
				break; /* past the last strdup */
			continue;
		}
		assert_int_equal(r, -ENOMEM);
		assert_false(tt_exists(t->dst));
		assert_int_equal(tt_count_named(t->dir, ".snapfork-"), 0);
		assert_int_equal(tt_open_fds(), fds);
		hit |= rep.error_side == SNAPFORK_SIDE_DST && rep.error_reason &&
		       strcmp(rep.error_reason, "out of memory") == 0;
	}
	if (!hit)
		fail_msg("no strdup failure was the writeback window's (\"out of memory\", DST)");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, tt_place_teardown)
	const struct CMUnitTest tests[] = {
		T(test_each_copy_written_back_before_publishing),
		T(test_no_memory_for_the_window),
		T(test_btrfs_waits_with_fdatasync),
		T(test_fsync_and_no_writeback_skip_it),
		T(test_a_failed_writeback_fails_the_fork),
		T(test_a_failed_close_fails_the_fork),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
