/* test_fixtures.c - every bundled fixture extracts with its holes, modes
 * and sockets, matches its manifest, and forks correctly; hostile
 * archives are refused with nothing written outside the target. */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge.h"
#include "fixture.h"
#include "testtree.h"
#include "snapfork.h"
#include "tarcraft.h"

/* SHA-256 of a file's bytes, or of its decompressed stream. */
static void sha256_of(const char *path, int decompress, char out[65])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	if (decompress) {
		struct archive *a = archive_read_new();
		archive_read_support_filter_all(a);
		archive_read_support_format_raw(a);
		struct archive_entry *e;
		assert_int_equal(archive_read_open_filename(a, path, 1 << 16), ARCHIVE_OK);
		assert_int_equal(archive_read_next_header(a, &e), ARCHIVE_OK);
		static char buf[1 << 16];
		la_ssize_t n;
		while ((n = archive_read_data(a, buf, sizeof buf)) > 0)
			EVP_DigestUpdate(md, buf, (size_t)n);
		assert_int_equal(n, 0);
		archive_read_free(a);
	} else {
		int fd = open(path, O_RDONLY);
		assert_true(fd >= 0);
		static char buf[1 << 20];
		ssize_t n;
		while ((n = read(fd, buf, sizeof buf)) > 0)
			EVP_DigestUpdate(md, buf, (size_t)n);
		close(fd);
	}
	unsigned char d[32];
	EVP_DigestFinal_ex(md, d, NULL);
	EVP_MD_CTX_free(md);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static int in_list(char **v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

/* The checker's own reading of the contract agrees with the manifest's
 * hand-written expectations: two independent derivations, one answer. */
static void expectations_agree(const char *src, const struct fixture *f)
{
	struct judge_tree t;
	struct judge_expect x;
	char err[512];
	assert_int_equal(judge_tree_load(src, &t, err, sizeof err), 0);
	assert_int_equal(judge_expect(&t, NULL, &x), 0);
	size_t top_skipped = 0;
	for (size_t i = 0; i < t.n; i++) {
		const char *rel = t.e[i].rel;
		const char *slash = strrchr(rel, '/');
		int parent_kept = 1;
		if (slash) {
			char *parent = strndup(rel, (size_t)(slash - rel));
			const struct judge_entry *p = judge_tree_find(&t, parent);
			parent_kept = p && x.keep[p - t.e];
			free(parent);
		}
		if (parent_kept && !x.keep[i]) {
			top_skipped++;
			if (!in_list(f->skipped, rel))
				fail_msg("%s: checker skips %s, the manifest does not", f->name,
					 rel);
		}
	}
	for (char **s = f->skipped; *s; s++)
		if (!judge_tree_find(&t, *s))
			fail_msg("%s: manifest skips %s, which is not in the tree", f->name, *s);
	assert_int_equal(top_skipped, x.skipped);
	if (f->mem_file && x.kind != JUDGE_MEMORYLESS)
		assert_string_equal(x.raw_rel, f->mem_file);
	else
		assert_true(!f->mem_file && x.kind == JUDGE_MEMORYLESS);
	judge_expect_free(&x);
	judge_tree_free(&t);
}

static void test_fixture(void **state)
{
	const struct fixture *f = *state;
	char *dir = tt_scratch("fixture");
	char src[4200], dst[4200], err[1024];
	snprintf(src, sizeof src, "%s/snap", dir);
	snprintf(dst, sizeof dst, "%s/fork", dir);
	if (fixture_extract(f->tar, src, f->sockets, err, sizeof err) < 0)
		fail_msg("%s: %s", f->name, err);
	/* Sockets are bound; modes and holes survived. */
	for (char **s = f->sockets; *s; s++) {
		struct stat st;
		assert_int_equal(lstat(tt_p(src, *s), &st), 0);
		assert_true(S_ISSOCK(st.st_mode));
	}
	const char *mem = f->compressed_mem_file ? f->compressed_mem_file : f->mem_file;
	if (mem) {
		struct stat st;
		assert_int_equal(lstat(tt_p(src, mem), &st), 0);
		char sha[65];
		sha256_of(tt_p(src, mem), f->compressed_mem_file != NULL, sha);
		assert_string_equal(sha, f->mem_sha256);
		if (!f->compressed_mem_file) {
			assert_int_equal((uint64_t)st.st_size, f->mem_apparent_size);
			/* Holes: allocation near the data, far below the size. */
			assert_true((uint64_t)st.st_blocks * 512 < f->mem_data_bytes + (1 << 20));
			print_message("%-16s mem-file %s: %llu bytes apparent, %llu allocated\n",
				      f->name, mem, (unsigned long long)st.st_size,
				      (unsigned long long)st.st_blocks * 512);
		}
	}
	expectations_agree(src, f);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(src, dst, NULL, &rep);
	if (r < 0)
		fail_msg("%s: fork: %s: %s", f->name, rep.error_path, rep.error_reason);
	tt_verify_ok(src, dst, NULL);
	for (char **s = f->shared_inode; *s; s++) {
		struct stat a, b;
		assert_int_equal(lstat(tt_p(src, *s), &a), 0);
		assert_int_equal(lstat(tt_p(dst, *s), &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);
	}
	size_t nskip = 0;
	while (f->skipped[nskip])
		nskip++;
	assert_int_equal(rep.skipped, nskip);
	tt_rm_rf(dir);
	free(dir);
}

/* ---- hostile archives ---- */

struct hostile {
	char *dir; /* holds outside/sentinel, the tar and the target */
	char tar[4200], target[4200], sentinel[4200];
};

static int hostile_setup(void **state)
{
	struct hostile *h = calloc(1, sizeof *h);
	h->dir = tt_scratch("hostile");
	snprintf(h->tar, sizeof h->tar, "%s/evil.tar", h->dir);
	snprintf(h->target, sizeof h->target, "%s/out/target", h->dir);
	snprintf(h->sentinel, sizeof h->sentinel, "%s/out/sentinel", h->dir);
	tt_mkdir(h->dir, "out", 0755);
	tt_text(h->dir, "out/sentinel", 0644, "untouched");
	*state = h;
	return 0;
}

static int hostile_teardown(void **state)
{
	struct hostile *h = *state;
	tt_rm_rf(h->dir);
	free(h->dir);
	free(h);
	return 0;
}

/* Extraction must fail, name why, and leave only what was there. */
static void refused(struct hostile *h, const char *want)
{
	char err[1024] = "";
	int r = fixture_extract(h->tar, h->target, NULL, err, sizeof err);
	if (r >= 0)
		fail_msg("a hostile archive was extracted (expected: %s)", want);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not say \"%s\"", err, want);
	assert_false(tt_exists(h->target));
	/* out/ holds ".", ".." and the sentinel: no staging directory left. */
	assert_int_equal(tt_count_named(tt_p(h->dir, "out"), ""), 3);
}

static void craft(struct hostile *h, void (*fill)(struct tt_tar *))
{
	struct tt_tar t;
	assert_int_equal(tt_tar_open(&t, h->tar), 0);
	fill(&t);
	assert_int_equal(tt_tar_close(&t), 0);
}

static void untouched(struct hostile *h)
{
	int fd = open(h->sentinel, O_RDONLY);
	char buf[32] = "";
	assert_true(read(fd, buf, sizeof buf) == 9);
	close(fd);
	assert_memory_equal(buf, "untouched", 9);
	assert_false(tt_exists(tt_p(h->dir, "escaped")));
	assert_false(tt_exists(tt_p(h->dir, "out/escaped")));
}

static void dotdot(struct tt_tar *t)
{
	tt_tar_entry(t, "ok", '0', 0644, NULL, "x", 1, NULL);
	tt_tar_entry(t, "../escaped", '0', 0644, NULL, "x", 1, NULL);
}

static void test_refuses_dotdot(void **state)
{
	struct hostile *h = *state;
	craft(h, dotdot);
	refused(h, "\"..\"");
	untouched(h);
}

/* A name of this process's own: two runs at once (ctest -j, mutation
 * workers) must not see each other's escape. */
static char escaped[64];

static void absolute_path(struct tt_tar *t)
{
	snprintf(escaped, sizeof(escaped), "/tmp/snapfork-escaped-absolute.%ld", (long)getpid());
	tt_tar_entry(t, escaped, '0', 0644, NULL, "x", 1, NULL);
}

static void test_refuses_absolute_paths(void **state)
{
	struct hostile *h = *state;
	craft(h, absolute_path);
	refused(h, "absolute");
	assert_false(tt_exists(escaped));
}

static void symlink_then_write(struct tt_tar *t)
{
	tt_tar_entry(t, "up", '2', 0777, "..", NULL, 0, NULL);
	tt_tar_entry(t, "up/escaped", '0', 0644, NULL, "x", 1, NULL);
}

static void test_refuses_writing_through_a_symlink(void **state)
{
	struct hostile *h = *state;
	craft(h, symlink_then_write);
	refused(h, "up/escaped");
	untouched(h);
}

static void symlink_abs_then_write(struct tt_tar *t)
{
	tt_tar_entry(t, "etc", '2', 0777, "/etc", NULL, 0, NULL);
	tt_tar_entry(t, "etc/snapfork-escaped", '0', 0644, NULL, "x", 1, NULL);
}

static void test_refuses_writing_through_an_absolute_symlink(void **state)
{
	struct hostile *h = *state;
	craft(h, symlink_abs_then_write);
	refused(h, "etc/snapfork-escaped");
	assert_false(tt_exists("/etc/snapfork-escaped"));
}

static void hardlink_out(struct tt_tar *t)
{
	tt_tar_entry(t, "h", '1', 0644, "../sentinel", NULL, 0, NULL);
}

static void hardlink_abs(struct tt_tar *t)
{
	tt_tar_entry(t, "h", '1', 0644, "/etc/hostname", NULL, 0, NULL);
}

static void test_refuses_hardlinks_out_of_the_tree(void **state)
{
	struct hostile *h = *state;
	craft(h, hardlink_out);
	refused(h, "hardlink points outside");
	craft(h, hardlink_abs);
	refused(h, "hardlink points outside");
	untouched(h);
}

/* A GNU sparse 1.0 entry (what libarchive and GNU tar write in pax): the
 * map is text at the start of the data, padded to 512 bytes. */
static void sparse10(struct tt_tar *t, const char *map, const char *realsize, size_t data)
{
	char block[512 + 64] = { 0 }, pax[256];
	size_t n = (size_t)snprintf(block, sizeof block, "%s", map);
	memset(block + 512, 'd', data);
	snprintf(pax, sizeof pax,
		 "GNU.sparse.major=1\nGNU.sparse.minor=0\nGNU.sparse.name=mem\n"
		 "GNU.sparse.realsize=%s",
		 realsize);
	(void)n;
	tt_tar_entry(t, "GNUSparseFile.0/mem", '0', 0644, NULL, block, 512 + data, pax);
}

static void sparse_overlap(struct tt_tar *t)
{
	sparse10(t, "2\n0\n10\n5\n10\n", "100", 20);
}

static void sparse_past_end(struct tt_tar *t)
{
	sparse10(t, "1\n1000000\n10\n", "100", 10);
}

static void sparse_huge(struct tt_tar *t)
{
	sparse10(t, "1\n0\n10\n", "99999999999999999", 10);
}

static void sparse_many(struct tt_tar *t)
{
	sparse10(t, "99999999\n0\n1\n", "100", 1);
}

static void sparse_ok(struct tt_tar *t)
{
	sparse10(t, "2\n0\n10\n50\n10\n", "100", 20);
}

static void test_refuses_absurd_sparse_maps(void **state)
{
	struct hostile *h = *state;
	/* The control first: the crafting is right, a sane map extracts. */
	craft(h, sparse_ok);
	char err[1024] = "";
	if (fixture_extract(h->tar, h->target, NULL, err, sizeof err) < 0)
		fail_msg("a sane sparse 1.0 entry was refused: %s", err);
	struct stat st;
	assert_int_equal(stat(tt_p(h->target, "mem"), &st), 0);
	assert_int_equal(st.st_size, 100);
	tt_rm_rf(h->target);
	void (*cases[])(struct tt_tar *) = { sparse_overlap, sparse_past_end, sparse_huge,
					 sparse_many };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		craft(h, cases[i]);
		int r = fixture_extract(h->tar, h->target, NULL, err, sizeof err);
		if (r >= 0)
			fail_msg("absurd sparse map %zu was extracted", i);
		print_message("absurd sparse map %zu refused: %s\n", i, err);
		assert_false(tt_exists(h->target));
	}
	untouched(h);
}

static void test_refuses_truncated_archive(void **state)
{
	struct hostile *h = *state;
	struct fixture f;
	char err[1024];
	assert_int_equal(fixture_resolve("ch-raw", &f, err, sizeof err), 0);
	struct stat st;
	assert_int_equal(stat(f.tar, &st), 0);
	/* The first half of a real fixture: ends inside an entry's data. */
	int in = open(f.tar, O_RDONLY), out = open(h->tar, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char *buf = malloc((size_t)st.st_size / 2);
	assert_int_equal(read(in, buf, (size_t)st.st_size / 2), st.st_size / 2);
	assert_int_equal(write(out, buf, (size_t)st.st_size / 2), st.st_size / 2);
	free(buf);
	close(in);
	close(out);
	fixture_free(&f);
	refused(h, "runcated");
	untouched(h);
}

static void test_existing_target_refused(void **state)
{
	struct hostile *h = *state;
	craft(h, absolute_path);
	char err[1024];
	assert_int_equal(fixture_extract(h->tar, tt_p(h->dir, "out"), NULL, err, sizeof err), -EEXIST);
	assert_non_null(strstr(err, "already exists"));
	untouched(h);
}

int main(void)
{
	struct fixture *fx;
	size_t n;
	char err[1024];
	if (fixture_list(&fx, &n, err, sizeof err) < 0 || n < 8) {
		fprintf(stderr, "cannot list the bundled fixtures: %s\n",
			n < 8 ? "fewer than 8" : err);
		return 1;
	}
	struct CMUnitTest *tests = calloc(n, sizeof *tests);
	for (size_t i = 0; i < n; i++) {
		tests[i].name = fx[i].name;
		tests[i].test_func = test_fixture;
		tests[i].initial_state = &fx[i];
	}
	int failed = _cmocka_run_group_tests("bundled fixtures", tests, n, NULL, NULL);
	const struct CMUnitTest hostile[] = {
#define H(f) cmocka_unit_test_setup_teardown(f, hostile_setup, hostile_teardown)
		H(test_refuses_dotdot),
		H(test_refuses_absolute_paths),
		H(test_refuses_writing_through_a_symlink),
		H(test_refuses_writing_through_an_absolute_symlink),
		H(test_refuses_hardlinks_out_of_the_tree),
		H(test_refuses_absurd_sparse_maps),
		H(test_refuses_truncated_archive),
		H(test_existing_target_refused),
	};
	failed += cmocka_run_group_tests_name("hostile archives", hostile, NULL, NULL);
	free(tests);
	fixture_list_free(fx, n);
	return failed;
}
