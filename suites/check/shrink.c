/* shrink.c - a failing layout reduced to a small one that fails the same
 * rule: delta debugging (Zeller and Hildebrandt, "Simplifying and
 * Isolating Failure-Inducing Input", 2002) over the entries, then one
 * attribute at a time (size and data, mode, name, depth), then the
 * layout's umask and root mode, then entries once more; first of all,
 * fewer forks at once and the tidy place where the failure allows.  Each trial
 * builds the candidate and runs it through the conformance check. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "child.h"

#define MAX_TRIALS 600

struct shrink {
	const struct conform_setup *c;
	int rule;
	unsigned trials;
};

static int fails(struct shrink *s, const struct layout *l)
{
	if (s->trials >= MAX_TRIALS || child_interrupted())
		return 0;
	s->trials++;
	struct conform_row row;
	char err[1024];
	int r = check_layout_row(s->c, l, "shrink", &row, err, sizeof err);
	int bad = r == 0 && row.cell[s->rule] == CONFORM_FAIL;
	if (row.kept)
		judge_remove_tree(row.kept);
	conform_row_free(&row);
	return bad;
}

/* Is path equal to or below dir? */
static int under(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* Entry i leaves, with what cannot be without it: what lies below a
 * directory, the other names of a file. */
static void drop(struct layout *l, size_t i)
{
	const char *p = l->e[i].path;
	for (size_t k = 0; k < l->n; k++) {
		struct layout_entry *e = &l->e[k];
		if (!e->gone && (under(e->path, p) ||
				 (e->type == LT_HARDLINK && e->target && under(e->target, p))))
			e->gone = 1;
	}
	l->e[i].gone = 1;
}

/* Try l without the alive entries [from, to) of its alive list. */
static int try_without(struct shrink *s, struct layout *l, const size_t *alive, size_t from,
		       size_t to)
{
	struct layout cand;
	if (layout_copy(l, &cand) < 0)
		return 0;
	for (size_t k = from; k < to; k++)
		if (!cand.e[alive[k]].gone)
			drop(&cand, alive[k]);
	int ok = fails(s, &cand);
	if (ok) {
		layout_free(l);
		*l = cand;
	} else {
		layout_free(&cand);
	}
	return ok;
}

static size_t alive_list(const struct layout *l, size_t *alive)
{
	size_t n = 0;
	for (size_t i = 0; i < l->n; i++)
		if (!l->e[i].gone)
			alive[n++] = i;
	return n;
}

/* ddmin over entries: remove chunks, halving them until single entries. */
static void ddmin(struct shrink *s, struct layout *l)
{
	size_t *alive = calloc(l->n ? l->n : 1, sizeof *alive);
	size_t chunks = 2;
	while (alive && s->trials < MAX_TRIALS) {
		size_t n = alive_list(l, alive);
		if (n == 0)
			break;
		if (chunks > n)
			chunks = n;
		int reduced = 0;
		for (size_t c = 0; c < chunks && !reduced; c++)
			reduced = try_without(s, l, alive, n * c / chunks, n * (c + 1) / chunks);
		if (reduced)
			chunks = chunks > 2 ? chunks - 1 : 2;
		else if (chunks == n)
			break;
		else
			chunks = chunks * 2 > n ? n : chunks * 2;
	}
	free(alive);
}

/* Try one change to entry i (made by change on a copy); keep it if the
 * rule still fails. */
static void try_change(struct shrink *s, struct layout *l, size_t i,
		       int (*change)(struct layout *, size_t))
{
	struct layout cand;
	if (layout_copy(l, &cand) < 0)
		return;
	if (change(&cand, i) && fails(s, &cand)) {
		layout_free(l);
		*l = cand;
	} else {
		layout_free(&cand);
	}
}

static int no_data(struct layout *l, size_t i)
{
	struct layout_entry *e = &l->e[i];
	if (e->type != LT_REG || (e->size == 0 && e->next == 0))
		return 0;
	e->size = 0;
	e->next = 0;
	return 1;
}

static int small_data(struct layout *l, size_t i)
{
	struct layout_entry *e = &l->e[i];
	if (e->type != LT_REG || e->size <= 4096 || e->codec != LC_RAW)
		return 0;
	e->size = 4096;
	e->next = 1;
	e->ext[0] = (struct layout_extent){ 0, 4096 };
	return 1;
}

static int plain_mode(struct layout *l, size_t i)
{
	struct layout_entry *e = &l->e[i];
	unsigned want = e->type == LT_DIR ? 0755 : 0644;
	if (e->mode == want || e->type == LT_SYMLINK || e->type == LT_HARDLINK)
		return 0;
	e->mode = want;
	return 1;
}

/* Is path a name others depend on (a directory's, a link's target)? */
static int depended_on(const struct layout *l, size_t i)
{
	/* Paths are unique: under() of another entry means below this one. */
	const char *p = l->e[i].path;
	for (size_t k = 0; k < l->n; k++)
		if (k != i && !l->e[k].gone &&
		    (under(l->e[k].path, p) ||
		     (l->e[k].type == LT_HARDLINK && strcmp(l->e[k].target, p) == 0)))
			return 1;
	return 0;
}

static int taken(const struct layout *l, const char *path)
{
	for (size_t k = 0; k < l->n; k++)
		if (!l->e[k].gone && strcmp(l->e[k].path, path) == 0)
			return 1;
	return 0;
}

/* A leaf moved to the top under its own name (less depth), or renamed
 * short (a plain name): new path into e. */
static int move_leaf(struct layout *l, size_t i, int to_top)
{
	struct layout_entry *e = &l->e[i];
	if (depended_on(l, i))
		return 0;
	const char *slash = strrchr(e->path, '/');
	char path[4096];
	if (to_top) {
		if (!slash)
			return 0;
		snprintf(path, sizeof path, "%s", slash + 1);
	} else {
		const char *base = slash ? slash + 1 : e->path;
		if (strlen(base) <= 4)
			return 0;
		snprintf(path, sizeof path, "%.*ss%zu", slash ? (int)(slash - e->path + 1) : 0,
			 e->path, i);
	}
	char *p = strdup(path);
	if (!p || taken(l, path)) {
		free(p);
		return 0;
	}
	free(e->path);
	e->path = p;
	return 1;
}

static int hoist(struct layout *l, size_t i)
{
	return move_leaf(l, i, 1);
}

static int rename_short(struct layout *l, size_t i)
{
	return move_leaf(l, i, 0);
}

static void attributes(struct shrink *s, struct layout *l)
{
	int (*const changes[])(struct layout *, size_t) = { no_data, small_data, plain_mode, hoist,
							    rename_short };
	for (size_t c = 0; c < sizeof changes / sizeof changes[0]; c++)
		for (size_t i = 0; i < l->n && s->trials < MAX_TRIALS; i++)
			if (!l->e[i].gone)
				try_change(s, l, i, changes[c]);
	struct layout cand;
	if ((l->umask != 022 || l->root_mode != 0755) && layout_copy(l, &cand) == 0) {
		cand.umask = 022;
		cand.root_mode = 0755;
		if (fails(s, &cand)) {
			layout_free(l);
			*l = cand;
		} else {
			layout_free(&cand);
		}
	}
}

/* How the layout is forked, back to plain where the failure allows: fewer
 * forks at once (1, then 2, then 4), one fork for a race, then the tidy
 * place.  First, as a
 * trial with one fork is K times cheaper. */
static void plain_how(struct shrink *s, struct layout *l)
{
	static const unsigned fewer[] = { 1, 2, 4 };
	for (size_t i = 0; i < sizeof fewer / sizeof *fewer && l->forks > fewer[i]; i++) {
		struct layout cand;
		if (layout_copy(l, &cand) < 0)
			return;
		cand.forks = fewer[i];
		if (fails(s, &cand)) {
			layout_free(l);
			*l = cand;
			break;
		}
		layout_free(&cand);
	}
	struct layout cand;
	if (l->race && layout_copy(l, &cand) == 0) {
		cand.race = 0;
		if (fails(s, &cand)) {
			layout_free(l);
			*l = cand;
		} else {
			layout_free(&cand);
		}
	}
	if (l->place && layout_copy(l, &cand) == 0) {
		cand.place = NULL;
		if (fails(s, &cand)) {
			layout_free(l);
			*l = cand;
		} else {
			layout_free(&cand);
		}
	}
}

int check_shrink(const struct conform_setup *c, const struct layout *l, int rule,
		 struct layout *out, unsigned *trials)
{
	struct shrink s = { c, rule, 0 };
	if (layout_copy(l, out) < 0)
		return -ENOMEM;
	if (!fails(&s, out)) { /* a failure that does not come back: nothing to shrink */
		*trials = s.trials;
		layout_free(out);
		return -EAGAIN;
	}
	plain_how(&s, out);
	ddmin(&s, out);
	attributes(&s, out);
	ddmin(&s, out);
	*trials = s.trials;
	return 0;
}
