/* test_memfile.c - the mem-file lookup (ref/lib/memfile.c) against the
 * order the domain notes give (../shared/docs/domain.md, CONTRACT.md):
 * memory-ranges, memory, snapshots/snapshot-latest/memory-ranges, then
 * .../memory; raw before compressed, .zst before .lz4 for each; a
 * candidate behind a symlink, a non-regular one or a skipped one does not
 * count; names near the candidates (".zst", "memory.zst.lz4",
 * "memory-ranges2") are data.  sf_open_parent refuses empty and too long
 * components and never follows a symlink. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"

/* The order the lookup must take, written out here, not read from it. */
static const char *const order[] = {
	"memory-ranges",
	"memory",
	"snapshots/snapshot-latest/memory-ranges",
	"snapshots/snapshot-latest/memory",
	"memory-ranges.zst",
	"memory-ranges.lz4",
	"memory.zst",
	"memory.lz4",
	"snapshots/snapshot-latest/memory-ranges.zst",
	"snapshots/snapshot-latest/memory-ranges.lz4",
	"snapshots/snapshot-latest/memory.zst",
	"snapshots/snapshot-latest/memory.lz4",
};
#define NORDER (sizeof order / sizeof *order)

struct found {
	int r;
	enum snapfork_kind kind;
	char rel[128], raw[128];
	struct snapfork_report rep;
};

static struct found find(const char *root, const char *const *skip)
{
	struct found f = { .rep = SNAPFORK_REPORT_INIT };
	struct snapfork_report *rep = &f.rep;
	struct ctx c = { .rep = rep, .skip = skip };
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	f.r = sf_memfile_find(&c, fd);
	close(fd);
	f.kind = rep->kind;
	snprintf(f.rel, sizeof f.rel, "%s", c.mem.rel ? c.mem.rel : "");
	snprintf(f.raw, sizeof f.raw, "%s", c.mem.raw_rel ? c.mem.raw_rel : "");
	if (c.mem.rel)
		assert_int_equal(f.kind, c.mem.kind);
	free(c.mem.rel);
	free(c.mem.raw_rel);
	return f;
}

/* The raw name a candidate stands for: less .zst / .lz4. */
static void raw_of(const char *rel, char *out, size_t n)
{
	snprintf(out, n, "%s", rel);
	size_t l = strlen(out);
	if (l > 4 && (!strcmp(out + l - 4, ".zst") || !strcmp(out + l - 4, ".lz4")))
		out[l - 4] = 0;
}

/* With candidates k..end all present, k is found; removed in turn, the
 * next one is, to the end: memoryless. */
static void test_candidates_in_order(void **state)
{
	const char *dir = *state;
	tt_mkdir(dir, "snapshots", 0755);
	tt_mkdir(dir, "snapshots/snapshot-latest", 0755);
	for (size_t k = 0; k < NORDER; k++)
		tt_text(dir, order[k], 0600, "m\n");
	for (size_t k = 0; k < NORDER; k++) {
		struct found f = find(dir, NULL);
		char raw[128];
		raw_of(order[k], raw, sizeof raw);
		assert_int_equal(f.r, 0);
		if (strcmp(f.rel, order[k]) != 0)
			fail_msg("with %s and those after it: found \"%s\"", order[k], f.rel);
		assert_string_equal(f.raw, raw);
		assert_int_equal(f.kind, k < 4 ? SNAPFORK_KIND_RAW : SNAPFORK_KIND_COMPRESSED);
		/* The report: the raw path; the compressed source, or the size. */
		assert_string_equal(f.rep.mem_path, raw);
		assert_string_equal(f.rep.mem_source, k < 4 ? "" : order[k]);
		assert_int_equal(f.rep.mem_size, k < 4 ? 2 : 0);
		assert_int_equal(unlink(tt_p(dir, order[k])), 0);
	}
	struct found f = find(dir, NULL);
	assert_int_equal(f.kind, SNAPFORK_KIND_MEMORYLESS);
	assert_string_equal(f.rel, "");
}

/* A candidate that is a symlink (to a regular file), a directory, a FIFO,
 * or behind a symlinked directory, or skipped, is passed over. */
static void test_what_does_not_count(void **state)
{
	const char *dir = *state;
	tt_text(dir, "elsewhere", 0600, "m\n");
	tt_symlink(dir, "memory-ranges", "elsewhere");
	tt_mkdir(dir, "memory", 0755);
	tt_mkdir(dir, "real", 0755);
	tt_mkdir(dir, "real/snapshot-latest", 0755);
	tt_text(dir, "real/snapshot-latest/memory-ranges", 0600, "m\n");
	tt_symlink(dir, "snapshots", "real");
	tt_fifo(dir, "memory-ranges.zst");
	tt_text(dir, "memory.zst", 0600, "z\n");
	struct found f = find(dir, NULL);
	assert_string_equal(f.rel, "memory.zst");
	static const char *const skip[] = { "memory.zst", NULL };
	tt_text(dir, "memory.lz4", 0600, "z\n");
	f = find(dir, skip);
	assert_string_equal(f.rel, "memory.lz4");
}

/* Names near the candidates are data: a snapshot holding only them is
 * memoryless. */
static void test_near_names_are_data(void **state)
{
	const char *dir = *state;
	static const char *const near[] = {
		".zst",   ".lz4",        "memory.zst.lz4", "memory.lz4.zst",  "memory-ranges2",
		"Memory", "memory.zstd", "memory.tmp",     "memory-ranges.gz"
	};
	for (size_t i = 0; i < sizeof near / sizeof *near; i++)
		tt_text(dir, near[i], 0600, "d\n");
	tt_mkdir(dir, "snapshots", 0755);
	tt_text(dir, "snapshots/memory", 0600, "d\n");
	struct found f = find(dir, NULL);
	assert_int_equal(f.r, 0);
	if (f.kind != SNAPFORK_KIND_MEMORYLESS)
		fail_msg("a snapshot of near names only: found \"%s\"", f.rel);
}

/* sf_open_parent: the parent of rel, opened component by component
 * without following symlinks; an empty component or one of 256 bytes or
 * more is EINVAL; *base is the last component. */
static void test_open_parent(void **state)
{
	const char *dir = *state;
	char long_name[300];
	memset(long_name, 'n', 255);
	long_name[255] = 0;
	tt_mkdir(dir, long_name, 0755);
	tt_mkdir(dir, "a", 0755);
	tt_symlink(dir, "link", "a");
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(root >= 0);
	int fds = tt_open_fds();
	const char *base = NULL;
	char rel[600];
	snprintf(rel, sizeof rel, "%s/x", long_name);
	int fd = sf_open_parent(root, rel, &base);
	assert_true(fd >= 0);
	assert_string_equal(base, "x");
	close(fd);
	fd = sf_open_parent(root, "top", &base);
	assert_true(fd >= 0 && fd != root);
	assert_string_equal(base, "top");
	close(fd);
	snprintf(rel, sizeof rel, "%sn/x", long_name); /* a component of 256 bytes */
	assert_int_equal(sf_open_parent(root, rel, &base), -EINVAL);
	assert_int_equal(sf_open_parent(root, "a//x", &base), -EINVAL);
	assert_int_equal(sf_open_parent(root, "/a/x", &base), -EINVAL);
	assert_int_equal(sf_open_parent(root, "link/x", &base), -ENOTDIR);
	assert_int_equal(sf_open_parent(root, "missing/x", &base), -ENOENT);
	assert_int_equal(tt_open_fds(), fds);
	close(root);
}

/* A compressed-only snapshot whose raw name is a symlink (dangling here)
 * or a directory: nowhere to decompress to, so the fork keeps the
 * compressed copy (CONTRACT.md F9), the entry copied as it is. */
static void test_raw_name_taken(void **state)
{
	const char *dir = *state;
	tt_mkdir(dir, "snap", 0755);
	tt_file(tt_p(dir, "snap"), "raw", 0600, 1 << 20, (struct tt_extent[]){ { 0, 4096, 1 } }, 1);
	tt_compress(tt_p(dir, "snap"), "raw", "memory.zst", 1);
	assert_int_equal(unlink(tt_p(dir, "snap/raw")), 0);
	for (int k = 0; k < 2; k++) {
		if (k == 0)
			tt_symlink(dir, "snap/memory", "nowhere");
		else
			tt_mkdir(dir, "snap/memory", 0755);
		char src[4200], dst[4200];
		snprintf(src, sizeof src, "%s", tt_p(dir, "snap"));
		snprintf(dst, sizeof dst, "%s/fork%d", dir, k);
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		if (snapfork_fork(src, dst, NULL, &rep) != 0)
			fail_msg("raw name a %s: %s (%s)", k ? "directory" : "symlink",
				 strerrorname_np(-rep.error), rep.error_reason);
		assert_int_equal(rep.mem_via, SNAPFORK_VIA_COMPRESSED_COPY);
		assert_int_equal(rep.mem_fallback_errno, EEXIST);
		struct stat st;
		assert_int_equal(lstat(tt_p(dst, "memory"), &st), 0);
		assert_true(k ? S_ISDIR(st.st_mode) : S_ISLNK(st.st_mode));
		if (k == 0)
			assert_int_equal(unlink(tt_p(dir, "snap/memory")), 0);
	}
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, tt_scratch_setup, tt_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_candidates_in_order), T(test_what_does_not_count),
		T(test_near_names_are_data), T(test_open_parent),
		T(test_raw_name_taken),
	};
	return cmocka_run_group_tests_name("mem-file lookup", tests, NULL, NULL);
}
