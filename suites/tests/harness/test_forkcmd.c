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
static int run(const char *script, char *msg, size_t len)
{
	char *dir = tt_scratch("forkcmd"), tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s; : {src} {dst}", script);
	struct forkcmd fc = { .tmpl = tmpl, .calls = 1, .timeout_s = 30 };
	char dst[PATH_MAX];
	snprintf(dst, sizeof dst, "%s/fork", dir);
	int r = forkcmd_run(&fc, dir, dst, msg, len);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_last_lines_in_order),
		cmocka_unit_test(test_long_line_keeps_both_ends),
		cmocka_unit_test(test_fallback_line_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
