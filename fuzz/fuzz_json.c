/* fuzz_json.c - what is still hand-written of the commands' JSON: the
 * UTF-8 repair before jansson (ref/cli/utf8.c).  For any bytes, the
 * result is valid UTF-8 that jansson accepts, dumps and parses back;
 * bytes that were valid UTF-8 come back unchanged. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len;
	char *clean = cli_utf8_sanitize((const char *)data, size, &len);
	if (!clean)
		return 0;
	json_t *s = json_stringn(clean, len);
	if (!s) {
		fprintf(stderr, "INVALID: jansson refused the repaired string\n");
		abort();
	}
	char *dumped = json_dumps(s, JSON_ENCODE_ANY);
	json_error_t err;
	json_t *back = dumped ? json_loads(dumped, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err) : NULL;
	if (!back || json_string_length(back) != len ||
	    memcmp(json_string_value(back), clean, len) != 0) {
		fprintf(stderr, "INVALID: the string did not round-trip\n");
		abort();
	}
	json_t *probe = json_stringn((const char *)data, size);
	if (probe && (len != size || memcmp(clean, data, size) != 0)) {
		fprintf(stderr, "valid UTF-8 changed on the way\n");
		abort();
	}
	json_decref(probe);
	json_decref(back);
	free(dumped);
	json_decref(s);
	free(clean);
	return 0;
}
