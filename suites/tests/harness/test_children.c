/* test_children.c - suites/child, the one discipline for every process
 * the harness starts: a deadline ends a child and its whole process group
 * (grandchildren too) and reaps it; the registry takes more than any
 * fixed size; children see descriptors 0-2 only; a signal ends every wait
 * at once; output is collected up to the child's exit, not up to the exit
 * of descendants that keep the pipe.  And kernels' reading of a guest's
 * results: a damaged or empty results disk and a leg without a whole
 * report are errors, never a pass. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "kernels.h"
#include "testtree.h"

/* Start sh -c script with its output in a pipe. */
static void start_sh(struct child *c, const char *script)
{
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct child_spec s = { .argv = argv, .out = CHILD_OUT_PIPE };
	assert_int_equal(child_start(c, &s), 0);
}

/* A grandchild that ignores SIGTERM, in the background of a shell that
 * hangs: the deadline takes the whole group, and nothing stays. */
static void test_deadline_kills_the_group(void **state)
{
	(void)state;
	struct child c;
	start_sh(&c, "sh -c 'trap \"\" TERM; echo $$; exec sleep 60' & wait");
	char out[256];
	size_t have = 0;
	int64_t t0 = child_now_ms();
	assert_int_equal(child_collect(&c, child_deadline_ms(500), out, sizeof out, &have),
			 -ETIMEDOUT);
	pid_t grandchild = (pid_t)atoi(out);
	assert_true(grandchild > 0);
	assert_false(tt_gone(grandchild));
	child_stop(&c);
	assert_true(child_now_ms() - t0 < 5000); /* the grace period, not sleep's 60 s */
	assert_int_equal(c.pid, 0);
	/* SIGKILL to the group took it (its delivery is asynchronous). */
	for (int i = 0; i < 200 && !tt_gone(grandchild); i++)
		usleep(10 * 1000);
	assert_true(tt_gone(grandchild));
	assert_int_equal(child_live(), 0);
}

/* More children than the old fixed registry held (32): all stopped. */
static void test_registry_grows(void **state)
{
	(void)state;
	enum { N = 40 };
	struct child c[N];
	for (int i = 0; i < N; i++)
		start_sh(&c[i], "exec sleep 60");
	assert_int_equal(child_live(), N);
	child_stop_all();
	assert_int_equal(child_live(), 0);
	for (int i = 0; i < N; i++) {
		assert_int_equal(child_reaped(&c[i]), 1); /* reaped by child_stop_all */
		assert_int_equal(c[i].pid, 0);
		close(c[i].out);
	}
}

/* The child has 0, 1 and 2 and nothing else, even where the parent holds
 * a descriptor without O_CLOEXEC. */
static void test_only_stdio_inherited(void **state)
{
	(void)state;
	int leak = open("/dev/null", O_RDONLY);
	assert_true(leak >= 3);
	struct child c;
	start_sh(&c, "ls /proc/self/fd | sort -n | tr '\\n' ' '");
	char out[256];
	size_t have = 0;
	assert_int_equal(child_collect(&c, child_deadline_ms(10000), out, sizeof out, &have), 0);
	/* ls's own directory descriptor (3) is the only one above 2. */
	assert_string_equal(out, "0 1 2 3 ");
	assert_int_equal(child_exit_code(&c), 0);
	close(leak);
}

/* A background job that keeps the pipe does not hold the collection: it
 * ends when the command exits, the job is killed with the rest of the
 * group (and counted), the pipe is closed. */
static void test_collect_ends_with_the_command(void **state)
{
	(void)state;
	struct child c;
	start_sh(&c, "echo before; sleep 30 & echo $! >&2; echo after");
	char out[256];
	size_t have = 0;
	int64_t t0 = child_now_ms();
	assert_int_equal(child_collect(&c, child_deadline_ms(20000), out, sizeof out, &have), 0);
	assert_true(child_now_ms() - t0 < 10000);
	assert_non_null(strstr(out, "after"));
	assert_int_equal(child_exit_code(&c), 0);
	assert_int_equal(c.out, -1);
	assert_int_equal(c.stragglers, 1);
	pid_t job = (pid_t)atoi(strstr(out, "before\n") + 7);
	for (int i = 0; i < 200 && !tt_gone(job); i++)
		usleep(10 * 1000);
	assert_true(tt_gone(job));
}

/* A status reaped by child_stop_all reaches the owner; one that is lost
 * reads as a failure, never as exit 0. */
static void test_status_is_never_lost_as_success(void **state)
{
	(void)state;
	struct child c;
	start_sh(&c, "exec sleep 60");
	child_stop_all();
	assert_int_equal(child_wait(&c, child_deadline_ms(1000)), 0);
	assert_int_equal(child_exit_code(&c), 128 + SIGTERM);
	struct child stray = { .pid = 1, .out = -1 }; /* never ours */
	assert_int_equal(child_reaped(&stray), 1);
	assert_int_not_equal(child_exit_code(&stray), 0);
	close(c.out);
}

/* The tail keeps the last bytes of a long output. */
static void test_collect_keeps_the_tail(void **state)
{
	(void)state;
	struct child c;
	start_sh(&c, "seq 1 100000; echo LAST");
	char out[64];
	size_t have = 0;
	assert_int_equal(child_collect(&c, child_deadline_ms(20000), out, sizeof out, &have), 0);
	assert_int_equal(have, sizeof out - 1);
	assert_non_null(strstr(out, "99999\n100000\nLAST"));
}

static void test_exit_codes(void **state)
{
	(void)state;
	char *missing[] = { "/nonexistent/snapfork-tool", NULL };
	assert_int_equal(child_run(missing, NULL, child_deadline_ms(10000)), 127);
	assert_int_equal(child_sh("exit 3", NULL, child_deadline_ms(10000)), 3);
	assert_int_equal(child_sh("kill -KILL $$", NULL, child_deadline_ms(10000)), 128 + SIGKILL);
	assert_int_equal(child_sh("sleep 60", NULL, child_deadline_ms(200)), -ETIMEDOUT);
	assert_int_equal(child_live(), 0);
}

static void test_quote(void **state)
{
	(void)state;
	char *q = child_sh_quote("it's $HOME `x` \"y\"");
	assert_string_equal(q, "'it'\\''s $HOME `x` \"y\"'");
	char cmd[256];
	snprintf(cmd, sizeof cmd, "test x%s = \"xit's \\$HOME \\`x\\` \\\"y\\\"\"", q);
	assert_int_equal(child_sh(cmd, NULL, child_deadline_ms(10000)), 0);
	free(q);
}

/* Last: a signal ends every wait at once (the handler only records it). */
static void test_signal_ends_the_wait(void **state)
{
	(void)state;
	child_signals_install();
	struct child c;
	start_sh(&c, "exec sleep 60");
	/* SIGHUP from a helper after 200 ms: the wait must not last 60 s. */
	pid_t me = getpid(), helper = fork();
	if (helper == 0) {
		usleep(200 * 1000);
		kill(me, SIGHUP);
		_exit(0);
	}
	int64_t t0 = child_now_ms();
	assert_int_equal(child_wait(&c, CHILD_FOREVER), -EINTR);
	assert_true(child_now_ms() - t0 < 5000);
	assert_int_equal(child_interrupted(), SIGHUP);
	child_stop_all();
	assert_int_equal(child_live(), 0);
	close(c.out);
	waitpid(helper, NULL, 0);
}

/* ---- kernels: a guest's results disk and its legs' reports ---- */

static void test_results_disk_errors(void **state)
{
	(void)state;
	char *dir = tt_scratch("children");
	char disk[4200], out[4200], err[600], cmd[9000];
	snprintf(disk, sizeof disk, "%s/results.img", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	mkdir(out, 0755);
	tt_text(dir, "results.img", 0644, "this is not a tar archive, and not empty either\n");
	assert_int_equal(kern_results_extract(disk, out, err, sizeof err), -EIO);
	assert_non_null(strstr(err, disk));
	/* A disk of zeros: the guest wrote nothing. */
	snprintf(cmd, sizeof cmd, "truncate -s 1M '%s'", disk);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "dd if=/dev/zero of='%s' bs=1M count=1 status=none", disk);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(kern_results_extract(disk, out, err, sizeof err), -ENODATA);
	assert_non_null(strstr(err, "no results"));
	/* A good tar, cut in the middle of an entry's data. */
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && head -c 100000 /dev/urandom >big && tar -cf t.tar big && "
		 "head -c 20000 t.tar >'%s'",
		 dir, disk);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(kern_results_extract(disk, out, err, sizeof err), -EIO);
	/* A tar with a hardlink (a guest writes none): refused, named. */
	snprintf(cmd, sizeof cmd, "cd '%s' && ln big hard && tar -cf '%s' big hard && rm hard", dir,
		 disk);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(kern_results_extract(disk, out, err, sizeof err), -EPROTO);
	assert_non_null(strstr(err, "hard"));
	/* The whole tar: extracted. */
	snprintf(cmd, sizeof cmd, "cp '%s/t.tar' '%s'", dir, disk);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(kern_results_extract(disk, out, err, sizeof err), 0);
	snprintf(cmd, sizeof cmd, "cmp -s '%s/big' '%s/big'", dir, out);
	assert_int_equal(system(cmd), 0);
	tt_rm_rf(dir);
	free(dir);
}

static void test_leg_reports(void **state)
{
	(void)state;
	char *dir = tt_scratch("children");
	struct kern_result r;
	memset(&r, 0, sizeof r);
	snprintf(r.dir, sizeof r.dir, "%s", dir);
	/* check: stopped by its timeout; ext4: exit 2 with no report; tmpfs:
	 * a report that judged nothing; btrfs: a report that is no JSON;
	 * xfs-reflink: exit 0 and a report with a judged rule. */
	tt_text(dir, "check.rc", 0644, "124\n");
	tt_text(dir, "ext4.rc", 0644, "2\n");
	tt_text(dir, "tmpfs.rc", 0644, "0\n");
	tt_text(dir, "tmpfs.json", 0644, "{\"legs\": [{\"leg\": \"tmpfs\", \"run\": {\"rows\": []}}]}");
	tt_text(dir, "btrfs.rc", 0644, "0\n");
	tt_text(dir, "btrfs.json", 0644, "{\"legs\": [");
	tt_text(dir, "xfs-reflink.rc", 0644, "0\n");
	tt_text(dir, "xfs-reflink.json", 0644,
		"{\"legs\": [{\"leg\": \"xfs-reflink\", \"run\": {\"rows\": [{\"rules\": "
		"{\"F1\": {\"result\": \"pass\", \"level\": \"MUST\"}}}]}}]}");
	const char *legs[] = { "check", "ext4", "tmpfs", "btrfs", "xfs-reflink", "overlay" };
	kern_read_results(&r, legs, 6, 42);
	assert_int_equal(r.nlegs, 6);
	assert_non_null(strstr(r.legs[0].error, "did not finish within 42 s"));
	assert_non_null(strstr(r.legs[1].error, "exit 2"));
	assert_non_null(strstr(r.legs[2].error, "no rule was judged"));
	assert_non_null(strstr(r.legs[3].error, "unreadable"));
	assert_string_equal(r.legs[4].error, "");
	assert_int_equal(r.legs[4].cell[1], KC_PASS);
	assert_non_null(strstr(r.legs[5].error, "no overlay.rc"));
	assert_int_equal(kern_failed(&r, 1), 1);
	tt_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deadline_kills_the_group),
		cmocka_unit_test(test_registry_grows),
		cmocka_unit_test(test_only_stdio_inherited),
		cmocka_unit_test(test_collect_ends_with_the_command),
		cmocka_unit_test(test_collect_keeps_the_tail),
		cmocka_unit_test(test_status_is_never_lost_as_success),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_results_disk_errors),
		cmocka_unit_test(test_leg_reports),
		cmocka_unit_test(test_signal_ends_the_wait),
	};
	return cmocka_run_group_tests_name("children", tests, NULL, NULL);
}
