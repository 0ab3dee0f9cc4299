/* test_copyfile.c - one file of the walk into the fork (ref/lib/copyfile.c)
 * when the snapshot changes between the walk's look and the open: a FIFO
 * swapped in (the open must not hang), a symlink to the very inode (not
 * followed), a terminal device (never made the caller's controlling
 * terminal); a name already in the fork (never written through); the
 * mode exactly; --fsync's fsync, a failed fsync or close; the writeback
 * window keeping the descriptor.  fsync and close are seen through --wrap. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"
#include "wrapio.h"

struct one {
	int r;
	struct sf_copy res;
	struct snapfork_report rep;
};

/* sf_copy_file(src/name -> dst/name) as the walk calls it, the inode the
 * walk saw being ino; flags as a fork's options. */
static struct one copy_one(const char *dir, const char *name, ino_t ino, unsigned flags)
{
	struct one o = { .rep = SNAPFORK_REPORT_INIT };
	struct ctx c = { .rep = &o.rep };
	c.opt.flags = flags;
	c.opt.method = SNAPFORK_METHOD_RW;
	int s = open(tt_p(dir, "src"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int d = open(tt_p(dir, "dst"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(s >= 0 && d >= 0);
	struct stat st;
	o.r = sf_copy_file(&c, s, d, name, ino, name, &o.res, &st);
	int e = sf_writeback_end(&c, 1);
	if (o.r == 0)
		o.r = e;
	free(c.buf);
	close(s);
	close(d);
	return o;
}

static ino_t ino_of(const char *path)
{
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	return st.st_ino;
}

static int setup(void **state)
{
	tt_fsyncs = tt_fsync_err = tt_close_err = 0;
	int r = tt_scratch_setup(state);
	tt_mkdir(*state, "src", 0755);
	tt_mkdir(*state, "dst", 0700);
	tt_text(*state, "src/f", 0751, "data\n");
	return r;
}

static void test_copies_mode_and_data(void **state)
{
	const char *dir = *state;
	mode_t old = umask(077);
	struct one o = copy_one(dir, "f", ino_of(tt_p(dir, "src/f")), SNAPFORK_NO_WRITEBACK);
	umask(old);
	assert_int_equal(o.r, 0);
	struct stat st;
	assert_int_equal(stat(tt_p(dir, "dst/f"), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0751);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(tt_fsyncs, 0);
}

/* A FIFO where the walk saw a file: ESTALE at once, not a hang. */
static void test_fifo_swapped_in(void **state)
{
	const char *dir = *state;
	ino_t was = ino_of(tt_p(dir, "src/f"));
	assert_int_equal(unlink(tt_p(dir, "src/f")), 0);
	tt_fifo(dir, "src/f");
	alarm(20); /* a hang is a failure */
	struct one o = copy_one(dir, "f", was, SNAPFORK_NO_WRITEBACK);
	alarm(0);
	assert_int_equal(o.r, -ESTALE);
	assert_string_equal(o.rep.error_reason, "file replaced during the fork");
	assert_false(tt_exists(tt_p(dir, "dst/f")));
}

/* The file moved aside and a symlink to it under its name: the same
 * inode at the end, but through a symlink, which is never followed. */
static void test_symlink_to_the_same_inode(void **state)
{
	const char *dir = *state;
	ino_t was = ino_of(tt_p(dir, "src/f"));
	assert_int_equal(rename(tt_p(dir, "src/f"), tt_p(dir, "src/aside")), 0);
	tt_symlink(dir, "src/f", "aside");
	struct one o = copy_one(dir, "f", was, SNAPFORK_NO_WRITEBACK);
	assert_int_equal(o.r, -ELOOP);
	assert_false(tt_exists(tt_p(dir, "dst/f")));
}

/* A name the fork already holds is never opened for writing. */
static void test_name_taken_in_the_fork(void **state)
{
	const char *dir = *state;
	tt_text(dir, "dst/f", 0644, "the fork's own, longer than data\n");
	struct one o = copy_one(dir, "f", ino_of(tt_p(dir, "src/f")), SNAPFORK_NO_WRITEBACK);
	assert_int_equal(o.r, -EEXIST);
	assert_string_equal(o.rep.error_reason, "create failed");
	assert_int_equal(o.rep.error_side, SNAPFORK_SIDE_DST);
	struct stat st;
	assert_int_equal(stat(tt_p(dir, "dst/f"), &st), 0);
	assert_int_equal(st.st_size, 33);
}

/* --fsync: each file fsynced; its failure, or close's, fails the file. */
static void test_fsync_and_close(void **state)
{
	const char *dir = *state;
	ino_t ino = ino_of(tt_p(dir, "src/f"));
	struct one o = copy_one(dir, "f", ino, SNAPFORK_FSYNC);
	assert_int_equal(o.r, 0);
	assert_int_equal(tt_fsyncs, 1);
	assert_int_equal(unlink(tt_p(dir, "dst/f")), 0);
	tt_fsync_err = EIO;
	o = copy_one(dir, "f", ino, SNAPFORK_FSYNC);
	tt_fsync_err = 0;
	assert_int_equal(o.r, -EIO);
	assert_string_equal(o.rep.error_reason, "fsync failed");
	assert_int_equal(unlink(tt_p(dir, "dst/f")), 0);
	tt_close_err = EIO;
	o = copy_one(dir, "f", ino, SNAPFORK_NO_WRITEBACK);
	tt_close_err = 0;
	assert_int_equal(o.r, -EIO);
	assert_string_equal(o.rep.error_reason, "close failed");
}

/* Without --fsync or --no-writeback the copy's descriptor goes to the
 * writeback window (writeback.c), open until the window ends. */
static void test_writeback_keeps_the_descriptor(void **state)
{
	const char *dir = *state;
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	struct ctx c = { .rep = &rep };
	c.opt.method = SNAPFORK_METHOD_RW;
	int s = open(tt_p(dir, "src"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int d = open(tt_p(dir, "dst"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fds = tt_open_fds();
	struct sf_copy res;
	struct stat st;
	assert_int_equal(sf_copy_file(&c, s, d, "f", ino_of(tt_p(dir, "src/f")), "f", &res, &st),
			 0);
	assert_int_equal(tt_open_fds(), fds + 1);
	assert_int_equal(c.wb.n, 1);
	assert_int_equal(sf_writeback_end(&c, 1), 0);
	assert_int_equal(tt_open_fds(), fds);
	free(c.buf);
	close(s);
	close(d);
}

/* A terminal where the walk saw a file, opened by a session leader that
 * has none: it must not become its controlling terminal (O_NOCTTY).  The
 * pty's slave is bind-mounted over the file in a mount namespace of the
 * child's own (a node made with mknod would not do: devpts opens a pty
 * only through its own instance, EIO otherwise); root only. */
static void test_terminal_swapped_in(void **state)
{
	const char *dir = *state;
	struct stat tty;
	if (!tt_is_root() || stat("/dev/tty", &tty) < 0) {
		print_message("skipped: %s\n",
			      tt_is_root() ? "no /dev/tty to ask" : "a bind mount needs root");
		skip();
	}
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
		print_message("skipped: no pseudo-terminal here (/dev/ptmx): %s\n",
			      strerror(errno));
		skip();
	}
	ino_t was = ino_of(tt_p(dir, "src/f"));
	char slave[64], target[4200];
	snprintf(slave, sizeof slave, "%s", ptsname(master));
	snprintf(target, sizeof target, "%s", tt_p(dir, "src/f"));
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setsid() < 0 || unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
		    mount(slave, target, NULL, MS_BIND, NULL) < 0)
			_exit(3);
		/* No cmocka in the child: a failed assert there would unwind
		 * into the parent's copy of the runner.  Exit codes instead. */
		struct snapfork_report rep = SNAPFORK_REPORT_INIT;
		struct ctx c = { .rep = &rep };
		c.opt.flags = SNAPFORK_NO_WRITEBACK;
		c.opt.method = SNAPFORK_METHOD_RW;
		int s = open(tt_p(dir, "src"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int d = open(tt_p(dir, "dst"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s < 0 || d < 0)
			tt_child_exit(4);
		struct sf_copy res = { 0 };
		struct stat sst;
		int r = sf_copy_file(&c, s, d, "f", was, "f", &res, &sst);
		int ctty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
		tt_child_exit(r != -ESTALE ? 2 : ctty >= 0 ? 1 : 0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(master);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 3) {
		print_message("skipped: no mount namespace or bind mount here\n");
		skip();
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("a terminal swapped in: %s",
			 WIFEXITED(st) && WEXITSTATUS(st) == 1
				 ? "it became the controlling terminal"
			 : WIFEXITED(st) && WEXITSTATUS(st) == 2 ? "not ESTALE"
			 : WIFEXITED(st) && WEXITSTATUS(st) == 4
				 ? "the child could not open src or dst"
				 : "the child failed");
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, setup, tt_scratch_teardown)
	const struct CMUnitTest tests[] = {
		T(test_copies_mode_and_data),      T(test_fifo_swapped_in),
		T(test_symlink_to_the_same_inode), T(test_name_taken_in_the_fork),
		T(test_fsync_and_close),           T(test_writeback_keeps_the_descriptor),
		T(test_terminal_swapped_in),
	};
	return cmocka_run_group_tests_name("one file's copy", tests, NULL, NULL);
}
