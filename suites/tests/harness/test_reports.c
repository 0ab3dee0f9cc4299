/* test_reports.c - the conformance check's reports: a failed row always
 * names a runnable reproducer (never "(null)", whatever the caller left
 * unset), and the JUnit and JSON files hold every row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"
#include "testtree.h"

/* A run of two rows: one with F2 failed, one passing. */
static void make_run(struct conform_run *run)
{
	memset(run, 0, sizeof *run);
	run->rows = calloc(2, sizeof *run->rows);
	run->n = 2;
	run->rows[0].name = strdup("edge");
	run->rows[0].rerun = strdup("edge");
	run->rows[0].cell[1] = CONFORM_PASS;
	run->rows[0].cell[2] = CONFORM_FAIL;
	run->rows[0].detail[2] = strdup("disk.raw: mode: expected 0640, found 0644");
	run->rows[1].name = strdup("qemu-raw");
	run->rows[1].cell[1] = CONFORM_PASS;
}

static char *table_of(const struct conform_run *run)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	conform_print_table(f, run);
	fclose(f);
	return buf;
}

/* The matrix path once left the reproducer unset and printed "(null)". */
static void test_unset_reproducer_is_never_null(void **state)
{
	(void)state;
	struct conform_run run;
	make_run(&run);
	char *out = table_of(&run);
	assert_null(strstr(out, "(null)"));
	assert_non_null(strstr(out, "edge: reproduce with: snapfork check\n"));
	assert_null(strstr(out, "qemu-raw: reproduce"));
	free(out);
	conform_run_free(&run);
}

static void test_check_reproducer_names_the_fixture(void **state)
{
	(void)state;
	struct conform_run run;
	make_run(&run);
	snprintf(run.repro, sizeof run.repro, "snapfork check --fork-cmd 'x {src} {dst}'");
	run.repro_fixture = 1;
	char *out = table_of(&run);
	assert_non_null(strstr(out, "edge: reproduce with: snapfork check --fork-cmd 'x {src} "
				    "{dst}' --fixture edge --keep\n"));
	assert_non_null(strstr(out, "disk.raw: mode: expected 0640, found 0644"));
	assert_non_null(strstr(out, "1 FAIL"));
	free(out);
	conform_run_free(&run);
}

static void test_matrix_reproducer_reruns_the_leg(void **state)
{
	(void)state;
	struct conform_run run;
	make_run(&run);
	snprintf(run.repro, sizeof run.repro, "snapfork matrix --legs tmpfs");
	char *out = table_of(&run);
	assert_non_null(strstr(out, "edge: reproduce with: snapfork matrix --legs tmpfs\n"));
	assert_null(strstr(out, "--fixture"));
	free(out);
	conform_run_free(&run);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = calloc(1, 1 << 16);
	fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	return buf;
}

/* Unset text fields (fork_desc, kernel) give empty values, not "(null)". */
static void test_reports_with_unset_fields(void **state)
{
	(void)state;
	char *dir = tt_scratch("reports");
	struct conform_run run;
	make_run(&run);
	assert_int_equal(conform_write_junit(&run, tt_p(dir, "r.xml")), 0);
	assert_int_equal(conform_write_json(&run, tt_p(dir, "r.json")), 0);
	char *x = slurp(tt_p(dir, "r.xml")), *j = slurp(tt_p(dir, "r.json"));
	assert_null(strstr(x, "(null)"));
	assert_non_null(strstr(x, "failures=\"1\""));
	assert_non_null(strstr(x, "<property name=\"fork\" value=\"\"/>"));
	assert_null(strstr(j, "(null)"));
	assert_non_null(strstr(j, "\"fixture\": \"qemu-raw\""));
	free(x);
	free(j);
	conform_run_free(&run);
	tt_rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unset_reproducer_is_never_null),
		cmocka_unit_test(test_check_reproducer_names_the_fixture),
		cmocka_unit_test(test_matrix_reproducer_reruns_the_leg),
		cmocka_unit_test(test_reports_with_unset_fields),
	};
	return cmocka_run_group_tests_name("reports", tests, NULL, NULL);
}
