/* row.c - one generated layout as a row of the conformance check: the
 * layout is built where a fixture would be extracted, then judged as any
 * fixture row (or as a refusal row when the contract refuses it), with
 * the layout's forks at once and place.  Used by the generator and the
 * shrinker alike. */
#include <stdio.h>
#include <string.h>

#include "check.h"

static int build_hook(void *ctx, const struct fixture *f, const char *dir, const char *snap,
		      char *err, size_t len)
{
	(void)f;
	(void)dir;
	return layout_build(ctx, snap, err, len);
}

int check_layout_row(const struct conform_setup *c, const struct layout *l, const char *name,
		     struct conform_row *row, char *err, size_t len)
{
	struct conform_hooks hooks = { .ctx = (void *)l, .extract = build_hook };
	struct conform_setup lc = *c;
	lc.hooks = &hooks;
	lc.k = l->forks;
	lc.race = l->race;
	for (size_t i = 0; l->place && i < conform_nplaces; i++)
		if (strcmp(conform_places[i].name, l->place) == 0)
			lc.place = &conform_places[i];
	struct fixture f = { .name = (char *)name,
			     .umask = (int)l->umask,
			     .refused = layout_refused(l) };
	return f.refused ? conform_refusal(&lc, &f, row, err, len)
			 : conform_fixture(&lc, &f, row, err, len);
}
