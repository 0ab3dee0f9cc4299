/* test_properties.c - the contract's properties on every bundled fixture,
 * through the same checks `snapfork check` runs, plus the kernel
 * behaviour the contract leans on: a negative control for F7, the
 * hazards of a shared inode, and unshare. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge.h"
#include "conform.h"
#include "fixture.h"
#include "testtree.h"
#include "snapfork.h"

static int fork_ref(void *ctx, const char *src, const char *dst, char *msg, size_t len)
{
	(void)ctx;
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(src, dst, NULL, &rep);
	if (r < 0)
		snprintf(msg, len, "%s: %s", rep.error_path, strerror(-r));
	return r;
}

/* F1-F12 on one fixture: every MUST cell passes; SHOULD and skips are
 * printed with their reasons. */
static void test_F1_to_F12_on_fixture(void **state)
{
	const struct fixture *f = *state;
	char *scratch = tt_scratch("props");
	struct conform_setup c = { .scratch = scratch, .fork = fork_ref };
	struct conform_row row;
	char err[1024];
	if (conform_fixture(&c, f, &row, err, sizeof err) < 0)
		fail_msg("%s: setup: %s", f->name, err);
	int failed = 0;
	for (int rule = 1; rule <= JUDGE_RULES; rule++) {
		const char *d = row.detail[rule] ? row.detail[rule] : "";
		if (row.cell[rule] == CONFORM_FAIL && !judge_rule_is_should(rule)) {
			print_error("%s F%d: %s\n", f->name, rule, d);
			failed = 1;
		} else if (row.cell[rule] == CONFORM_FAIL || row.cell[rule] == CONFORM_SKIP) {
			print_message("note: %s F%d %s: %s\n", f->name, rule,
				      row.cell[rule] == CONFORM_SKIP ? "skipped" : "SHOULD not met", d);
		}
	}
	if (row.kept)
		tt_rm_rf(row.kept);
	conform_row_free(&row);
	tt_rm_rf(scratch);
	free(scratch);
	assert_false(failed);
}

static void test_F13_refusal_leaves_nothing(void **state)
{
	(void)state;
	struct fixture f;
	char err[1024];
	assert_int_equal(fixture_resolve("ch-raw", &f, err, sizeof err), 0);
	char *scratch = tt_scratch("props");
	struct conform_setup c = { .scratch = scratch, .fork = fork_ref };
	struct conform_row row;
	assert_int_equal(conform_refusal(&c, &f, &row, err, sizeof err), 0);
	if (row.cell[13] != CONFORM_PASS || row.cell[6] != CONFORM_PASS)
		fail_msg("F13/F6: %s %s", row.detail[13] ? row.detail[13] : "",
			 row.detail[6] ? row.detail[6] : "");
	conform_row_free(&row);
	fixture_free(&f);
	tt_rm_rf(scratch);
	free(scratch);
}

/* A snapshot from a fixture and two forks of it, for the tests below. */
struct two_forks {
	char *dir;
	char snap[4200], mem[4300], fork1[4200], mem1[4300], fork2[4200], mem2[4300];
};

static int setup_two_forks(void **state)
{
	struct two_forks *t = calloc(1, sizeof *t);
	struct fixture f;
	char err[1024];
	t->dir = tt_scratch("props");
	snprintf(t->snap, sizeof t->snap, "%s/snap", t->dir);
	snprintf(t->fork1, sizeof t->fork1, "%s/fork1", t->dir);
	snprintf(t->fork2, sizeof t->fork2, "%s/fork2", t->dir);
	if (fixture_resolve("qemu-raw", &f, err, sizeof err) < 0 ||
	    fixture_extract(f.tar, t->snap, f.sockets, err, sizeof err) < 0)
		fail_msg("%s", err);
	snprintf(t->mem, sizeof t->mem, "%s/%s", t->snap, f.mem_file);
	snprintf(t->mem1, sizeof t->mem1, "%s/%s", t->fork1, f.mem_file);
	snprintf(t->mem2, sizeof t->mem2, "%s/%s", t->fork2, f.mem_file);
	fixture_free(&f);
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	assert_int_equal(snapfork_fork(t->snap, t->fork1, NULL, &rep), 0);
	assert_int_equal(snapfork_fork(t->snap, t->fork2, NULL, &rep), 0);
	*state = t;
	return 0;
}

static int teardown_two_forks(void **state)
{
	struct two_forks *t = *state;
	tt_rm_rf(t->dir);
	free(t->dir);
	free(t);
	return 0;
}

static void test_F4_many_forks_raise_nlink_by_one_each(void **state)
{
	struct two_forks *t = *state;
	struct stat s, a, b;
	assert_int_equal(stat(t->mem, &s), 0);
	assert_int_equal(stat(t->mem1, &a), 0);
	assert_int_equal(stat(t->mem2, &b), 0);
	assert_int_equal(s.st_nlink, 3);
	assert_true(s.st_ino == a.st_ino && a.st_ino == b.st_ino && s.st_dev == b.st_dev);
}

static void test_F7_map_private_writes_stay_private(void **state)
{
	struct two_forks *t = *state;
	struct judge_result res = { 0 };
	judge_map_private(t->mem1, t->mem, t->mem2, &res);
	for (size_t i = 0; i < res.n; i++)
		print_error("%s %s: %s\n", res.v[i].rule, res.v[i].path, res.v[i].what);
	assert_int_equal(res.failed, 0);
	assert_true(res.checked & (1u << 7));
	judge_result_free(&res);
	/* And through the check's own probe: private writes never reach. */
	assert_int_equal(judge_map_writes_reach_file(t->mem1, MAP_PRIVATE), 0);
}

/* The negative control: the same writes through MAP_SHARED on a scratch
 * copy are seen, so the F7 check is able to fail. */
static void test_F7_negative_control_map_shared_is_seen(void **state)
{
	struct two_forks *t = *state;
	char copy[8192];
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	char cdir[4300];
	snprintf(cdir, sizeof cdir, "%s/copy", t->dir);
	struct snapfork_options o = { .size = sizeof o, .flags = SNAPFORK_NO_LINK };
	assert_int_equal(snapfork_fork(t->fork1, cdir, &o, &rep), 0);
	snprintf(copy, sizeof copy, "%s/%s", cdir, rep.mem_path);
	assert_int_equal(judge_map_writes_reach_file(copy, MAP_SHARED), 1);
	/* ...and the F7 check flags exactly such a file: MAP_SHARED writes
	 * made it differ from the snapshot the check compares against. */
	struct judge_result res = { 0 };
	judge_map_private(copy, t->mem, NULL, &res);
	assert_true(res.failed & (1u << 7));
	judge_result_free(&res);
}

static void test_F8_delete_snapshot_under_a_mapping(void **state)
{
	struct two_forks *t = *state;
	struct judge_result res = { 0 };
	judge_delete_snapshot(t->snap, t->mem1, &res);
	for (size_t i = 0; i < res.n; i++)
		print_error("%s %s: %s\n", res.v[i].rule, res.v[i].path, res.v[i].what);
	assert_int_equal(res.failed, 0);
	assert_false(tt_exists(t->snap));
	struct stat st;
	assert_int_equal(stat(t->mem1, &st), 0);
	assert_int_equal(st.st_nlink, 2); /* fork1 and fork2 */
	judge_result_free(&res);
}

static void test_F12_page_cache_is_shared(void **state)
{
	struct two_forks *t = *state;
	struct judge_result res = { 0 };
	judge_page_cache(t->mem1, t->mem2, NULL, &res);
	if (res.skipped & (1u << 12))
		print_message("note: F12 not observable here: %s\n", res.skip_reason[12]);
	assert_int_equal(res.failed, 0);
	judge_result_free(&res);
}

/* Hazard: a plain write to the shared file is seen by the snapshot and
 * every fork; this is why the mem-file must never be written in place. */
static void test_hazard_write_to_shared_file_reaches_everyone(void **state)
{
	struct two_forks *t = *state;
	int fd = open(t->mem1, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "HAZARD", 6, 8192), 6);
	close(fd);
	const char *all[] = { t->mem, t->mem2 };
	for (int i = 0; i < 2; i++) {
		char buf[6];
		int r = open(all[i], O_RDONLY);
		assert_int_equal(pread(r, buf, 6, 8192), 6);
		close(r);
		assert_memory_equal(buf, "HAZARD", 6);
	}
}

/* Hazard: chmod on a fork's mem-file is chmod on the snapshot's. */
static void test_hazard_chmod_on_fork_changes_snapshot(void **state)
{
	struct two_forks *t = *state;
	assert_int_equal(chmod(t->mem1, 0644), 0);
	struct stat st;
	assert_int_equal(stat(t->mem, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

/* Unshare: the fork gets its own inode, same bytes and holes; writing it
 * changes neither the snapshot nor the other fork. */
static void test_unshare_gives_a_private_copy(void **state)
{
	struct two_forks *t = *state;
	struct stat before;
	assert_int_equal(stat(t->mem, &before), 0);
	int unshared = 0;
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, t->mem1, &unshared), 0);
	assert_int_equal(unshared, 1);
	struct stat s, f;
	assert_int_equal(stat(t->mem, &s), 0);
	assert_int_equal(stat(t->mem1, &f), 0);
	assert_true(s.st_ino != f.st_ino);
	assert_int_equal(s.st_nlink, before.st_nlink - 1);
	int a = open(t->mem, O_RDONLY), b = open(t->mem1, O_RDWR);
	char msg[256];
	if (judge_compare_content(a, b, s.st_size, msg, sizeof msg))
		fail_msg("unshared copy: %s", msg);
	if (judge_extents_within(b, a, s.st_size, msg, sizeof msg))
		fail_msg("unshared copy: %s", msg);
	if (judge_allocation_within(b, a, 4096, msg, sizeof msg))
		fail_msg("unshared copy: %s", msg);
	assert_int_equal(pwrite(b, "DIFF", 4, 0), 4);
	char buf[4];
	int c = open(t->mem2, O_RDONLY);
	assert_int_equal(pread(a, buf, 4, 0), 4);
	assert_memory_not_equal(buf, "DIFF", 4);
	assert_int_equal(pread(c, buf, 4, 0), 4);
	assert_memory_not_equal(buf, "DIFF", 4);
	close(a);
	close(b);
	close(c);
}

int main(void)
{
	struct fixture *fx;
	size_t n;
	char err[1024];
	if (fixture_list(&fx, &n, err, sizeof err) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct CMUnitTest *per = calloc(n, sizeof *per);
	char(*names)[96] = calloc(n, sizeof *names);
	for (size_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof names[i], "F1-F12 on %s", fx[i].name);
		per[i] = (struct CMUnitTest){ names[i], test_F1_to_F12_on_fixture, NULL, NULL,
					      &fx[i] };
	}
	int failed = _cmocka_run_group_tests("contract on every fixture", per, n, NULL, NULL);
	const struct CMUnitTest kernel[] = {
#define K(f) cmocka_unit_test_setup_teardown(f, setup_two_forks, teardown_two_forks)
		cmocka_unit_test(test_F13_refusal_leaves_nothing),
		K(test_F4_many_forks_raise_nlink_by_one_each),
		K(test_F7_map_private_writes_stay_private),
		K(test_F7_negative_control_map_shared_is_seen),
		K(test_F8_delete_snapshot_under_a_mapping),
		K(test_F12_page_cache_is_shared),
		K(test_hazard_write_to_shared_file_reaches_everyone),
		K(test_hazard_chmod_on_fork_changes_snapshot),
		K(test_unshare_gives_a_private_copy),
	};
	failed += cmocka_run_group_tests_name("mappings, hazards, unshare", kernel, NULL, NULL);
	free(per);
	free(names);
	fixture_list_free(fx, n);
	return failed;
}
