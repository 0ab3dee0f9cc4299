/* expect.c - what the fork of a snapshot must contain, read straight from
 * CONTRACT.md ("Skip rules", "The mem-file", "Snapshot kinds"). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"

/* CONTRACT.md, skip rules: sockets anywhere; the directory "logs" directly
 * in the root (and so all below it); regular files whose name ends in
 * ".lz4.tmp" or ".zst.tmp". */
int judge_skipped_by_contract(const char *rel, mode_t mode)
{
	const char *slash = strrchr(rel, '/');
	const char *name = slash ? slash + 1 : rel;
	size_t n = strlen(name);
	if (S_ISSOCK(mode))
		return 1;
	if (S_ISDIR(mode) && strcmp(rel, "logs") == 0)
		return 1;
	if (S_ISREG(mode) && n >= 8 &&
	    (strcmp(name + n - 8, ".lz4.tmp") == 0 || strcmp(name + n - 8, ".zst.tmp") == 0))
		return 1;
	return 0;
}

/* Is rel equal to, or below, prefix? */
static int under(const char *rel, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(rel, prefix, n) == 0 && (rel[n] == '\0' || rel[n] == '/');
}

static int caller_skips(const char *rel, const char *const *skip)
{
	for (; skip && *skip; skip++) {
		const char *s = *skip;
		while (s[0] == '.' && s[1] == '/')
			s += 2;
		while (*s == '/')
			s++;
		char buf[4096];
		snprintf(buf, sizeof buf, "%s", s);
		size_t n = strlen(buf);
		while (n > 0 && buf[n - 1] == '/')
			buf[--n] = '\0';
		if (n && under(rel, buf))
			return 1;
	}
	return 0;
}

/* CONTRACT.md, the mem-file: the first of these that is a regular file
 * reached without a symlink (a tree entry at that path is, by how the
 * tree is read); failing that, the first "<name>.zst" or "<name>.lz4". */
static const char *const mem_names[] = {
	"memory-ranges",
	"memory",
	"snapshots/snapshot-latest/memory-ranges",
	"snapshots/snapshot-latest/memory",
};

static const struct judge_entry *kept_regular(const struct judge_tree *t, const struct judge_expect *x,
					    const char *rel)
{
	const struct judge_entry *e = judge_tree_find(t, rel);
	if (!e || !S_ISREG(e->mode) || !x->keep[e - t->e])
		return NULL;
	return e;
}

int judge_expect(const struct judge_tree *snap, const char *const *skip, struct judge_expect *x)
{
	memset(x, 0, sizeof *x);
	x->keep = calloc(snap->n ? snap->n : 1, 1);
	if (!x->keep)
		return -ENOMEM;
	/* A parent's path sorts before its children's, so its verdict is
	 * known when a child is reached: below a skipped directory, nothing
	 * is kept (and only the directory counts as skipped). */
	for (size_t i = 0; i < snap->n; i++) {
		const struct judge_entry *e = &snap->e[i];
		const char *slash = strrchr(e->rel, '/');
		if (slash) {
			char *parent = strndup(e->rel, (size_t)(slash - e->rel));
			if (!parent)
				return -ENOMEM;
			const struct judge_entry *p = judge_tree_find(snap, parent);
			free(parent);
			if (!p || !x->keep[p - snap->e])
				continue;
		}
		if (judge_skipped_by_contract(e->rel, e->mode) || caller_skips(e->rel, skip)) {
			x->skipped++;
			continue;
		}
		x->keep[i] = 1;
	}
	x->kind = JUDGE_MEMORYLESS;
	for (size_t i = 0; i < 4 && x->kind == JUDGE_MEMORYLESS; i++) {
		if ((x->mem = kept_regular(snap, x, mem_names[i]))) {
			x->kind = JUDGE_RAW;
			x->raw_rel = mem_names[i];
		}
	}
	for (size_t i = 0; i < 4 && x->kind == JUDGE_MEMORYLESS; i++) {
		static const char *const sfx[] = { ".zst", ".lz4" };
		for (size_t j = 0; j < 2 && x->kind == JUDGE_MEMORYLESS; j++) {
			char rel[64];
			snprintf(rel, sizeof rel, "%s%s", mem_names[i], sfx[j]);
			if ((x->mem = kept_regular(snap, x, rel))) {
				x->kind = JUDGE_COMPRESSED;
				x->raw_rel = mem_names[i];
			}
		}
	}
	return 0;
}

void judge_expect_free(struct judge_expect *x)
{
	free(x->keep);
	memset(x, 0, sizeof *x);
}
