/* test_forkcmd.c - suites/forkcmd, the runner of --fork-cmd, as a row's
 * detail sees it: a failing command's exit status and its last lines in
 * order, a long line kept at both ends (the tool's name and the errno
 * text), the fallback line a successful command reports. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "forkcmd.h"
#include "testtree.h"

/* Run script as a fork command (its {src} and {dst} unused): its verdict. */
static struct forkcmd last; /* the last run's runner: what it left */

static int run(const char *script, char *msg, size_t len)
{
	char *dir = tt_scratch("forkcmd"), tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s\n: {src} {dst}", script);
	struct forkcmd fc = { .tmpl = tmpl, .calls = 1, .timeout_s = 30 };
	char dst[PATH_MAX];
	snprintf(dst, sizeof dst, "%s/fork", dir);
	int r = forkcmd_run(&fc, dir, dst, msg, len);
	last = fc;
	tt_rm_rf(dir);
	free(dir);
	return r;
}

static void test_last_lines_in_order(void **state)
{
	(void)state;
	char msg[2048];
	assert_int_equal(run("for i in 1 2 3 4 5 6 7 8 9; do echo line$i; done; exit 3", msg,
			     sizeof msg),
			 FORKCMD_FAILED);
	assert_string_equal(msg, "exit 3; its output ended:\n"
				 "line4\nline5\nline6\nline7\nline8\nline9");
	assert_int_equal(run("exit 4", msg, sizeof msg), FORKCMD_FAILED);
	assert_string_equal(msg, "exit 4, no output");
}

/* A line past PATH_MAX (cp's message on the deep fixture) keeps its
 * start and its end; what is cut is the middle. */
static void test_long_line_keeps_both_ends(void **state)
{
	(void)state;
	char msg[2048];
	assert_int_equal(run("printf 'cp: cannot stat %05000d: File name too long\\n' 0 >&2; exit 1",
			     msg, sizeof msg),
			 FORKCMD_FAILED);
	const char *line = strchr(msg, '\n');
	assert_non_null(line);
	line++;
	assert_memory_equal(line, "cp: cannot stat 0000", 20);
	assert_non_null(strstr(line, "000 ... 000"));
	size_t n = strlen(line);
	assert_true(n < 400);
	assert_string_equal(line + n - 20, ": File name too long");
}

static void test_fallback_line_reported(void **state)
{
	(void)state;
	char msg[2048];
	assert_int_equal(run("echo copying; echo 'fallback: copy EXDEV'; echo done", msg,
			     sizeof msg),
			 0);
	assert_memory_equal(msg, "fallback: copy EXDEV", 20);
	assert_int_equal(run("echo linked", msg, sizeof msg), 0);
	assert_string_equal(msg, "linked");
}

/* F14's evidence: whatever a command leaves running, in a session of its
 * own with every descriptor closed, or behind a double fork, is named
 * (pid, command line) and killed after the settle time. */
static void test_leftovers_named_and_killed(void **state)
{
	(void)state;
	char msg[2048];
	static const char *const scripts[] = {
		"setsid sleep 31 </dev/null >/dev/null 2>&1 &",
		"(sh -c 'sleep 32' </dev/null >/dev/null 2>&1 &) ; exit 0",
		"sleep 33 &",
	};
	for (size_t i = 0; i < sizeof scripts / sizeof *scripts; i++) {
		assert_int_equal(run(scripts[i], msg, sizeof msg), 0);
		const char *left = forkcmd_left(&last);
		assert_non_null(left);
		char want[16];
		snprintf(want, sizeof want, "sleep 3%zu", i + 1);
		if (!strstr(left, want))
			print_error("left: %s\n", left);
		assert_non_null(strstr(left, want));
		int pid = 0;
		assert_int_equal(sscanf(left, "pid %d:", &pid), 1);
		assert_true(tt_gone(pid));
	}
	assert_int_equal(run("true", msg, sizeof msg), 0);
	assert_null(forkcmd_left(&last));
	/* A job that ends within the settle time is still named. */
	assert_int_equal(run("(sleep 0.3; true) </dev/null >/dev/null 2>&1 &", msg, sizeof msg), 0);
	assert_non_null(forkcmd_left(&last));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_lines_in_order),
		cmocka_unit_test(test_long_line_keeps_both_ends),
		cmocka_unit_test(test_fallback_line_reported),
		cmocka_unit_test(test_leftovers_named_and_killed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
