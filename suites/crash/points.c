/* points.c - which kill points to try (crash.h).  Every one when they are
 * few enough.  Otherwise the ones where a fork's state changes shape come
 * first: the last rename (a publish: just before it DST must be absent,
 * just after complete) and its neighbours always, then the other renames
 * and links and theirs, evenly spaced when they alone are too many; then
 * the rest evenly spaced over what is left, from an offset the seed draws,
 * so two seeds try different points. */
#include <stdlib.h>
#include <string.h>

#include "crash.h"

static int shapes(const char *name)
{
	return name && (strncmp(name, "rename", 6) == 0 || strncmp(name, "link", 4) == 0 ||
			strncmp(name, "symlink", 7) == 0);
}

/* Take want more of the candidates (cand[k] set, not yet taken) evenly
 * spaced, the first at offset (0 to 1) of a stride. */
static size_t spread(unsigned char *take, const unsigned char *cand, unsigned total, size_t want,
		     double offset)
{
	unsigned *v = calloc(total, sizeof *v);
	size_t nv = 0, got = 0;
	if (!v)
		return 0;
	for (unsigned k = 1; k <= total; k++)
		if (cand[k] && !take[k])
			v[nv++] = k;
	double stride = want ? (double)nv / (double)want : 0, at = offset * stride;
	for (size_t i = 0; i < want && (size_t)at < nv; i++, at += stride, got++)
		take[v[(size_t)at]] = 1;
	free(v);
	return got;
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
	unsigned char *take = calloc(total + 2, 1), *cand = calloc(total + 2, 1);
	if (!take || !cand) {
		free(take);
		free(cand);
		return 0;
	}
	size_t chosen = 0;
	unsigned last = 0;
	for (unsigned k = 1; k <= total && names; k++)
		if (names[k - 1] && strncmp(names[k - 1], "rename", 6) == 0)
			last = k;
	for (unsigned k = last ? last - 1 : 1; last && k <= last + 1 && k <= total; k++)
		if (k >= 1 && chosen < max && !take[k])
			take[k] = 1, chosen++;
	for (unsigned k = 1; k <= total && names; k++)
		if (shapes(names[k - 1]))
			cand[k - 1] = cand[k] = cand[k + 1] = 1;
	cand[0] = 0;
	cand[total + 1] = 0;
	size_t shaped = 0;
	for (unsigned k = 1; k <= total; k++)
		shaped += cand[k] && !take[k];
	chosen += spread(take, cand, total, shaped < max - chosen ? shaped : max - chosen, 0.0);
	memset(cand, 1, total + 2);
	double offset = (double)(seed % 1000003u) / 1000003.0;
	spread(take, cand, total, max - chosen, offset);
	for (unsigned k = 1; k <= total && n < max; k++)
		if (take[k])
			out[n++] = k;
	free(take);
	free(cand);
	return n;
}
