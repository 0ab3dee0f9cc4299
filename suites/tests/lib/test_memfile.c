/* test_memfile.c - the mem-file lookup (ref/lib/memfile.c) against the
 * order the domain notes give (../shared/docs/domain.md, CONTRACT.md):
 * memory-ranges, memory, snapshots/snapshot-latest/memory-ranges, then
 * .../memory; raw before compressed, .zst before .lz4 for each; a
 * candidate behind a symlink, a non-regular one or a skipped one does not
 * count; names near the candidates (".zst", "memory.zst.lz4",
 * "memory-ranges2") are data.  sf_open_parent refuses empty and too long
 * components and never follows a symlink.  sf_memfile_materialize puts
 * the raw file beside the compressed one and looks again, and refuses a
 * compressed file swapped for a FIFO, a symlink or junk since the lookup.
 * sf_memfile_place links (falling back only for the contract's errnos,
 * never taking a symlink swapped in for the link) or decompresses into
 * the fork (linkat and ftruncate through --wrap). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "judge.h"
#include "testtree.h"
#include "wrapio.h"

/* linkat fails with link_err, or, link_to_symlink set, its new name is
 * swapped for a symlink to the same file just after (--wrap).  ftruncate
 * is wrapio's (the decompression's last step). */
static int link_err;
static const char *link_to_symlink;

/* Descriptor 0 is closed just before the open of this name (--wrap): the
 * open that follows gets it. */
static const char *close0_before;

int __real_openat(int dir, const char *name, int flags, ...);
int __wrap_openat(int dir, const char *name, int flags, ...);
int __wrap_openat(int dir, const char *name, int flags, ...)
{
	mode_t mode;
	TT_OPEN_MODE(flags, mode);
	if (close0_before && strcmp(name, close0_before) == 0) {
		close(0);
		close0_before = NULL;
	}
	return __real_openat(dir, name, flags, mode);
}

int __real_linkat(int od, const char *o, int nd, const char *n, int flags);
int __wrap_linkat(int od, const char *o, int nd, const char *n, int flags);
int __wrap_linkat(int od, const char *o, int nd, const char *n, int flags)
{
	if (link_err) {
		errno = link_err;
		return -1;
	}
	int r = __real_linkat(od, o, nd, n, flags);
	if (r == 0 && link_to_symlink) {
		if (unlinkat(nd, n, 0) < 0 || symlinkat(link_to_symlink, nd, n) < 0)
			abort();
		link_to_symlink = NULL;
	}
	return r;
}

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

/* A compressed-only snapshot at dir/name, its mem-file at rel (a .zst or
 * .lz4 of 1 MiB with data in its first 8 KiB); the raw bytes in
 * dir/name.orig to compare with. */
static void packed(const char *dir, const char *name, const char *rel)
{
	char root[4200], raw[256], orig[300];
	snprintf(root, sizeof root, "%s", tt_p(dir, name));
	tt_mkdir(dir, name, 0755);
	tt_mkdir(root, "snapshots", 0755);
	tt_mkdir(root, "snapshots/snapshot-latest", 0755);
	raw_of(rel, raw, sizeof raw);
	snprintf(orig, sizeof orig, "%s.orig", name);
	tt_file(dir, orig, 0640, 1 << 20, (struct tt_extent[]){ { 0, 8192, 7 } }, 1);
	tt_compress(dir, orig, "packed.tmp", strstr(rel, ".zst") != NULL);
	char to[4300];
	snprintf(to, sizeof to, "%s/%s", root, rel);
	assert_int_equal(rename(tt_p(dir, "packed.tmp"), to), 0);
	assert_int_equal(chmod(to, 0640), 0);
}

struct mat {
	int r;
	struct ctx c;
	struct snapfork_report rep;
};

/* find, then (between them, swap) sf_memfile_materialize; with close0,
 * descriptor 0 free for it (after the root's own open): 1, from its
 * start (its first open gets 0); 2, from the compressed file's open. */
static void materialize(const char *root, struct mat *m, void (*swap)(const char *root), int close0)
{
	memset(m, 0, sizeof *m);
	m->rep = (struct snapfork_report)SNAPFORK_REPORT_INIT;
	m->c.rep = &m->rep;
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sf_memfile_find(&m->c, fd), 0);
	assert_int_equal(m->c.mem.kind, SNAPFORK_KIND_COMPRESSED);
	if (swap)
		swap(root);
	int saved = -1;
	if (close0) {
		saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
		assert_true(saved >= 0);
		if (close0 == 1)
			close(0);
		else
			close0_before = strrchr(m->c.mem.rel, '/') ? strrchr(m->c.mem.rel, '/') + 1
								   : m->c.mem.rel;
	}
	alarm(20); /* a hang is a failure */
	m->r = sf_memfile_materialize(&m->c, fd);
	alarm(0);
	const char *not_opened = close0_before;
	close0_before = NULL;
	if (saved >= 0) {
		int open0 = fcntl(0, F_GETFD) >= 0;
		assert_int_equal(dup2(saved, 0), 0);
		close(saved);
		assert_null(not_opened); /* the open came */
		assert_false(open0); /* nothing of its own left on 0 */
	}
	assert_null(not_opened);
	close(fd);
}

static void mat_free(struct mat *m)
{
	free(m->c.mem.rel);
	free(m->c.mem.raw_rel);
}

/* Materialized: the raw file beside the compressed one, its bytes and
 * mode, nothing else left there; the lookup now finds the raw file (the
 * report says so).  Then a raw snapshot: nothing to do, nothing changed.
 * With descriptor 0 free the same. */
static void test_materialize(void **state)
{
	const char *dir = *state;
	static const char *const rels[] = { "memory.zst",
					    "snapshots/snapshot-latest/memory-ranges.lz4" };
	for (int k = 0; k < 6; k++) {
		char name[16], root[4200], raw[256], path[4600];
		snprintf(name, sizeof name, "snap%d", k);
		packed(dir, name, rels[k % 2]);
		snprintf(root, sizeof root, "%s", tt_p(dir, name));
		raw_of(rels[k % 2], raw, sizeof raw);
		struct mat m;
		struct tt_cloexec au;
		tt_cloexec_start(&au);
		tt_truncate_audit = &au;
		materialize(root, &m, NULL, k / 2); /* k 2..5: descriptor 0 free */
		tt_truncate_audit = NULL;
		if (au.leak[0])
			fail_msg("%s", au.leak);
		if (m.r != 0)
			fail_msg("%s: %d (%s)", rels[k % 2], m.r, m.rep.error_reason);
		assert_int_equal(m.c.mem.kind, SNAPFORK_KIND_RAW);
		assert_int_equal(m.rep.kind, SNAPFORK_KIND_RAW);
		assert_string_equal(m.c.mem.rel, raw);
		assert_string_equal(m.rep.mem_path, raw);
		assert_string_equal(m.rep.mem_source, ""); /* raw: no compressed source */
		assert_int_equal(m.rep.mem_size, 1 << 20);
		snprintf(path, sizeof path, "%s/%s", root, raw);
		char orig[300];
		snprintf(orig, sizeof orig, "%s.orig", name);
		int a = open(tt_p(dir, orig), O_RDONLY | O_CLOEXEC),
		    b = open(path, O_RDONLY | O_CLOEXEC);
		char msg[256] = "";
		if (judge_compare_content(a, b, 1 << 20, msg, sizeof msg) != 0)
			fail_msg("%s: %s", raw, msg);
		close(a);
		close(b);
		struct stat st;
		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0640);
		snprintf(path, sizeof path, "%s/%s", root, rels[k % 2]);
		assert_int_equal(stat(path, &st), 0);
		char *slash = strrchr(path, '/');
		*slash = 0;
		assert_int_equal(tt_count_named(path, "") - 2, k % 2 ? 2 : 3);
		assert_int_equal(tt_count_named(path, "snapfork"), 0);
		/* Raw now: nothing to do. */
		char *was = m.c.mem.rel;
		int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		assert_int_equal(sf_memfile_materialize(&m.c, fd), 0);
		close(fd);
		assert_ptr_equal(m.c.mem.rel, was);
		assert_int_equal(m.c.mem.kind, SNAPFORK_KIND_RAW);
		mat_free(&m);
	}
}

/* Materialized, and then the lookup finds nothing (here the skip list
 * hides both files, as if another process had taken them): memoryless,
 * and nothing of the compressed file's lookup kept: no names (a stale
 * pointer would be freed twice below), an empty mem_path and source. */
static void test_materialize_then_nothing_found(void **state)
{
	const char *dir = *state;
	packed(dir, "gone", "memory.zst");
	char root[4200];
	snprintf(root, sizeof root, "%s", tt_p(dir, "gone"));
	static const char *const hide[] = { "memory", "memory.zst", NULL };
	struct mat m;
	materialize(root, &m, NULL, 0);
	assert_int_equal(m.r, 0);
	assert_int_equal(m.c.mem.kind, SNAPFORK_KIND_RAW);
	mat_free(&m);
	/* Again from the compressed file, hidden once it is decompressed. */
	assert_int_equal(unlink(tt_p(root, "memory")), 0);
	memset(&m.c.mem, 0, sizeof m.c.mem);
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(sf_memfile_find(&m.c, fd), 0);
	assert_int_equal(m.c.mem.kind, SNAPFORK_KIND_COMPRESSED);
	m.c.skip = hide;
	assert_int_equal(sf_memfile_materialize(&m.c, fd), 0);
	close(fd);
	assert_int_equal(m.rep.kind, SNAPFORK_KIND_MEMORYLESS);
	assert_int_equal(m.c.mem.kind, SNAPFORK_KIND_MEMORYLESS);
	assert_null(m.c.mem.rel);
	assert_null(m.c.mem.raw_rel);
	assert_int_equal(m.c.mem.size, 0);
	assert_string_equal(m.rep.mem_source, "");
	assert_string_equal(m.rep.mem_path, "");
	assert_true(tt_exists(tt_p(root, "memory")));
	mat_free(&m);
}

static void to_fifo(const char *root)
{
	assert_int_equal(unlink(tt_p(root, "memory.zst")), 0);
	tt_fifo(root, "memory.zst");
}

static void to_symlink(const char *root)
{
	char to[4300];
	snprintf(to, sizeof to, "%s/memory.zst", root);
	assert_int_equal(rename(to, tt_p(root, "elsewhere.zst")), 0);
	tt_symlink(root, "memory.zst", "elsewhere.zst");
}

static void to_junk(const char *root)
{
	assert_int_equal(unlink(tt_p(root, "memory.zst")), 0);
	tt_text(root, "memory.zst", 0644, "not compressed\n");
}

/* The compressed file changed between the lookup and the decompression:
 * a FIFO (no hang: O_NONBLOCK), a symlink (not followed: ELOOP), or not
 * a stream at all (EBADMSG, negative: nothing to fall back to here).
 * Each fails said of SRC, and leaves no raw file and no temporary. */
static void test_materialize_refuses_a_swap(void **state)
{
	const char *dir = *state;
	static void (*const swaps[])(const char *) = { to_fifo, to_symlink, to_junk };
	static const char *const why[] = { "cannot start decompression",
					   "open compressed mem-file failed", "not a zstd stream" };
	static const int err[] = { -EBADMSG, -ELOOP, -EBADMSG };
	for (int k = 0; k < 3; k++) {
		char name[16], root[4200];
		snprintf(name, sizeof name, "swap%d", k);
		packed(dir, name, "memory.zst");
		snprintf(root, sizeof root, "%s", tt_p(dir, name));
		struct mat m;
		materialize(root, &m, swaps[k], 0);
		if (m.r != err[k])
			fail_msg("swap %d: %d (%s), not %d", k, m.r,
				 m.rep.error_reason ? m.rep.error_reason : "no reason", err[k]);
		assert_int_equal(m.rep.error_side, SNAPFORK_SIDE_SRC);
		assert_string_equal(m.rep.error_reason, why[k]);
		assert_false(tt_exists(tt_p(root, "memory")));
		assert_int_equal(tt_count_named(root, "memory.tmp"), 0);
		assert_int_equal(tt_count_named(root, "snapfork"), 0);
		mat_free(&m);
	}
}

struct placed {
	int r;
	enum snapfork_via via;
	int fallback;
	char why[128], path[SNAPFORK_REPORT_PATH];
};

/* find in root, swap (if given), then sf_memfile_place into root/../out
 * (made empty), as a fork does. */
static struct placed place(const char *root, void (*swap)(const char *root), unsigned flags)
{
	struct placed p = { 0 };
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	struct ctx c = { .rep = &rep };
	c.opt.flags = flags;
	char out[4300];
	snprintf(out, sizeof out, "%s.out", root);
	tt_rm_rf(out);
	assert_int_equal(mkdir(out, 0700), 0);
	int s = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int d = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(s >= 0 && d >= 0);
	assert_int_equal(sf_memfile_find(&c, s), 0);
	if (swap)
		swap(root);
	alarm(20); /* a hang is a failure */
	p.r = sf_memfile_place(&c, s, d);
	alarm(0);
	int e = sf_writeback_end(&c, p.r == 0);
	if (p.r == 0)
		p.r = e;
	p.via = rep.mem_via;
	p.fallback = rep.mem_fallback_errno;
	snprintf(p.why, sizeof p.why, "%s", rep.error_reason ? rep.error_reason : "");
	snprintf(p.path, sizeof p.path, "%s", rep.error_path);
	free(c.mem.rel);
	free(c.mem.raw_rel);
	free(c.buf);
	close(s);
	close(d);
	return p;
}

/* The link: refused for a reason the contract falls back on (EXDEV,
 * EPERM...): copied; failing otherwise (EIO): the fork fails, said of
 * SRC; the linked name swapped for a symlink to the same file before it
 * was checked: not the mem-file (ESTALE), never followed. */
static void test_place_link_answers(void **state)
{
	const char *dir = *state;
	tt_mkdir(dir, "snap", 0755);
	tt_file(tt_p(dir, "snap"), "memory", 0600, 1 << 20, (struct tt_extent[]){ { 0, 4096, 1 } },
		1);
	char root[4200], target[4300];
	snprintf(root, sizeof root, "%s", tt_p(dir, "snap"));
	snprintf(target, sizeof target, "%s/memory", root);
	link_err = EXDEV;
	struct placed p = place(root, NULL, 0);
	link_err = 0;
	assert_int_equal(p.r, 0);
	assert_int_not_equal(p.via, SNAPFORK_VIA_LINK);
	assert_int_equal(p.fallback, EXDEV);
	link_err = EIO;
	p = place(root, NULL, 0);
	link_err = 0;
	assert_int_equal(p.r, -EIO);
	assert_string_equal(p.why, "link failed");
	link_to_symlink = target;
	p = place(root, NULL, 0);
	assert_null(link_to_symlink);
	assert_int_equal(p.r, -ESTALE);
	assert_string_equal(p.why, "mem-file replaced during the fork");
}

static void zst_to_fifo(const char *root)
{
	assert_int_equal(unlink(tt_p(root, "memory-ranges.zst")), 0);
	tt_fifo(root, "memory-ranges.zst");
}

static void zst_to_symlink(const char *root)
{
	char to[4300];
	snprintf(to, sizeof to, "%s/memory-ranges.zst", root);
	assert_int_equal(rename(to, tt_p(root, "aside.zst")), 0);
	tt_symlink(root, "memory-ranges.zst", "aside.zst");
}

/* Decompressing into the fork: the compressed file swapped since the
 * lookup for a FIFO (no hang: the compressed copy stays the fork's
 * memory, a bad stream) or a symlink (not followed: ELOOP); a fatal
 * failure of the decompression (EFBIG at its ftruncate) fails the fork,
 * said of the raw file in DST. */
static void test_place_decompress_answers(void **state)
{
	const char *dir = *state;
	for (int k = 0; k < 3; k++) {
		char name[16], root[4200];
		snprintf(name, sizeof name, "d%d", k);
		packed(dir, name, "memory-ranges.zst");
		snprintf(root, sizeof root, "%s", tt_p(dir, name));
		if (k == 2)
			tt_truncate_err = EFBIG;
		struct placed p = place(root,
					k == 0   ? zst_to_fifo
					: k == 1 ? zst_to_symlink
						 : NULL,
					SNAPFORK_NO_WRITEBACK);
		tt_truncate_err = 0;
		if (k == 0) {
			assert_int_equal(p.r, 0);
			assert_int_equal(p.via, SNAPFORK_VIA_COMPRESSED_COPY);
			assert_int_equal(p.fallback, EBADMSG);
		} else if (k == 1) {
			assert_int_equal(p.r, -ELOOP);
			assert_string_equal(p.why, "open compressed mem-file failed");
		} else {
			assert_int_equal(p.r, -EFBIG);
			assert_string_equal(p.path, "memory-ranges");
		}
	}
}

/* A failed assertion leaves its test at once: the wrappers it armed
 * (some pointing into its stack) are disarmed here, not left to the next. */
static int teardown(void **state)
{
	alarm(0);
	link_err = 0;
	link_to_symlink = NULL;
	close0_before = NULL;
	tt_truncate_err = 0;
	tt_truncate_audit = NULL;
	return tt_scratch_teardown(state);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, tt_scratch_setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_candidates_in_order),
		T(test_what_does_not_count),
		T(test_near_names_are_data),
		T(test_open_parent),
		T(test_raw_name_taken),
		T(test_materialize),
		T(test_materialize_then_nothing_found),
		T(test_materialize_refuses_a_swap),
		T(test_place_link_answers),
		T(test_place_decompress_answers),
	};
	return cmocka_run_group_tests_name("mem-file lookup", tests, NULL, NULL);
}
