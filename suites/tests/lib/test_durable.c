/* test_durable.c - with SNAPFORK_FSYNC (CONTRACT.md C4) every file the
 * fork wrote and every directory it made is fsynced before the rename
 * that publishes DST, and DST's parent after it, so that a power cut
 * once the call returned finds DST whole.  A linked mem-file wrote no
 * data (the snapshot's), its directory entry is in its directory's
 * fsync; a copied one is fsynced.  fsync is seen through --wrap and
 * each call's file named by /proc/self/fd; the publishing rename too.
 * An fsync that fails (injected by path) fails the fork and leaves
 * nothing.  The power-cut legs (suites/power) check the same on real
 * disks; this is the quick form that says which fsync is missing. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "snapfork.h"
#include "testtree.h"

#define MAX_SYNC 256
static char synced[MAX_SYNC][PATH_MAX]; /* what each fsync was of, in order */
static int nsync, published_at = -1, armed;
static const char *dst_name;

/* A failure to inject: the nth fsync of a path that ends with suffix
 * (under a staging directory, or the parent itself: fail_parent) fails
 * with EIO; a rename to a staging name (the fork taking DST back) fails
 * with EIO while fail_take_back is set. */
enum where { NOWHERE, STAGE_ROOT, UNDER_STAGE, PARENT };
static struct {
	enum where where;
	const char *suffix; /* UNDER_STAGE: the path's end */
	int nth, seen, take_back;
	char parent_path[PATH_MAX];
} inj;

static int injected(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n = strlen(path), k = inj.suffix ? strlen(inj.suffix) : 0;
	int hit = 0;
	if (inj.where == PARENT)
		hit = strcmp(path, inj.parent_path) == 0;
	else if (inj.where == STAGE_ROOT)
		hit = base && strstr(base, ".snapfork-") != NULL;
	else if (inj.where == UNDER_STAGE)
		hit = strstr(path, ".snapfork-") && n >= k && strcmp(path + n - k, inj.suffix) == 0;
	return hit && ++inj.seen == inj.nth;
}

int __real_fsync(int fd);
int __wrap_fsync(int fd);
int __wrap_fsync(int fd)
{
	if (armed && nsync < MAX_SYNC) {
		char link[32];
		snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, synced[nsync], PATH_MAX - 1);
		synced[nsync][n > 0 ? n : 0] = 0;
		if (injected(synced[nsync++])) {
			errno = EIO;
			return -1;
		}
	}
	return __real_fsync(fd);
}

static void published(const char *newname)
{
	if (armed && dst_name && !strcmp(newname, dst_name))
		published_at = nsync;
}

int __real_renameat2(int od, const char *o, int nd, const char *n, unsigned flags);
int __wrap_renameat2(int od, const char *o, int nd, const char *n, unsigned flags);
int __wrap_renameat2(int od, const char *o, int nd, const char *n, unsigned flags)
{
	published(n);
	return __real_renameat2(od, o, nd, n, flags);
}

int __real_renameat(int od, const char *o, int nd, const char *n);
int __wrap_renameat(int od, const char *o, int nd, const char *n);
int __wrap_renameat(int od, const char *o, int nd, const char *n)
{
	if (armed && inj.take_back && strstr(n, ".snapfork-")) {
		errno = EIO;
		return -1;
	}
	published(n);
	return __real_renameat(od, o, nd, n);
}

static int setup(void **state)
{
	int r = tt_place_setup(state, "durable");
	struct tt_place *t = *state;
	tt_snapshot(t->src, "memory", (off_t)16 << 20);
	tt_mkdir(t->src, "a", 0755);
	tt_mkdir(t->src, "a/b", 0700);
	tt_text(t->src, "a/b/deep", 0600, "deep\n");
	tt_text(t->src, "a/empty", 0644, "");
	tt_symlink(t->src, "a/link", "b/deep");
	tt_mkdir(t->src, "snapshots", 0755);
	tt_mkdir(t->src, "snapshots/snapshot-latest", 0755);
	return r;
}

/* Was rel of the fork (as named while staged, before the publish)
 * fsynced before it was published? */
static int synced_before(const char *stage_prefix, const char *rel)
{
	char want[PATH_MAX];
	snprintf(want, sizeof want, "%s%s%s", stage_prefix, *rel ? "/" : "", rel);
	for (int i = 0; i < published_at; i++)
		if (!strcmp(synced[i], want))
			return 1;
	return 0;
}

static const char *stage_prefix_g, *dst_g;
static int missing;
static char missing_what[PATH_MAX];

/* Every directory and regular file of DST: fsynced while staged?  (A
 * linked mem-file is the snapshot's data: exempt when linked.) */
static int each(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	const char *rel = path + strlen(dst_g);
	rel += *rel == '/';
	if (flag == FTW_SL || !(S_ISDIR(st->st_mode) || S_ISREG(st->st_mode)))
		return 0;
	if (S_ISREG(st->st_mode) && st->st_nlink > 1)
		return 0; /* the linked mem-file */
	if (!synced_before(stage_prefix_g, rel) && !missing++)
		snprintf(missing_what, sizeof missing_what, "%s", *rel ? rel : "(DST itself)");
	return 0;
}

static void fork_and_check(struct tt_place *t, unsigned flags, const char *what)
{
	struct snapfork_options o = SNAPFORK_OPTIONS_INIT;
	o.flags = SNAPFORK_FSYNC | flags;
	char base[NAME_MAX + 1];
	snprintf(base, sizeof base, "%s", strrchr(t->dst, '/') + 1);
	nsync = 0;
	published_at = -1;
	dst_name = base;
	armed = 1;
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(t->src, t->dst, &o, &rep);
	armed = 0;
	assert_int_equal(r, 0);
	if (published_at < 0)
		fail_msg("%s: no rename to %s seen", what, base);
	/* The staging directory's path: the first fsync under DST's parent
	 * that is not the parent itself names it. */
	char prefix[PATH_MAX] = "", parent_path[PATH_MAX], up[PATH_MAX];
	snprintf(up, sizeof up, "%s", t->dst);
	*strrchr(up, '/') = 0;
	assert_non_null(realpath(up, parent_path));
	size_t plen = strlen(parent_path);
	for (int i = 0; i < published_at && !prefix[0]; i++)
		if (!strncmp(synced[i], parent_path, plen) && synced[i][plen] == '/') {
			const char *end = strchr(synced[i] + plen + 1, '/');
			size_t n = end ? (size_t)(end - synced[i]) : strlen(synced[i]);
			snprintf(prefix, sizeof prefix, "%.*s", (int)n, synced[i]);
		}
	if (!prefix[0] || !strstr(prefix, ".snapfork-"))
		fail_msg("%s: nothing under a staging directory was fsynced before the publish",
			 what);
	stage_prefix_g = prefix;
	dst_g = t->dst;
	missing = 0;
	assert_int_equal(nftw(t->dst, each, 16, FTW_PHYS), 0);
	if (missing)
		fail_msg("%s: %d of the fork's files and directories not fsynced before the "
			 "publish, the first: %s",
			 what, missing, missing_what);
	int parent = 0;
	for (int i = published_at; i < nsync; i++)
		parent |= !strcmp(synced[i], parent_path);
	if (!parent)
		fail_msg("%s: DST's parent %s not fsynced after the publish", what, parent_path);
	tt_rm_rf(t->dst);
}

static void test_everything_fsynced_before_the_publish(void **state)
{
	struct tt_place *t = tt_place(state);
	fork_and_check(t, 0, "--fsync");
	fork_and_check(t, SNAPFORK_NO_LINK, "--fsync --no-link (the mem-file copied)");
	/* The mem-file deeper, so that nothing but the fork's own last step
	 * flushes DST's top directory. */
	char deeper[4300];
	snprintf(deeper, sizeof deeper, "%s/snapshots/snapshot-latest/memory", t->src);
	assert_int_equal(rename(tt_p(t->src, "memory"), deeper), 0);
	fork_and_check(t, 0, "--fsync, the mem-file in snapshots/snapshot-latest");
}

/* An fsync that fails fails the fork (EIO, said where), and leaves
 * nothing: the mem-file's directory (its entry, CONTRACT.md C4), DST's
 * own directory, a directory the walk made, DST's parent after the
 * publish (DST taken back and removed).  Where DST cannot be taken
 * back, the fork still fails. */
static void test_fsync_failures(void **state)
{
	struct tt_place *t = tt_place(state);
	const struct {
		enum where where;
		const char *suffix;
		int nth, take_back;
		const char *why, *path;
	} cases[] = {
		/* "memory" is at the top: its directory is DST's, whose first
		 * fsync is the mem-file's, the second the fork's last. */
		{ STAGE_ROOT, NULL, 1, 0, "fsync failed", "memory" },
		{ STAGE_ROOT, NULL, 2, 0, "fsync failed", "" },
		{ UNDER_STAGE, "/a/b", 1, 0, "fsync failed", NULL },
		{ PARENT, NULL, 1, 0, "fsync of the parent directory failed", NULL },
		{ PARENT, NULL, 1, 1, "fsync of the parent directory failed", NULL },
	};
	char up[PATH_MAX];
	snprintf(up, sizeof up, "%s", t->dst);
	*strrchr(up, '/') = 0;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		memset(&inj, 0, sizeof inj);
		assert_non_null(realpath(up, inj.parent_path));
		inj.where = cases[i].where;
		inj.suffix = cases[i].suffix;
		inj.nth = cases[i].nth;
		inj.take_back = cases[i].take_back;
		struct snapfork_options o = SNAPFORK_OPTIONS_INIT;
		o.flags = SNAPFORK_FSYNC;
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		nsync = 0;
		armed = 1;
		int r = snapfork_fork(t->src, t->dst, &o, &rep);
		armed = 0;
		if (r != -EIO || !rep.error_reason || strcmp(rep.error_reason, cases[i].why) != 0)
			fail_msg("case %zu: %d (%s), not -EIO (%s)", i, r,
				 rep.error_reason ? rep.error_reason : "no reason", cases[i].why);
		if (cases[i].path && strcmp(rep.error_path, cases[i].path) != 0)
			fail_msg("case %zu: said of \"%s\", not \"%s\"", i, rep.error_path,
				 cases[i].path);
		assert_int_equal(tt_count_named(t->dir, ".snapfork-"), 0);
		/* Published, and the parent's fsync failed: taken back (or,
		 * where the rename back failed, left as it is). */
		assert_int_equal(tt_exists(t->dst), cases[i].take_back);
		tt_rm_rf(t->dst);
	}
	memset(&inj, 0, sizeof inj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_everything_fsynced_before_the_publish, setup,
						tt_place_teardown),
		cmocka_unit_test_setup_teardown(test_fsync_failures, setup, tt_place_teardown),
	};
	return cmocka_run_group_tests_name("durable forks", tests, NULL, NULL);
}
