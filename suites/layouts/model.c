/* model.c - a layout as a value: freeing, copying, counting, and what
 * the contract says of it as a whole (refused or not). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "judge.h"
#include "layout.h"

void layout_free(struct layout *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->e[i].path);
		free(l->e[i].target);
	}
	free(l->e);
	free(l->hit);
	memset(l, 0, sizeof *l);
}

int layout_copy(const struct layout *from, struct layout *to)
{
	*to = *from;
	to->e = calloc(from->n ? from->n : 1, sizeof *to->e);
	to->hit = calloc(layout_ndims(), 1);
	to->cap = from->n;
	to->n = 0;
	if (!to->e || !to->hit) {
		layout_free(to);
		return -ENOMEM;
	}
	memcpy(to->hit, from->hit, layout_ndims());
	for (size_t i = 0; i < from->n; i++) {
		struct layout_entry *e = &to->e[i];
		*e = from->e[i];
		e->path = strdup(from->e[i].path);
		e->target = from->e[i].target ? strdup(from->e[i].target) : NULL;
		to->n = i + 1;
		if (!e->path || (from->e[i].target && !e->target)) {
			layout_free(to);
			return -ENOMEM;
		}
	}
	return 0;
}

size_t layout_count(const struct layout *l)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		n += !l->e[i].gone;
	return n;
}

static mode_t type_mode(enum layout_type t)
{
	static const mode_t m[] = {
		[LT_DIR] = S_IFDIR,      [LT_REG] = S_IFREG,   [LT_SYMLINK] = S_IFLNK,
		[LT_HARDLINK] = S_IFREG, [LT_SOCK] = S_IFSOCK, [LT_FIFO] = S_IFIFO,
		[LT_CHR] = S_IFCHR,      [LT_BLK] = S_IFBLK
	};
	return m[t];
}

/* Is path, or a directory above it, skipped by the contract?  The judge's
 * reading of the skip rules decides, not the reference library's. */
static int skipped(const struct layout *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct layout_entry *e = &l->e[i];
		size_t n = strlen(e->path);
		if (!e->gone && e->type == LT_DIR && strncmp(path, e->path, n) == 0 &&
		    path[n] == '/' && judge_skipped_by_contract(e->path, S_IFDIR))
			return 1;
	}
	return 0;
}

int layout_refused(const struct layout *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct layout_entry *e = &l->e[i];
		if (!e->gone && (e->type == LT_FIFO || e->type == LT_CHR || e->type == LT_BLK) &&
		    !judge_skipped_by_contract(e->path, type_mode(e->type)) && !skipped(l, e->path))
			return 1;
	}
	return 0;
}
