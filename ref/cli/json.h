/* json.h - the commands' JSON output, built with jansson.
 *
 * jansson refuses a string that is not valid UTF-8 (json_string returns
 * NULL), and file names are arbitrary bytes.  cli_json_str first replaces
 * every byte that does not start a valid UTF-8 sequence with U+FFFD
 * (utf8.c, the one piece still written by hand), so every path appears
 * and the output always parses.
 */
#ifndef SNAPFORK_CLI_JSON_H
#define SNAPFORK_CLI_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

/* A JSON string of s (NULL: JSON null), invalid UTF-8 made U+FFFD. */
json_t *cli_json_str(const char *s);
json_t *cli_json_strn(const char *s, size_t n);
/* An unsigned count; jansson's integers stop at INT64_MAX, and so does this. */
json_t *cli_json_uint(uint64_t v);
/* obj[key] = value, taking the reference (jansson's _set_new). */
void cli_json_set(json_t *obj, const char *key, json_t *value);

/* v, indented by two, and a newline to f; v is released.  0 or -errno. */
int cli_json_print(FILE *f, json_t *v);
/* The same into a new file at path, closed with cli_fclose. */
int cli_json_write_file(const char *path, json_t *v);

/* The n bytes at s with each invalid UTF-8 byte replaced by U+FFFD
 * (overlong forms, surrogates and code points above U+10FFFF are
 * invalid); malloc'd and NUL-terminated, its length in *outlen; NULL
 * when out of memory. */
char *cli_utf8_sanitize(const char *s, size_t n, size_t *outlen);

#endif
