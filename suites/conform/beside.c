/* beside.c - F13: what a fork leaves in DST's parent.  A failed fork
 * leaves it as it was (no DST, no staging debris); a successful one adds
 * DST and nothing else (no staging left, no lock or log file beside it).
 * Judged from the names alone: the parent is a scratch directory of the
 * check, so any other change there is the fork's. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "steps.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void conform_beside_free(struct conform_beside *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->name[i]);
	free(b->name);
	memset(b, 0, sizeof *b);
}

/* The names in dir, sorted; 0 or -errno (an unreadable parent judges
 * nothing). */
static int names_of(const char *dir, struct conform_beside *b)
{
	memset(b, 0, sizeof *b);
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	size_t cap = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (b->n == cap) {
			char **more = realloc(b->name, (cap = cap ? 2 * cap : 16) * sizeof *more);
			if (!more)
				break;
			b->name = more;
		}
		if (!(b->name[b->n] = strdup(e->d_name)))
			break;
		b->n++;
	}
	closedir(d);
	if (b->n) /* an empty directory: no array at all (qsort's base is nonnull) */
		qsort(b->name, b->n, sizeof *b->name, by_name);
	return 0;
}

int conform_beside_take(const char *parent, struct conform_beside *b)
{
	int r = names_of(parent, b);
	b->bad = r < 0;
	return r;
}

/* The names of a missing from b and not among skip[0..nskip), joined
 * with ", " into s. */
static void missing(const struct conform_beside *a, const struct conform_beside *b,
		    const char *const *skip, size_t nskip, char *s, size_t len)
{
	size_t k = 0;
	s[0] = '\0';
	for (size_t i = 0; i < a->n && k < len; i++) {
		int allowed = 0;
		for (size_t j = 0; j < nskip && !allowed; j++)
			allowed = !strcmp(a->name[i], skip[j]);
		if (allowed || (b->n && bsearch(&a->name[i], b->name, b->n, sizeof *b->name, by_name)))
			continue;
		k += (size_t)snprintf(s + k, len - k, "%s%s", k ? ", " : "", a->name[i]);
	}
}

static const char *base_of(const char *p)
{
	const char *slash = strrchr(p, '/');
	return slash ? slash + 1 : p;
}

void conform_beside_judge(const struct conform_beside *before, const char *const *dst,
			  const int *ok, size_t n, struct judge_result *res)
{
	char parent[4096];
	const char *slash = strrchr(dst[0], '/');
	snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - dst[0]) : 1,
		 slash ? dst[0] : ".");
	const char *made[CONFORM_MAX_K];
	size_t nmade = 0, nok = 0;
	struct stat st;
	res->checked |= 1u << 13;
	for (size_t i = 0; i < n && i < CONFORM_MAX_K; i++) {
		int there = lstat(dst[i], &st) == 0;
		nok += ok[i] != 0;
		if (ok[i] && !there)
			judge_fail(res, 13, dst[i], "the fork returned success but DST does not exist");
		/* A DST another fork made (two racing into one) is no debris. */
		int shared = 0;
		for (size_t j = 0; j < n && !shared; j++)
			shared = j != i && !strcmp(dst[j], dst[i]);
		if (there && (ok[i] || shared))
			made[nmade++] = base_of(dst[i]);
		if (!ok[i] && there && !shared && n > 1)
			judge_fail(res, 13, dst[i], "DST exists after a failed fork");
		if (!ok[i] && there && n == 1)
			judge_fail(res, 13, dst[i], "DST exists after a failed fork");
	}
	if (before->bad)
		return; /* not listed before the fork: nothing to compare */
	struct conform_beside after;
	int r = names_of(parent, &after);
	if (r < 0) {
		judge_fail(res, 13, parent, "cannot list DST's parent after the fork: %s",
			   strerror(-r));
		return;
	}
	char added[1024], gone[1024];
	missing(&after, before, made, nmade, added, sizeof added);
	missing(before, &after, NULL, 0, gone, sizeof gone);
	if (added[0])
		judge_fail(res, 13, parent, "%s left beside DST: %s",
			   nok == n ? n > 1 ? "the successful forks" : "a successful fork"
				    : nok ? "the forks" : "a failed fork",
			   added);
	if (gone[0])
		judge_fail(res, 13, parent, "the fork removed from DST's parent: %s", gone);
	conform_beside_free(&after);
}
