/* test_json.c - the commands' JSON output (jansson, file names made valid
 * UTF-8 first) always parses, with the values it was given. */
#include <errno.h>
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
	json_t *v = json_loads(buf, JSON_ALLOW_NUL, &err);
	if (!v)
		fail_msg("invalid JSON at line %d: %s\n%s", err.line, err.text, buf);
	return v;
}

/* What cli_json_print wrote for v, as a string. */
static char *printed(json_t *v)
{
	char *buf;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(cli_json_print(f, v), 0);
	fclose(f);
	assert_true(len > 0 && buf[len - 1] == '\n');
	return buf;
}

static void test_values_round_trip(void **state)
{
	(void)state;
	json_t *o = json_object(), *list = json_array();
	cli_json_set(o, "s", cli_json_str("plain"));
	cli_json_set(o, "big", cli_json_uint((uint64_t)1 << 62));
	cli_json_set(o, "huge", cli_json_uint(UINT64_MAX)); /* jansson stops at INT64_MAX */
	cli_json_set(o, "neg", json_integer(-5));
	cli_json_set(o, "t", json_true());
	cli_json_set(o, "null", cli_json_str(NULL));
	cli_json_set(o, "empty", json_array());
	json_array_append_new(list, cli_json_uint(1));
	cli_json_set(o, "list", list);
	char *buf = printed(o);
	/* Two-space indentation, keys in the order they were set. */
	assert_non_null(strstr(buf, "{\n  \"s\": \"plain\",\n  \"big\": "));
	json_t *v = parse(buf);
	assert_string_equal(json_string_value(json_object_get(v, "s")), "plain");
	assert_int_equal(json_integer_value(json_object_get(v, "neg")), -5);
	assert_true(json_integer_value(json_object_get(v, "big")) == (json_int_t)1 << 62);
	assert_true(json_integer_value(json_object_get(v, "huge")) == INT64_MAX);
	assert_true(json_is_true(json_object_get(v, "t")));
	assert_true(json_is_null(json_object_get(v, "null")));
	assert_int_equal(json_array_size(json_object_get(v, "empty")), 0);
	assert_int_equal(json_array_size(json_object_get(v, "list")), 1);
	json_decref(v);
	free(buf);
}

/* A report file that cannot be written is an error, not a silent loss. */
static void test_write_file_reports_errors(void **state)
{
	(void)state;
	assert_int_equal(cli_json_write_file("/nonexistent/r.json", json_object()), -ENOENT);
	assert_int_equal(cli_json_write_file("/dev/full", json_object()), -ENOSPC);
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
		json_t *o = json_object();
		cli_json_set(o, "k", cli_json_strn(cases[i].in, cases[i].n));
		char *buf = printed(o);
		json_t *v = parse(buf);
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
		cmocka_unit_test(test_values_round_trip),
		cmocka_unit_test(test_strings_escape_and_repair),
		cmocka_unit_test(test_write_file_reports_errors),
	};
	return cmocka_run_group_tests_name("json output", tests, NULL, NULL);
}
