/* points.c - which kill points to try (crash.h).  Every one when they are
 * few enough; otherwise the ones where a fork's state changes shape (each
 * rename and link, and its neighbours: just before and just after a
 * publish) and the rest evenly spaced, from an offset the seed draws, so
 * two seeds try different points. */
#include <stdlib.h>
#include <string.h>

#include "crash.h"

static int shapes(const char *name)
{
	return name && (strncmp(name, "rename", 6) == 0 || strncmp(name, "link", 4) == 0 ||
			strncmp(name, "symlink", 7) == 0);
}

static int cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
	return x < y ? -1 : x > y;
}

size_t crash_points(unsigned total, const char *const *names, unsigned max, uint64_t seed,
		    unsigned *out)
{
	size_t n = 0;
	if (total <= max) {
		for (unsigned k = 1; k <= total; k++)
			out[n++] = k;
		return n;
	}
	unsigned char *take = calloc(total + 2, 1);
	if (!take)
		return 0;
	for (unsigned k = 1; k <= total && names; k++)
		if (shapes(names[k - 1]))
			take[k - 1] = take[k] = take[k + 1] = 1;
	size_t chosen = 0;
	for (unsigned k = 1; k <= total; k++)
		chosen += take[k];
	/* The rest evenly spaced over the points not taken, from an offset
	 * the seed draws: exactly max in all. */
	unsigned *rest = chosen < max ? calloc(total, sizeof *rest) : NULL;
	if (rest) {
		size_t nr = 0;
		for (unsigned k = 1; k <= total; k++)
			if (!take[k])
				rest[nr++] = k;
		size_t left = max - chosen;
		double stride = (double)nr / (double)left;
		double at = (double)(seed % 1000003u) / 1000003.0 * stride;
		for (size_t i = 0; i < left && (size_t)at < nr; i++, at += stride)
			take[rest[(size_t)at]] = 1;
		free(rest);
	}
	for (unsigned k = 1; k <= total && n < max; k++)
		if (take[k])
			out[n++] = k;
	free(take);
	qsort(out, n, sizeof *out, cmp);
	return n;
}
