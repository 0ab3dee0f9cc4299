/* result.c - violations and the rule table of CONTRACT.md. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "judge.h"

static const struct {
	const char *title;
	int should;
} rules[] = {
	[1] = { "tree equals the snapshot minus skipped entries", 0 },
	[2] = { "contents, symlink targets and modes equal", 0 },
	[3] = { "copied files have their own inode", 0 },
	[4] = { "raw mem-file shares the snapshot's inode", 0 },
	[5] = { "holes stay holes", 0 },
	[6] = { "snapshot untouched", 0 },
	[7] = { "MAP_PRIVATE writes stay private", 0 },
	[8] = { "deleting the snapshot keeps the fork's memory", 0 },
	[9] = { "compressed-only yields a restorable memory", 0 },
	[10] = { "memoryless yields no mem-file", 0 },
	[11] = { "a mem-file copied, holes kept, the fallback reported", 0 },
	[12] = { "forks share the mem-file's page cache", 1 },
	[13] = { "a fork adds DST to its parent and nothing else", 0 },
	[14] = { "a fork is finished when it returns", 0 },
};

int judge_rule_is_should(int rule)
{
	return rule > 0 && rule <= JUDGE_RULES && rules[rule].should;
}

const char *judge_rule_title(int rule)
{
	return rule > 0 && rule <= JUDGE_RULES ? rules[rule].title : "unknown rule";
}

void judge_fail(struct judge_result *r, int rule, const char *path, const char *fmt, ...)
{
	r->failed |= 1u << rule;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct judge_violation *v = realloc(r->v, cap * sizeof *v);
		if (!v)
			return; /* the bit above still records the failure */
		r->v = v;
		r->cap = cap;
	}
	struct judge_violation *v = &r->v[r->n];
	snprintf(v->rule, sizeof v->rule, "F%d", rule);
	v->path = strdup(path);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&v->what, fmt, ap) < 0)
		v->what = NULL;
	va_end(ap);
	if (v->path && v->what)
		r->n++;
	else {
		free(v->path);
		free(v->what);
	}
}

void judge_skip(struct judge_result *r, int rule, const char *fmt, ...)
{
	r->skipped |= 1u << rule;
	if (rule < 0 || rule > JUDGE_RULES || r->skip_reason[rule])
		return;
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&r->skip_reason[rule], fmt, ap) < 0)
		r->skip_reason[rule] = NULL;
	va_end(ap);
}

void judge_result_free(struct judge_result *r)
{
	for (int i = 0; i <= JUDGE_RULES; i++)
		free(r->skip_reason[i]);
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].path);
		free(r->v[i].what);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}
