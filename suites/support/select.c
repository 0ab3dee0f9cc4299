/* select.c - every cmocka group in the suites goes through here (linked
 * with -Wl,--wrap=_cmocka_run_group_tests): with SNAPFORK_TEST_LIST set
 * a test binary prints its tests' names and runs none; with
 * SNAPFORK_TEST_FILTER=NAME it runs only the test of that name, and a
 * group without it (its setup included: test_copy's makes an xfs and a
 * btrfs) not at all.  coverage/mutate judges a mutant with only the tests
 * that reach its line (coverage/testmap.py), a second each instead of
 * the whole binary. */
#include <setjmp.h> /* cmocka.h needs these first */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

int __real__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
				   const size_t num_tests, CMFixtureFunction group_setup,
				   CMFixtureFunction group_teardown);
int __wrap__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
				   const size_t num_tests, CMFixtureFunction group_setup,
				   CMFixtureFunction group_teardown);

int __wrap__cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *const tests,
				   const size_t num_tests, CMFixtureFunction group_setup,
				   CMFixtureFunction group_teardown)
{
	const char *only = getenv("SNAPFORK_TEST_FILTER");
	if (getenv("SNAPFORK_TEST_LIST")) {
		for (size_t i = 0; i < num_tests; i++)
			printf("snapfork-test-unit: %s\n", tests[i].name);
		fflush(stdout);
		return 0;
	}
	if (only && *only) {
		size_t i = 0;
		while (i < num_tests && strcmp(tests[i].name, only) != 0)
			i++;
		if (i == num_tests)
			return 0;
		/* cmocka's filter is a glob; our test names hold no glob
		 * characters (a test would fail the testmap's listing check). */
		cmocka_set_test_filter(only);
	}
	return __real__cmocka_run_group_tests(group_name, tests, num_tests, group_setup,
					      group_teardown);
}
