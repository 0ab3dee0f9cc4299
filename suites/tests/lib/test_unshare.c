/* test_unshare.c - unshare gives one link its own inode. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "judge.h"
#include "testtree.h"
#include "snapfork.h"

static void test_unshare_linked_mem_file(void **state)
{
	const char *dir = *state;
	static const struct tt_extent ext[] = { { 0, 4096, 1 }, { (off_t)200 << 20, 8192, 2 } };
	tt_file(dir, "snap-memory", 0640, (off_t)1 << 30, ext, 2);
	assert_int_equal(link(tt_p(dir, "snap-memory"), tt_p(dir, "fork-memory")), 0);
	assert_int_equal(link(tt_p(dir, "snap-memory"), tt_p(dir, "other-fork-memory")), 0);
	struct stat before;
	assert_int_equal(stat(tt_p(dir, "snap-memory"), &before), 0);
	int unshared = -1, fds = tt_open_fds();
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork-memory"), &unshared), 0);
	assert_int_equal(tt_open_fds(), fds);
	assert_int_equal(unshared, 1);
	struct stat snap, fork;
	assert_int_equal(stat(tt_p(dir, "snap-memory"), &snap), 0);
	assert_int_equal(stat(tt_p(dir, "fork-memory"), &fork), 0);
	assert_true(fork.st_ino != snap.st_ino);
	assert_int_equal(snap.st_nlink, 2);
	assert_int_equal(fork.st_nlink, 1);
	assert_int_equal(fork.st_mode, snap.st_mode);
	assert_true(fork.st_blocks <= snap.st_blocks); /* holes kept */
	int a = open(tt_p(dir, "snap-memory"), O_RDONLY);
	int b = open(tt_p(dir, "fork-memory"), O_RDWR);
	char msg[256];
	assert_int_equal(judge_compare_content(a, b, snap.st_size, msg, sizeof msg), 0);
	/* Writing the unshared copy changes neither the snapshot nor the other fork. */
	assert_int_equal(pwrite(b, "XXXX", 4, 0), 4);
	char buf[4];
	assert_int_equal(pread(a, buf, 4, 0), 4);
	assert_memory_not_equal(buf, "XXXX", 4);
	close(a);
	close(b);
	assert_int_equal(tt_count_named(dir, ".snapfork-"), 0);
}

static void test_unshare_single_link_is_a_no_op(void **state)
{
	const char *dir = *state;
	tt_text(dir, "alone", 0600, "only one link");
	struct stat a, b;
	assert_int_equal(stat(tt_p(dir, "alone"), &a), 0);
	int unshared = -1;
	assert_int_equal(snapfork_unshare(tt_p(dir, "alone"), &unshared), 0); /* the path form */
	assert_int_equal(unshared, 0);
	assert_int_equal(stat(tt_p(dir, "alone"), &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
}

static void test_unshare_refuses_non_regular(void **state)
{
	const char *dir = *state;
	tt_mkdir(dir, "d", 0755);
	tt_symlink(dir, "l", "d");
	int unshared;
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, tt_p(dir, "d"), &unshared), -EINVAL);
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, tt_p(dir, "l"), &unshared), -ELOOP);
	assert_int_equal(snapfork_unshare_at(AT_FDCWD, tt_p(dir, "none"), &unshared), -ENOENT);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tt_scratch_setup, tt_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_unshare_linked_mem_file),
		T(test_unshare_single_link_is_a_no_op),
		T(test_unshare_refuses_non_regular),
	};
	return cmocka_run_group_tests_name("unshare and probe", tests, NULL, NULL);
}
