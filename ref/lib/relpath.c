/* relpath.c - the walk's current relative path, for error reports only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int relpath_push(struct relpath *p, const char *name, size_t *saved)
{
	size_t n = strlen(name);
	size_t need = p->len + (p->len ? 1 : 0) + n + 1;

	if (need > p->cap) {
		size_t cap = p->cap ? p->cap : 256;
		while (cap < need)
			cap *= 2;
		char *b = realloc(p->buf, cap);
		if (!b)
			return -ENOMEM;
		p->buf = b;
		p->cap = cap;
	}
	*saved = p->len;
	if (p->len)
		p->buf[p->len++] = '/';
	memcpy(p->buf + p->len, name, n + 1);
	p->len += n;
	return 0;
}

void relpath_pop(struct relpath *p, size_t saved)
{
	p->len = saved;
	if (p->buf)
		p->buf[saved] = '\0';
}

void relpath_free(struct relpath *p)
{
	free(p->buf);
	p->buf = NULL;
	p->len = p->cap = 0;
}
