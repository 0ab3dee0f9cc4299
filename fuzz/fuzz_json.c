/* fuzz_json.c - the CLI's JSON writer emits what jansson parses, for any
 * bytes as a string, and keeps valid UTF-8 exactly. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jw j;
	jw_init(&j, f);
	jw_object_begin(&j, NULL);
	jw_string_n(&j, "k", (const char *)data, size);
	jw_array_begin(&j, "a");
	jw_string_n(&j, NULL, (const char *)data, size / 2);
	jw_array_end(&j);
	jw_object_end(&j);
	jw_finish(&j);
	fclose(f);
	json_error_t err;
	json_t *v = json_loadb(buf, len, JSON_ALLOW_NUL, &err);
	if (!v) {
		fprintf(stderr, "INVALID JSON: %s\n%s\n", err.text, buf);
		abort();
	}
	/* Bytes that were valid UTF-8 come back unchanged. */
	json_t *s = json_object_get(v, "k");
	json_t *probe = json_stringn((const char *)data, size);
	if (probe && (json_string_length(s) != size || memcmp(json_string_value(s), data, size) != 0)) {
		fprintf(stderr, "valid UTF-8 changed on the way\n");
		abort();
	}
	json_decref(probe);
	json_decref(v);
	free(buf);
	return 0;
}
