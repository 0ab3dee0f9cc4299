/* links.c - the link count of every regular file of a snapshot (crash.h),
 * to see that once a killed fork's leftovers and DST are gone, no file of
 * SRC keeps a link more than it had: a link left in debris would keep the
 * snapshot's inode (the mem-file, gigabytes) alive after it is deleted.
 * Every file, not the mem-file alone: the checker finds no mem-file of its
 * own, and a fork may link more than it should. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"

static struct crash_links *cur;

static int one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)f;
	if (flag != FTW_F || !S_ISREG(st->st_mode))
		return 0;
	if (cur->n == cur->cap) {
		size_t cap = cur->cap ? 2 * cur->cap : 64;
		struct crash_link *v = realloc(cur->v, cap * sizeof *v);
		if (!v)
			return -1;
		cur->v = v;
		cur->cap = cap;
	}
	char *p = strdup(path + cur->skip);
	if (!p)
		return -1;
	cur->v[cur->n++] = (struct crash_link){ st->st_dev, st->st_ino, st->st_nlink, p };
	return 0;
}

static int by_inode(const void *a, const void *b)
{
	const struct crash_link *x = a, *y = b;
	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

int crash_links_take(const char *dir, struct crash_links *l)
{
	memset(l, 0, sizeof *l);
	l->skip = strlen(dir) + 1;
	cur = l;
	int r = nftw(dir, one, 64, FTW_PHYS | FTW_MOUNT) == 0 ? 0 : errno ? -errno : -ENOMEM;
	cur = NULL;
	if (r == 0 && l->n)
		qsort(l->v, l->n, sizeof *l->v, by_inode); /* for bsearch */
	return r;
}

int crash_links_differ(const struct crash_links *before, const struct crash_links *after,
		       char *what, size_t len)
{
	for (size_t i = 0; i < after->n && before->n; i++) {
		const struct crash_link *b =
			bsearch(&after->v[i], before->v, before->n, sizeof *before->v, by_inode);
		if (b && b->nlink != after->v[i].nlink)
			return snprintf(what, len,
					"SRC's %s has %lu links once DST and the leftovers are "
					"gone, "
					"%lu before the fork",
					b->path, (unsigned long)after->v[i].nlink,
					(unsigned long)b->nlink),
			       1;
	}
	return 0;
}

void crash_links_free(struct crash_links *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].path);
	free(l->v);
	memset(l, 0, sizeof *l);
}
