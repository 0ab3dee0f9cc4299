/* json.c - see json.h. */
#include <inttypes.h>
#include <string.h>

#include "json.h"

void jw_init(struct jw *j, FILE *f)
{
	memset(j, 0, sizeof *j);
	j->f = f;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid.
 * Rejects overlong forms, surrogates and code points above U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned min, cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2, min = 0x80, cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3, min = 0x800, cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4, min = 0x10000, cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_string(FILE *f, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c == '"' || c == '\\') {
			fputc('\\', f);
			fputc(c, f);
			i++;
		} else if (c < 0x20) {
			static const char short_esc[] = {
				['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'
			};
			if (c < sizeof short_esc && short_esc[c])
				fprintf(f, "\\%c", short_esc[c]);
			else
				fprintf(f, "\\u%04x", c);
			i++;
		} else {
			size_t len = utf8_len(s + i, n - i);
			if (len == 0) {
				fputs("\\ufffd", f);
				i++;
			} else {
				fwrite(s + i, 1, len, f);
				i += len;
			}
		}
	}
	fputc('"', f);
}

static void key(struct jw *j, const char *k)
{
	if (j->depth > 0 && j->count[j->depth]++ > 0)
		fputc(',', j->f);
	if (j->depth > 0) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	if (k) {
		put_string(j->f, k, strlen(k));
		fputs(": ", j->f);
	}
}

static void open_(struct jw *j, const char *k, char c)
{
	key(j, k);
	fputc(c, j->f);
	if (j->depth + 1 < JW_MAX_DEPTH)
		j->count[++j->depth] = 0;
}

static void close_(struct jw *j, char c)
{
	int had = j->count[j->depth] > 0;
	j->depth--;
	if (had) {
		fputc('\n', j->f);
		for (int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	fputc(c, j->f);
}

void jw_object_begin(struct jw *j, const char *k)
{
	open_(j, k, '{');
}
void jw_object_end(struct jw *j)
{
	close_(j, '}');
}
void jw_array_begin(struct jw *j, const char *k)
{
	open_(j, k, '[');
}
void jw_array_end(struct jw *j)
{
	close_(j, ']');
}

void jw_string_n(struct jw *j, const char *k, const char *v, size_t len)
{
	key(j, k);
	put_string(j->f, v, len);
}

void jw_string(struct jw *j, const char *k, const char *v)
{
	if (!v) {
		key(j, k);
		fputs("null", j->f);
		return;
	}
	jw_string_n(j, k, v, strlen(v));
}

void jw_uint(struct jw *j, const char *k, uint64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRIu64, v);
}

void jw_int(struct jw *j, const char *k, int64_t v)
{
	key(j, k);
	fprintf(j->f, "%" PRId64, v);
}

void jw_bool(struct jw *j, const char *k, int v)
{
	key(j, k);
	fputs(v ? "true" : "false", j->f);
}

void jw_finish(struct jw *j)
{
	fputc('\n', j->f); /* the caller's fclose (or exit) flushes */
}
