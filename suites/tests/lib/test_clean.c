/* test_clean.c - what a fork that died leaves is removed, what a live one
 * holds never is (CONTRACT.md C2): staging names, the lock, the sweep each
 * fork makes, snapfork_clean, the mem-file's link count after it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "testtree.h"

static void test_staging_names(void **state)
{
	(void)state;
	static const char *const yes[] = { ".fork.snapfork-123-0a1b2c3d", ".x.snapfork-1-00000000",
					   ".a b.snapfork-4294967295-ffffffff",
					   "...snapfork-7-12345678" /* base "." */ };
	static const char *const no[] = {
		"fork.snapfork-123-0a1b2c3d",
		".snapfork-123-0a1b2c3d",
		".x.snapfork--0a1b2c3d",
		".x.snapfork-12-0a1b2c3",
		".x.snapfork-12-0a1b2c3G",
		".x.snapfork-12-0a1b2c3d0",
		".x.snapfork-1a-0a1b2c3d",
		".x.snapfork-12_0a1b2c3d",
		".x.snapfork-12-0A1B2C3D",
		".x.Snapfork-12-0a1b2c3d",
		"",
		".",
		"..snapfork-12-0a1b2c3d",  /* an empty base, whatever the pid's length */
		".x.snapfork-12-Ga1b2c3d", /* every one of the 8 is a hex digit */
		".x.snapfork_12-0a1b2c3d", /* the tag's last character too */
	};
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		assert_true(sf_stage_is_name(yes[i]));
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		assert_false(sf_stage_is_name(no[i]));
	/* What the library makes is one. */
	char name[NAME_MAX + 1];
	sf_tmpname("some-fork", name);
	assert_true(sf_stage_is_name(name));
}

/* A process that made a staging directory (as a fork does first) and
 * linked the mem-file into it (as a fork has once it placed it). */
struct stager {
	pid_t pid;
	int go; /* written: it removes its staging and exits 0 (a failed fork) */
	char name[NAME_MAX + 1];
};

static void stager(struct stager *s, const char *dir, const char *dst, const char *mem)
{
	int p[2], go[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(go), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		close(p[0]);
		close(go[1]);
		int d = open(dir, O_RDONLY | O_DIRECTORY);
		int fd = sf_stage_create(d, dst, s->name);
		if (fd < 0 || linkat(AT_FDCWD, mem, fd, "memory", 0) < 0 ||
		    mkdirat(fd, "sub", 0500) < 0 ||
		    write(p[1], s->name, sizeof s->name) != sizeof s->name)
			tt_child_exit(1);
		char c;
		if (read(go[0], &c, 1) == 1) {
			sf_rmtree_at(d, s->name);
			tt_child_exit(0);
		}
		tt_child_exit(2);
	}
	close(p[1]);
	close(go[0]);
	assert_int_equal(read(p[0], s->name, sizeof s->name), sizeof s->name);
	close(p[0]);
	s->go = go[1];
}

static void release(struct stager *s)
{
	assert_int_equal(write(s->go, "x", 1), 1);
	close(s->go);
	int st;
	assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void kill_it(struct stager *s)
{
	assert_int_equal(kill(s->pid, SIGKILL), 0);
	int st;
	assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
	assert_true(WIFSIGNALED(st));
	close(s->go);
}

static nlink_t links(const char *path)
{
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	return st.st_nlink;
}

struct seen {
	int removed, live;
};

static void count(void *arg, const char *name, int what)
{
	struct seen *s = arg;
	assert_true(sf_stage_is_name(name));
	s->removed += what == 0;
	s->live += what == 1;
}

/* Two live forks and one killed: snapfork_clean removes the killed one's
 * staging only, and the mem-file's link count is back to before it. */
static void test_clean_two_live_one_killed(void **state)
{
	const char *dir = *state;
	char mem[4096];
	struct stager a, b, c;
	tt_text(dir, "memory", 0600, "guest memory\n");
	snprintf(mem, sizeof mem, "%s", tt_p(dir, "memory"));
	nlink_t before = links(mem);
	stager(&a, dir, "fork-a", mem);
	stager(&b, dir, "fork-b", mem);
	stager(&c, dir, "fork-c", mem);
	assert_int_equal(links(mem), before + 3);
	kill_it(&c);
	/* Entries with a staging name that are not directories stay. */
	tt_text(dir, ".file.snapfork-1-00000000", 0644, "not a staging directory\n");
	tt_symlink(dir, ".link.snapfork-1-00000000", ".");
	struct seen s = { 0, 0 };
	struct snapfork_clean cl = SNAPFORK_CLEAN_INIT;
	cl.each = count;
	cl.arg = &s;
	assert_int_equal(snapfork_clean(dir, &cl), 0);
	assert_int_equal(cl.removed, 1);
	assert_int_equal(cl.live, 2);
	assert_int_equal(cl.failed, 0);
	assert_int_equal(s.removed, 1);
	assert_int_equal(s.live, 2);
	assert_false(tt_exists(tt_p(dir, c.name)));
	assert_true(tt_exists(tt_p(dir, a.name)));
	assert_true(tt_exists(tt_p(dir, b.name)));
	assert_true(tt_exists(tt_p(dir, ".file.snapfork-1-00000000")));
	assert_true(tt_exists(tt_p(dir, ".link.snapfork-1-00000000")));
	assert_int_equal(links(mem), before + 2);
	release(&a);
	release(&b);
	assert_int_equal(links(mem), before);
	/* Nothing left to do: a second run finds nothing. */
	struct snapfork_clean again = SNAPFORK_CLEAN_INIT;
	assert_int_equal(snapfork_clean(dir, &again), 0);
	assert_int_equal(again.removed + again.live + again.failed, 0);
}

/* The next fork into the same parent removes a dead fork's staging first,
 * leaves a live one's, and forks. */
static void test_fork_sweeps_its_parent(void **state)
{
	const char *dir = *state;
	char snap[4096], mem[4200];
	struct stager a, c;
	snprintf(snap, sizeof snap, "%s", tt_p(dir, "snap"));
	tt_mkdir(dir, "snap", 0755);
	tt_snapshot(snap, "memory", (off_t)1 << 30);
	snprintf(mem, sizeof mem, "%s/memory", snap);
	nlink_t before = links(mem);
	stager(&a, dir, "fork-a", mem);
	stager(&c, dir, "fork-c", mem);
	kill_it(&c);
	assert_int_equal(snapfork_fork(snap, tt_p(dir, "fork"), NULL, NULL), 0);
	assert_false(tt_exists(tt_p(dir, c.name)));
	assert_true(tt_exists(tt_p(dir, a.name)));
	assert_int_equal(links(mem), before + 2); /* the fork's and the live one's */
	release(&a);
	assert_int_equal(links(mem), before + 1);
	assert_int_equal(tt_count_named(dir, ".snapfork-"), 0);
}

/* A directory that cannot be read is an error; one without staging is
 * nothing to do. */
static void test_clean_errors(void **state)
{
	const char *dir = *state;
	struct snapfork_clean c = SNAPFORK_CLEAN_INIT;
	assert_int_equal(snapfork_clean(tt_p(dir, "missing"), &c), -ENOENT);
	tt_text(dir, "file", 0644, "x\n");
	assert_int_equal(snapfork_clean(tt_p(dir, "file"), &c), -ENOTDIR);
	assert_int_equal(snapfork_clean(dir, NULL), 0);
	struct snapfork_clean small = { .size = 8 };
	assert_int_equal(snapfork_clean(dir, &small), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_staging_names),
		cmocka_unit_test_setup_teardown(test_clean_two_live_one_killed, tt_scratch_setup,
						tt_scratch_teardown),
		cmocka_unit_test_setup_teardown(test_fork_sweeps_its_parent, tt_scratch_setup,
						tt_scratch_teardown),
		cmocka_unit_test_setup_teardown(test_clean_errors, tt_scratch_setup,
						tt_scratch_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
