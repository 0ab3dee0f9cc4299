/* row.c - one generated layout as a row of the conformance check: the
 * layout is built where a fixture would be extracted, then judged as any
 * fixture row (or as a refusal row when the contract refuses it).  Used
 * by the generator and the shrinker alike. */
#include <limits.h>
#include <stdio.h>

#include "check.h"

static int build_hook(void *ctx, const struct fixture *f, const char *dir, char *err, size_t len)
{
	(void)f;
	char snap[PATH_MAX];
	snprintf(snap, sizeof snap, "%s/snap", dir);
	return layout_build(ctx, snap, err, len);
}

int check_layout_row(const struct conform_setup *c, const struct layout *l, const char *name,
		     struct conform_row *row, char *err, size_t len)
{
	struct conform_hooks hooks = { .ctx = (void *)l, .extract = build_hook };
	struct conform_setup lc = *c;
	lc.hooks = &hooks;
	struct fixture f = { .name = (char *)name,
			     .umask = (int)l->umask,
			     .refused = layout_refused(l) };
	return f.refused ? conform_refusal(&lc, &f, row, err, len)
			 : conform_fixture(&lc, &f, row, err, len);
}
