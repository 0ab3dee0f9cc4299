/* test_relpath.c - the walk's relative path: exact at every length, the
 * buffer grown across each boundary, pop and free leave it reusable.
 * The expected string is built here with snprintf, not by relpath.c;
 * realloc is wrapped (--wrap) to fail on demand.  (Off-by-one writes at a
 * boundary are the ASan build's to catch.) */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

static int fail_realloc;
void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n)
{
	return fail_realloc ? NULL : __real_realloc(p, n);
}

static void test_push_pop_exact(void **state)
{
	(void)state;
	struct relpath p = { 0 };
	size_t s0, s1, s2;
	assert_int_equal(relpath_push(&p, "a", &s0), 0);
	assert_string_equal(p.buf, "a");
	assert_int_equal(p.len, 1);
	assert_int_equal(relpath_push(&p, "bc", &s1), 0);
	assert_string_equal(p.buf, "a/bc");
	assert_int_equal(relpath_push(&p, "", &s2), 0); /* the snapshot root's own name */
	assert_string_equal(p.buf, "a/bc/");
	relpath_pop(&p, s2);
	assert_string_equal(p.buf, "a/bc");
	relpath_pop(&p, s1);
	assert_string_equal(p.buf, "a");
	assert_int_equal(p.len, 1);
	relpath_pop(&p, s0);
	assert_string_equal(p.buf, "");
	assert_int_equal(p.len, 0);
	assert_int_equal(relpath_push(&p, "d", &s0), 0); /* no leading slash after a pop to 0 */
	assert_string_equal(p.buf, "d");
	relpath_free(&p);
	assert_null(p.buf);
	assert_int_equal(p.len, 0);
	assert_int_equal(p.cap, 0);
	/* Freed, it starts again from nothing. */
	assert_int_equal(relpath_push(&p, "e", &s0), 0);
	assert_string_equal(p.buf, "e");
	assert_int_equal(s0, 0);
	relpath_free(&p);
	relpath_pop(&p, 0); /* popping a freed path is harmless */
}

/* Names of every length from 1 to 300, nested 40 deep each time: the
 * buffer crosses 256, 512, ... with the byte for '/' and the NUL exactly
 * at each boundary somewhere on the way. */
static void test_grows_across_every_boundary(void **state)
{
	(void)state;
	static char want[40 * 302], name[301];
	for (size_t n = 1; n <= 300; n++) {
		struct relpath p = { 0 };
		memset(name, 'a' + (int)(n % 26), n);
		name[n] = '\0';
		size_t len = 0, saved[40];
		want[0] = '\0';
		for (int depth = 0; depth < 40; depth++) {
			assert_int_equal(relpath_push(&p, name, &saved[depth]), 0);
			assert_int_equal(saved[depth], len);
			len += (size_t)snprintf(want + len, sizeof want - len, "%s%s",
						depth ? "/" : "", name);
			assert_int_equal(p.len, len);
			assert_string_equal(p.buf, want);
			assert_true(p.cap > p.len);
		}
		for (int depth = 39; depth >= 0; depth--) {
			relpath_pop(&p, saved[depth]);
			want[saved[depth]] = '\0';
			assert_string_equal(p.buf, want);
		}
		relpath_free(&p);
	}
}

/* Out of memory: -ENOMEM, and the path as it was. */
static void test_out_of_memory_keeps_the_path(void **state)
{
	(void)state;
	struct relpath p = { 0 };
	size_t s;
	fail_realloc = 1;
	assert_int_equal(relpath_push(&p, "a", &s), -ENOMEM);
	assert_null(p.buf);
	assert_int_equal(p.len, 0);
	fail_realloc = 0;
	assert_int_equal(relpath_push(&p, "a", &s), 0);
	static char big[300];
	memset(big, 'b', sizeof big - 1);
	fail_realloc = 1;
	assert_int_equal(relpath_push(&p, big, &s), -ENOMEM); /* past 256: grows */
	fail_realloc = 0;
	assert_string_equal(p.buf, "a");
	assert_int_equal(p.len, 1);
	assert_int_equal(p.cap, 256);
	relpath_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_pop_exact),
		cmocka_unit_test(test_grows_across_every_boundary),
		cmocka_unit_test(test_out_of_memory_keeps_the_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
