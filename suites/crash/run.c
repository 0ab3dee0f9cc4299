/* run.c - one fixture under `snapfork crash` (crash.h): a run to the end
 * counts the points and must make a whole fork; then each chosen point is
 * a run killed there.  Prints what the points left and the first failing
 * point with the command that reruns exactly it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"
#include "cli.h"
#include "crash.h"

static void rerun(const struct crash_plan *pl, const struct fixture *f, unsigned k)
{
	char *fc = pl->user_fork ? child_sh_quote(pl->user_fork) : NULL;
	char *cc = pl->user_clean ? child_sh_quote(pl->user_clean) : NULL;
	char *fx = child_sh_word(f->name && f->tar && strstr(f->tar, "/fixtures/data/") ? f->name
										       : f->tar);
	printf("  rerun that point: snapfork crash%s%s%s%s --fixture %s --point %u\n",
	       fc ? " --fork-cmd " : "", fc ? fc : "", cc ? " --clean-cmd " : "", cc ? cc : "",
	       fx ? fx : f->name, k);
	free(fc);
	free(cc);
	free(fx);
}

struct tally {
	unsigned tried, state[3], src, debris, left, bad, first;
	const char *first_call;
	char first_what[1024];
};

static void count(struct tally *t, unsigned k, const char *call, const struct crash_point *p)
{
	t->tried++;
	t->state[p->dst]++;
	t->src += (unsigned)p->src_changed;
	t->debris += p->debris > 0;
	t->left += (unsigned)p->not_cleaned;
	int bad = p->dst == CS_PARTIAL || p->src_changed || p->not_cleaned || p->what[0];
	t->bad += (unsigned)bad;
	if (bad && !t->first) {
		t->first = k;
		t->first_call = call;
		snprintf(t->first_what, sizeof t->first_what, "%s", p->what);
	}
}

static int counting_run(const struct crash_opts *co, struct crash_fixture *cf,
			struct crash_trace *tr)
{
	struct crash_point p;
	char err[1024];
	int r = crash_point_run(co, cf, 0, tr, &p, err, sizeof err);
	if (r < 0)
		return fprintf(stderr, "snapfork crash: %s: %s\n", cf->f->name, err), EXIT_USAGE;
	if (tr->n > CRASH_MAX_POINTS)
		return printf("%s: ERROR: the fork makes %u changes, more than %u\n", cf->f->name,
			      tr->n, CRASH_MAX_POINTS), EXIT_FAIL;
	if (p.dst != CS_COMPLETE || p.what[0]) {
		printf("%s: FAIL before any kill: the fork, run to its end (wait status %d), %s\n"
		       "  %s\n",
		       cf->f->name, tr->status,
		       p.dst == CS_ABSENT ? "made no DST" : "did not make a whole fork",
		       p.what[0] ? p.what : "(nothing more)");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int crash_fixture_main(const struct crash_plan *pl, const struct crash_opts *co,
		       const struct fixture *f)
{
	struct crash_fixture cf;
	char err[1024];
	static const char *names[CRASH_MAX_POINTS];
	struct crash_trace tr = { .name = names, .cap = CRASH_MAX_POINTS };
	if (crash_fixture_open(co, f, &cf, err, sizeof err) < 0) {
		fprintf(stderr, "snapfork crash: %s: %s\n", f->name, err);
		crash_fixture_close(&cf);
		return EXIT_USAGE;
	}
	int rc = counting_run(co, &cf, &tr);
	unsigned total = tr.n, *pts = calloc(total ? total : 1, sizeof *pts);
	size_t np = 0;
	if (rc == EXIT_OK && pts) {
		if (pl->point)
			pts[np++] = pl->point;
		else
			np = crash_points(total, names, pl->max, pl->seed, pts);
	}
	struct tally t = { 0 };
	for (size_t i = 0; rc == EXIT_OK && i < np && !child_interrupted(); i++) {
		struct crash_trace kt = { 0 };
		struct crash_point p;
		if (pts[i] > total) {
			printf("%s: point %u: there are %u\n", f->name, pts[i], total);
			rc = EXIT_USAGE;
			break;
		}
		if (crash_point_run(co, &cf, pts[i], &kt, &p, err, sizeof err) < 0) {
			fprintf(stderr, "snapfork crash: %s: point %u: %s\n", f->name, pts[i], err);
			rc = EXIT_USAGE;
			break;
		}
		if (!kt.killed && !p.what[0])
			snprintf(p.what, sizeof p.what, "the run met only %u points: not killed", kt.n);
		count(&t, pts[i], pts[i] <= total ? names[pts[i] - 1] : "?", &p);
		if ((i + 1) % 50 == 0)
			fprintf(stderr, "crash: %s: %zu/%zu points\n", f->name, i + 1, np);
	}
	if (rc == EXIT_OK)
		printf("%-20s %6u points, %zu tried: DST absent %u, complete %u, partial %u; SRC "
		       "changed %u; left something %u, not cleaned %u -- %s\n",
		       f->name, total, np, t.state[CS_ABSENT], t.state[CS_COMPLETE],
		       t.state[CS_PARTIAL], t.src, t.debris, t.left, t.bad ? "FAIL" : "pass");
	if (t.bad) {
		printf("  first failing point: %u of %u (before %s): %s\n", t.first, total,
		       t.first_call, t.first_what);
		rerun(pl, f, t.first);
		rc = EXIT_FAIL;
	}
	free(pts);
	crash_fixture_close(&cf);
	return rc;
}
