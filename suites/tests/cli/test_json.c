/* test_json.c - the CLI's JSON writer always emits what a real parser
 * (jansson) accepts, with the values it was given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "json.h"

static json_t *parse(char *buf)
{
	json_error_t err;
	json_t *v = json_loads(buf, 0, &err);
	if (!v)
		fail_msg("invalid JSON at line %d: %s\n%s", err.line, err.text, buf);
	return v;
}

static void test_nested_values_round_trip(void **state)
{
	(void)state;
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	struct jw j;
	jw_init(&j, f);
	jw_object_begin(&j, NULL);
	jw_string(&j, "s", "plain");
	jw_uint(&j, "big", (uint64_t)1 << 62); /* jansson stops at INT64_MAX */
	jw_int(&j, "neg", -5);
	jw_bool(&j, "t", 1);
	jw_string(&j, "null", NULL);
	jw_array_begin(&j, "empty");
	jw_array_end(&j);
	jw_array_begin(&j, "list");
	jw_uint(&j, NULL, 1);
	jw_object_begin(&j, NULL);
	jw_string(&j, "k", "v");
	jw_object_end(&j);
	jw_array_end(&j);
	jw_object_begin(&j, "obj");
	jw_object_end(&j);
	jw_object_end(&j);
	jw_finish(&j);
	fclose(f);
	json_t *v = parse(buf);
	assert_string_equal(json_string_value(json_object_get(v, "s")), "plain");
	assert_int_equal(json_integer_value(json_object_get(v, "neg")), -5);
	assert_true(json_integer_value(json_object_get(v, "big")) == (json_int_t)1 << 62);
	assert_true(json_is_true(json_object_get(v, "t")));
	assert_true(json_is_null(json_object_get(v, "null")));
	assert_int_equal(json_array_size(json_object_get(v, "empty")), 0);
	assert_int_equal(json_array_size(json_object_get(v, "list")), 2);
	json_decref(v);
	free(buf);
}

static void test_strings_escape_and_repair(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
		{ "q\"b\\s", 5, "q\"b\\s" },
		{ "nl\n\t\r\b\f", 7, "nl\n\t\r\b\f" },
		{ "\x01\x1f", 2, "\x01\x1f" },
		{ "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", 15,
		  "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80" },
		{ "bad\xff\xfe", 5, "bad\xef\xbf\xbd\xef\xbf\xbd" },
		{ "over\xc0\xaf", 6, "over\xef\xbf\xbd\xef\xbf\xbd" }, /* overlong '/' */
		{ "sur\xed\xa0\x80", 6, "sur\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* surrogate */
		{ "cut\xe6\x97", 5, "cut\xef\xbf\xbd\xef\xbf\xbd" },                 /* truncated */
		{ "mid\xc3(x", 6, "mid\xef\xbf\xbd(x" }, /* lead byte, then no continuation */
		{ "big\xf4\x90\x80\x80", 7,
		  "big\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* above U+10FFFF */
		{ "nul\0mid", 7, NULL },                                   /* embedded NUL */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *buf;
		size_t len;
		FILE *f = open_memstream(&buf, &len);
		struct jw j;
		jw_init(&j, f);
		jw_object_begin(&j, NULL);
		jw_string_n(&j, "k", cases[i].in, cases[i].n);
		jw_object_end(&j);
		jw_finish(&j);
		fclose(f);
		json_error_t err;
		json_t *v = json_loads(buf, JSON_ALLOW_NUL, &err);
		if (!v)
			fail_msg("case %zu: invalid JSON: %s\n%s", i, err.text, buf);
		json_t *s = json_object_get(v, "k");
		if (cases[i].out)
			assert_string_equal(json_string_value(s), cases[i].out);
		else
			assert_int_equal(json_string_length(s), cases[i].n);
		json_decref(v);
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_values_round_trip),
		cmocka_unit_test(test_strings_escape_and_repair),
	};
	return cmocka_run_group_tests_name("json writer", tests, NULL, NULL);
}
