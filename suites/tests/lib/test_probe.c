/* test_probe.c - snapfork_probe reports what each filesystem really does.
 *
 * What each filesystem must report is known here on its own, not asked of
 * the library: the statfs magic numbers (linux/magic.h; xfs's is in
 * fs/xfs/libxfs/xfs_format.h), FICLONE on xfs with reflink=1 and btrfs
 * only (tmpfs and ext4 have no remap_file_range: EOPNOTSUPP), and
 * SEEK_HOLE, copy_file_range and RENAME_NOREPLACE on all five (Linux 5.x
 * and later).  Each runs on a fresh loop filesystem (root), so the answer
 * cannot depend on what /var/tmp happens to be. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "snapfork.h"
#include "testtree.h"

struct expect {
	const char *fs, *mkfs_opts, *name;
	uint64_t magic;
	int reflink; /* 0, or the errno FICLONE gives */
};

static const struct expect ext4 = { "ext4", "-q -F", "ext4", 0xEF53, EOPNOTSUPP };
static const struct expect xfs_reflink = { "xfs", "-q -f -m reflink=1", "xfs", 0x58465342, 0 };
static const struct expect xfs_noreflink = { "xfs", "-q -f -m reflink=0", "xfs", 0x58465342,
					     EOPNOTSUPP };
static const struct expect btrfs = { "btrfs", "-q -f", "btrfs", 0x9123683E, 0 };
static const struct expect tmpfs = { "tmpfs", NULL, "tmpfs", 0x01021994, EOPNOTSUPP };
/* A filesystem the probe has no name for: "unknown", its number given. */
static const struct expect ramfs = { "ramfs", NULL, "unknown", 0x858458f6, EOPNOTSUPP };

/* The names in dir, joined: what a probe must leave as it found it. */
static char *listing(const char *dir)
{
	char cmd[4200], *out = NULL;
	size_t len = 0;
	snprintf(cmd, sizeof cmd, "ls -A '%s'", dir);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	FILE *m = open_memstream(&out, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	pclose(f);
	fclose(m);
	return out;
}

/* A fresh filesystem for e (a loop image, or tmpfs or ramfs mounted here). */
struct place {
	const struct expect *e;
	char *mnt, *tmpdir;
	char why[256];
};

static int setup(void **state, const struct expect *e)
{
	struct place *p = calloc(1, sizeof *p);
	p->e = e;
	if (e->mkfs_opts) {
		p->mnt = tt_loopfs(e->fs, e->mkfs_opts, e->magic == 0x58465342 ? 300 : 160, p->why,
				   sizeof p->why);
	} else if (!tt_is_root()) {
		snprintf(p->why, sizeof p->why, "%s: mounting needs root", e->fs);
	} else {
		p->tmpdir = tt_scratch("probe-mem");
		if (mount("snapfork-test", p->tmpdir, e->fs, 0,
			  strcmp(e->fs, "tmpfs") ? NULL : "size=16m") == 0)
			p->mnt = p->tmpdir;
		else
			snprintf(p->why, sizeof p->why, "%s: mount: %s", e->fs, strerror(errno));
	}
	*state = p;
	return 0;
}

static int teardown(void **state)
{
	struct place *p = *state;
	if (p->tmpdir) {
		if (p->mnt)
			umount2(p->tmpdir, MNT_DETACH);
		tt_rm_rf(p->tmpdir);
		free(p->tmpdir);
	} else {
		tt_loopfs_release(p->mnt);
	}
	free(p);
	return 0;
}

#define SETUP(x)                                                                                   \
	static int setup_##x(void **state)                                                         \
	{                                                                                          \
		return setup(state, &x);                                                           \
	}
SETUP(ext4)
SETUP(xfs_reflink)
SETUP(xfs_noreflink)
SETUP(btrfs)
SETUP(tmpfs)
SETUP(ramfs)

/* A filesystem the probe has no name for (ramfs): "unknown", with the
 * number that says which. */
static void test_probe_unnamed_filesystem(void **state)
{
	struct place *pl = *state;
	if (!pl->mnt) {
		print_message("skip: %s\n", pl->why);
		skip();
	}
	struct snapfork_probe p = SNAPFORK_PROBE_INIT;
	assert_int_equal(snapfork_probe(pl->mnt, &p), 0);
	assert_string_equal(p.fstype, "unknown");
	assert_int_equal(p.fs_magic, pl->e->magic);
	assert_int_equal(p.hardlink, 0);
}

static void test_probe_reports_the_filesystem(void **state)
{
	struct place *pl = *state;
	if (!pl->mnt) {
		print_message("skip: %s\n", pl->why);
		skip();
	}
	const struct expect *e = pl->e;
	const char *dir = pl->mnt;
	tt_mkdir(dir, "here", 0755);
	tt_text(dir, "here/file", 0644, "already here: the probe's names are its own");
	char *before = listing(tt_p(dir, "here"));
	int fds = tt_open_fds();
	struct snapfork_probe p = SNAPFORK_PROBE_INIT;
	assert_int_equal(snapfork_probe(tt_p(dir, "here"), &p), 0);
	print_message("probe %s: %s hardlink=%d reflink=%d seek_hole=%d copy_range=%d "
		      "noreplace=%d link_max=%ld\n",
		      e->fs, p.fstype, p.hardlink, p.reflink, p.seek_hole, p.copy_range,
		      p.rename_noreplace, p.link_max);
	assert_string_equal(p.fstype, e->name);
	assert_int_equal(p.fs_magic, e->magic);
	struct statvfs sv;
	assert_int_equal(statvfs(dir, &sv), 0);
	assert_int_equal(p.alloc_unit, sv.f_frsize);
	assert_int_equal(p.hardlink, 0);
	assert_int_equal(p.reflink, e->reflink);
	assert_int_equal(p.seek_hole, 0);
	assert_int_equal(p.copy_range, 0);
	assert_int_equal(p.rename_noreplace, 0);
	assert_int_equal(p.link_max, pathconf(dir, _PC_LINK_MAX));
	assert_true(p.link_max > 1);
	/* It left nothing, touched nothing and closed what it opened. */
	char *after = listing(tt_p(dir, "here"));
	assert_string_equal(after, before);
	free(after);
	free(before);
	assert_int_equal(tt_open_fds(), fds);

	/* The at-form with a directory descriptor, as the path form. */
	int d = open(dir, O_RDONLY | O_DIRECTORY);
	struct snapfork_probe q = SNAPFORK_PROBE_INIT;
	assert_int_equal(snapfork_probe_at(d, "here", &q), 0);
	assert_string_equal(q.fstype, p.fstype);
	assert_int_equal(q.reflink, p.reflink);
	/* Not a directory, or missing: the errno, and nothing written. */
	struct snapfork_probe r = SNAPFORK_PROBE_INIT;
	r.link_max = 12345;
	assert_int_equal(snapfork_probe_at(d, "here/file", &r), -ENOTDIR);
	assert_int_equal(snapfork_probe_at(d, "nowhere", &r), -ENOENT);
	assert_int_equal(r.link_max, 12345);
	close(d);

	/* Read-only: the probe cannot make its scratch, says so, leaves nothing. */
	assert_int_equal(mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
	before = listing(dir);
	assert_int_equal(snapfork_probe(dir, &r), -EROFS);
	assert_int_equal(r.link_max, 12345);
	after = listing(dir);
	assert_string_equal(after, before);
	free(after);
	free(before);
	assert_int_equal(mount(NULL, dir, NULL, MS_REMOUNT, NULL), 0);
}

/* Wherever the tests run (no root needed): the magic and allocation unit
 * are statfs's, the name is "unknown" only for a magic outside the five. */
static void test_probe_here(void **state)
{
	const char *dir = *state;
	struct snapfork_probe p = SNAPFORK_PROBE_INIT;
	assert_int_equal(snapfork_probe(dir, &p), 0);
	struct statfs sf;
	struct statvfs sv;
	assert_int_equal(statfs(dir, &sf), 0);
	assert_int_equal(statvfs(dir, &sv), 0);
	assert_int_equal(p.fs_magic, (uint64_t)sf.f_type);
	assert_int_equal(p.alloc_unit, sv.f_frsize);
	const struct expect *all[] = { &ext4, &xfs_reflink, &btrfs, &tmpfs };
	const char *name = NULL;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		if (all[i]->magic == p.fs_magic)
			name = all[i]->name;
	if (name)
		assert_string_equal(p.fstype, name);
	assert_int_equal(p.hardlink, 0);
	assert_int_equal(tt_count_named(dir, "probe"), 0);
}

int main(void)
{
#define FS(x)                                                                                      \
	{                                                                                          \
		"probe on " #x, test_probe_reports_the_filesystem, setup_##x, teardown, NULL       \
	}
	const struct CMUnitTest tests[] = {
		FS(ext4),
		FS(xfs_reflink),
		FS(xfs_noreflink),
		FS(btrfs),
		FS(tmpfs),
		{ "probe on ramfs", test_probe_unnamed_filesystem, setup_ramfs, teardown, NULL },
		cmocka_unit_test_setup_teardown(test_probe_here, tt_scratch_setup,
						tt_scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
