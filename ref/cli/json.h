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

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;
	int depth;
	int count[JW_MAX_DEPTH];
};

void jw_init(struct jw *j, FILE *f);
/* key is NULL inside arrays and at the top level. */
void jw_object_begin(struct jw *j, const char *key);
void jw_object_end(struct jw *j);
void jw_array_begin(struct jw *j, const char *key);
void jw_array_end(struct jw *j);
void jw_string(struct jw *j, const char *key, const char *value); /* NULL: null */
void jw_string_n(struct jw *j, const char *key, const char *value, size_t len);
void jw_uint(struct jw *j, const char *key, uint64_t value);
void jw_int(struct jw *j, const char *key, int64_t value);
void jw_bool(struct jw *j, const char *key, int value);
/* Ends the document with a newline. */
void jw_finish(struct jw *j);

#endif
