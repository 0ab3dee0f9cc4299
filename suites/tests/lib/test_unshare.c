/* test_unshare.c - unshare gives one link its own inode: data, holes,
 * mode and owner kept, flushed before the rename, by path, by name in
 * the working directory or in a directory descriptor; a failure leaves
 * the name on the old inode and no temporary.  fsync and close are seen
 * through --wrap. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "judge.h"
#include "snapfork.h"
#include "testtree.h"
#include "wrapio.h"

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

static void two_links(const char *dir, mode_t mode)
{
	tt_text(dir, "snap", mode, "guest memory\n");
	assert_int_equal(link(tt_p(dir, "snap"), tt_p(dir, "fork")), 0);
}

static void own_inode(const char *dir, const char *name)
{
	struct stat a, b;
	assert_int_equal(stat(tt_p(dir, "snap"), &a), 0);
	assert_int_equal(stat(tt_p(dir, name), &b), 0);
	assert_true(a.st_ino != b.st_ino);
	assert_int_equal(a.st_nlink, 1);
	assert_int_equal(b.st_mode, a.st_mode);
	assert_int_equal(b.st_uid, a.st_uid);
	assert_int_equal(b.st_gid, a.st_gid);
	assert_int_equal(b.st_size, a.st_size);
	assert_int_equal(tt_count_named(dir, ".snapfork-"), 0);
}

/* Mode exactly, whatever the umask; owner kept (root can give it). */
static void test_unshare_keeps_mode_and_owner(void **state)
{
	const char *dir = *state;
	two_links(dir, 0751);
	if (tt_is_root())
		assert_int_equal(chown(tt_p(dir, "snap"), 1234, 5678), 0);
	else
		print_message("not root: the owner is the caller's own either way\n");
	mode_t old = umask(077);
	tt_fsyncs = 0;
	int unshared = 0;
	int r = snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork"), &unshared);
	umask(old);
	assert_int_equal(r, 0);
	assert_int_equal(unshared, 1);
	assert_int_equal(tt_fsyncs, 1); /* the copy, before the rename */
	own_inode(dir, "fork");
}

/* A bare name: in the working directory (AT_FDCWD), or in dirfd, with
 * descriptor 0 free for the one the library opens first. */
static void test_unshare_by_name(void **state)
{
	const char *dir = *state;
	two_links(dir, 0640);
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(dir), 0);
	int unshared = 0;
	int r = snapfork_unshare_at(AT_FDCWD, "fork", &unshared);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(r, 0);
	assert_int_equal(unshared, 1);
	own_inode(dir, "fork");
	assert_int_equal(link(tt_p(dir, "snap"), tt_p(dir, "fork2")), 0);
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
	assert_true(d >= 0 && saved >= 0);
	close(0);
	r = snapfork_unshare_at(d, "fork2", &unshared);
	assert_int_equal(dup2(saved, 0), 0);
	close(saved);
	close(d);
	assert_int_equal(r, 0);
	own_inode(dir, "fork2");
}

/* A failed fsync or close: the error, the name still on the old inode
 * (both links there), no temporary; a FIFO is refused, not waited on. */
static void test_unshare_failures_leave_the_link(void **state)
{
	const char *dir = *state;
	two_links(dir, 0640);
	int unshared = -1;
	for (int k = 0; k < 2; k++) {
		tt_fsync_err = k == 0 ? EIO : 0;
		tt_close_err = k == 1 ? EIO : 0;
		int r = snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fork"), &unshared);
		tt_fsync_err = tt_close_err = 0;
		assert_int_equal(r, -EIO);
		assert_int_equal(unshared, -1);
		struct stat a, b;
		assert_int_equal(stat(tt_p(dir, "snap"), &a), 0);
		assert_int_equal(stat(tt_p(dir, "fork"), &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);
		assert_int_equal(a.st_nlink, 2);
		assert_int_equal(tt_count_named(dir, ".snapfork-"), 0);
	}
	tt_fifo(dir, "fifo");
	alarm(20);
	int r = snapfork_unshare_at(AT_FDCWD, tt_p(dir, "fifo"), &unshared);
	alarm(0);
	assert_int_equal(r, -EINVAL);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, tt_scratch_setup, tt_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_unshare_linked_mem_file),
		T(test_unshare_single_link_is_a_no_op),
		T(test_unshare_refuses_non_regular),
		T(test_unshare_keeps_mode_and_owner),
		T(test_unshare_by_name),
		T(test_unshare_failures_leave_the_link),
	};
	return cmocka_run_group_tests_name("unshare and probe", tests, NULL, NULL);
}
