/* json.h - a small streaming JSON writer for the CLI's --json output.
 *
 * Hand-written rather than jansson/json-c: those either reject invalid
 * UTF-8 (jansson) or pass it through and emit invalid JSON (json-c), and
 * file names are arbitrary bytes.  Here every byte sequence that is not
 * valid UTF-8 becomes U+FFFD, so the output always parses.
 */
#ifndef SNAPFORK_JSON_H
#define SNAPFORK_JSON_H

#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json {
	FILE *f;
	int depth;
	int count[JSON_MAX_DEPTH];
};

void json_init(struct json *j, FILE *f);
/* key is NULL inside arrays and at the top level. */
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value); /* NULL: null */
void json_string_n(struct json *j, const char *key, const char *value, size_t len);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_int(struct json *j, const char *key, int64_t value);
void json_bool(struct json *j, const char *key, int value);
/* Ends the document with a newline. */
void json_finish(struct json *j);

#endif
