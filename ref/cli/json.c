/* json.c - the commands' JSON output through jansson (see json.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

json_t *cli_json_strn(const char *s, size_t n)
{
	size_t len;
	char *clean = cli_utf8_sanitize(s, n, &len);
	if (!clean)
		return NULL;
	json_t *v = json_stringn(clean, len);
	free(clean);
	return v;
}

json_t *cli_json_str(const char *s)
{
	return s ? cli_json_strn(s, strlen(s)) : json_null();
}

json_t *cli_json_uint(uint64_t v)
{
	return json_integer(v > INT64_MAX ? INT64_MAX : (json_int_t)v);
}

void cli_json_set(json_t *obj, const char *key, json_t *value)
{
	json_object_set_new(obj, key, value); /* a NULL value is dropped, not leaked */
}

int cli_json_print(FILE *f, json_t *v)
{
	errno = 0;
	int r = !v					       ? -ENOMEM
		: json_dumpf(v, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0 ? 0
							       : -(errno ? errno : EIO);
	json_decref(v);
	if (r == 0 && fputc('\n', f) == EOF)
		r = -EIO;
	return r;
}

int cli_json_write_file(const char *path, json_t *v)
{
	FILE *f = cli_report_open(path);
	if (!f) {
		int e = errno;
		json_decref(v);
		return -e;
	}
	int r = cli_json_print(f, v), c = cli_fclose(f);
	return r < 0 ? r : c;
}
