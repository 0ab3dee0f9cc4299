/* test_verify.c - the checker catches hand-broken forks and names the
 * rule, so a pass means something.  Each case forks a good snapshot with
 * the reference library, breaks the fork one way, and expects exactly the
 * rule that break violates. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"
#include "testtree.h"
#include "snapfork.h"

static int setup(void **state)
{
	tt_place_setup(state, "verify");
	struct tt_place *t = *state;
	tt_snapshot(t->src, "memory-ranges", (off_t)256 << 20);
	tt_mkdir(t->src, "a", 0755);
	tt_mkdir(t->src, "a/logs", 0755);
	tt_text(t->src, "a/logs/app.log", 0644, "nested logs are data");
	tt_file(t->src, "disk.raw", 0644, 32 << 20, (struct tt_extent[]){ { 1 << 20, 8192, 7 } },
		 1);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->src, t->dst, NULL, &rep), 0);
	return 0;
}

/* The checker must fail exactly `rule` and mention `path`. */
static void expect_rule(struct tt_place *t, int rule, const char *path)
{
	struct judge_result res = { 0 };
	char err[256];
	assert_int_equal(judge_verify(t->src, t->dst, NULL, &res, err, sizeof err), 0);
	if (res.failed != 1u << rule) {
		for (size_t i = 0; i < res.n; i++)
			print_error("%s %s: %s\n", res.v[i].rule, res.v[i].path, res.v[i].what);
		fail_msg("expected exactly F%d to fail, failed mask 0x%x", rule, res.failed);
	}
	int named = 0;
	for (size_t i = 0; i < res.n; i++)
		named |= strcmp(res.v[i].path, path) == 0;
	if (!named)
		fail_msg("F%d violation does not name %s", rule, path);
	judge_result_free(&res);
}

static void test_good_fork_passes(void **state)
{
	struct tt_place *t = tt_place(state);
	struct judge_result res = { 0 };
	char err[256];
	assert_int_equal(judge_verify(t->src, t->dst, NULL, &res, err, sizeof err), 0);
	assert_int_equal(res.failed, 0);
	assert_true(res.checked & (1u << 4));
	judge_result_free(&res);
}

static void test_F1_missing_entry(void **state)
{
	struct tt_place *t = tt_place(state);
	assert_int_equal(unlink(tt_p(t->dst, "a/logs/app.log")), 0);
	expect_rule(t, 1, "a/logs/app.log");
}

static void test_F1_skipped_entry_copied(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_mkdir(t->dst, "logs", 0755);
	expect_rule(t, 1, "logs");
}

static void test_F1_extra_entry(void **state)
{
	struct tt_place *t = tt_place(state);
	tt_text(t->dst, "stray", 0644, "not in the snapshot");
	expect_rule(t, 1, "stray");
}

static void test_F1_type_changed(void **state)
{
	struct tt_place *t = tt_place(state);
	assert_int_equal(unlink(tt_p(t->dst, "current")), 0);
	tt_text(t->dst, "current", 0644, "{}");
	expect_rule(t, 1, "current");
}

static void test_F2_mode_changed(void **state)
{
	struct tt_place *t = tt_place(state);
	assert_int_equal(chmod(tt_p(t->dst, "config.json"), 0644), 0);
	expect_rule(t, 2, "config.json");
}

static void test_F2_dir_mode_changed(void **state)
{
	struct tt_place *t = tt_place(state);
	assert_int_equal(chmod(tt_p(t->dst, "snapshots/snapshot-latest"), 0755), 0);
	expect_rule(t, 2, "snapshots/snapshot-latest");
}

static void test_F2_content_changed(void **state)
{
	struct tt_place *t = tt_place(state);
	int fd = open(tt_p(t->dst, "disk.raw"), O_WRONLY);
	assert_int_equal(pwrite(fd, "Z", 1, (1 << 20) + 100), 1);
	close(fd);
	expect_rule(t, 2, "disk.raw");
}

static void test_F2_symlink_target_changed(void **state)
{
	struct tt_place *t = tt_place(state);
	assert_int_equal(unlink(tt_p(t->dst, "current")), 0);
	tt_symlink(t->dst, "current", "./config.json");
	expect_rule(t, 2, "current");
}

static void test_F3_copied_file_hardlinked(void **state)
{
	struct tt_place *t = tt_place(state);
	assert_int_equal(unlink(tt_p(t->dst, "state.json")), 0);
	assert_int_equal(link(tt_p(t->src, "state.json"), tt_p(t->dst, "state.json")), 0);
	expect_rule(t, 3, "state.json");
}

static void test_F4_mem_file_copied_not_linked(void **state)
{
	struct tt_place *t = tt_place(state);
	assert_int_equal(unlink(tt_p(t->dst, "memory-ranges")), 0);
	int s = open(tt_p(t->src, "memory-ranges"), O_RDONLY);
	int d = open(tt_p(t->dst, "memory-ranges"), O_WRONLY | O_CREAT, 0600);
	struct stat st;
	assert_int_equal(fstat(s, &st), 0);
	assert_int_equal(ftruncate(d, st.st_size), 0);
	for (off_t off = 0; (off = lseek(s, off, SEEK_DATA)) >= 0;) {
		off_t end = lseek(s, off, SEEK_HOLE);
		char buf[65536];
		while (off < end) {
			ssize_t n = pread(s, buf,
					  sizeof buf < (size_t)(end - off) ? sizeof buf
									   : (size_t)(end - off),
					  off);
			assert_true(n > 0);
			assert_int_equal(pwrite(d, buf, (size_t)n, off), n);
			off += n;
		}
	}
	close(s);
	close(d);
	expect_rule(t, 4, "memory-ranges");
}

static void test_F5_hole_filled(void **state)
{
	struct tt_place *t = tt_place(state);
	/* Same bytes, but the hole at [0, 1 MiB) written out as zeros. */
	int fd = open(tt_p(t->dst, "disk.raw"), O_WRONLY);
	char *zero = calloc(1, 1 << 20);
	assert_int_equal(pwrite(fd, zero, 1 << 20, 0), 1 << 20);
	free(zero);
	close(fd);
	expect_rule(t, 5, "disk.raw");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, tt_place_teardown)
	const struct CMUnitTest tests[] = {
		T(test_good_fork_passes),
		T(test_F1_missing_entry),
		T(test_F1_skipped_entry_copied),
		T(test_F1_extra_entry),
		T(test_F1_type_changed),
		T(test_F2_mode_changed),
		T(test_F2_dir_mode_changed),
		T(test_F2_content_changed),
		T(test_F2_symlink_target_changed),
		T(test_F3_copied_file_hardlinked),
		T(test_F4_mem_file_copied_not_linked),
		T(test_F5_hole_filled),
	};
	return cmocka_run_group_tests_name("checker catches broken forks", tests, NULL, NULL);
}
