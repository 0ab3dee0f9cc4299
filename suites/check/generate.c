/* generate.c - `snapfork check --generate N`: N layouts drawn from a seed,
 * each forked by the implementation under test and judged on every rule
 * exactly as a fixture row is; a summary per rule, every failure with its
 * path, expected and found, and each failing rule's first layout shrunk to
 * a fixture that reproduces it. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "child.h"
#include "cli.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Per rule: the first layout that failed it (shrunk later), or -1. */
struct failures {
	long first[JUDGE_RULES + 1];
	unsigned count;
};

/* A failing row keeps its trees only if it is the first to fail a rule
 * (200 kept trees help nobody), unless --keep asked for every row's. */
static void note_row(struct failures *fl, struct conform_row *row, unsigned i, int keep)
{
	int first = 0;
	for (int rule = 1; rule <= JUDGE_RULES; rule++)
		if (row->cell[rule] == CONFORM_FAIL && !judge_rule_is_should(rule) &&
		    fl->first[rule] < 0) {
			fl->first[rule] = (long)i;
			first = 1;
		}
	fl->count += (unsigned)conform_row_failed(row);
	if (row->kept && !first && !keep) {
		judge_remove_tree(row->kept);
		free(row->kept);
		row->kept = NULL;
	}
}

static void progress(unsigned i, unsigned n, unsigned failing, double t0, int final)
{
	double rate = (double)i / (now_s() - t0 + 1e-9);
	fflush(stdout); /* stdout's lines first where both go to one log (CI) */
	if (isatty(2))
		fprintf(stderr, "\rcheck: layout %u/%u, %u failing, %.1f layouts/s%s", i, n,
			failing, rate, final ? "\n" : "");
	else if (final || i % 25 == 0)
		fprintf(stderr, "check: layout %u/%u, %u failing, %.1f layouts/s\n", i, n, failing,
			rate);
}

/* Every layout, its row added to run; dimensions hit into hit. */
static int run_layouts(const struct check_opts *o, const struct conform_setup *c,
		       struct conform_run *run, unsigned char *hit, struct failures *fl)
{
	int devices = o->devices;
	double t0 = now_s();
	run->rows = calloc(o->generate ? o->generate : 1, sizeof *run->rows);
	if (!run->rows)
		return -ENOMEM;
	for (unsigned i = 0; i < o->generate; i++) {
		struct layout l;
		char name[64], err[1024];
		if (layout_generate(o->seed, i, devices, &l) < 0)
			return -ENOMEM;
		for (size_t d = 0; d < layout_ndims(); d++)
			hit[d] |= l.hit[d];
		snprintf(name, sizeof name, "gen-%u", i);
		double t = now_s();
		int r = child_interrupted() ? -EINTR
					    : check_layout_row(c, &l, name, &run->rows[i], err, sizeof err);
		run->rows[i].row_ms = (now_s() - t) * 1e3;
		layout_free(&l);
		if (r == -EINTR && !run->rows[i].name) /* stopped before the row began */
			return r;
		run->n = i + 1;
		if (r < 0) {
			snprintf(run->setup_error, sizeof run->setup_error, "%s: %s", name, err);
			if (r != -EINTR) /* the command says it was stopped */
				fprintf(stderr, "\nsnapfork check: %s: setup failed: %s\n", name,
					err);
			return r;
		}
		note_row(fl, &run->rows[i], i, o->keep);
		int stop = o->fail_fast && fl->count > 0;
		progress(i + 1, o->generate, fl->count, t0, i + 1 == o->generate || stop);
		if (stop)
			break;
	}
	fprintf(stdout, "layouts/s: %.1f (%zu layouts in %.1f s)\n",
		(double)run->n / (now_s() - t0), run->n, now_s() - t0);
	return 0;
}

/* The table per rule over every layout, then each failure's details. */
static void print_summary(const struct conform_run *run)
{
	printf("\n%-5s %-6s %6s %6s %6s %6s %6s  %s\n", "rule", "level", "pass", "FAIL", "warn",
	       "skip", "n/a", "title");
	for (int rule = 1; rule <= JUDGE_RULES; rule++) {
		unsigned k[4] = { 0 };
		for (size_t i = 0; i < run->n; i++)
			k[run->rows[i].cell[rule]]++;
		int should = judge_rule_is_should(rule); /* its failures are warnings */
		printf("F%-4d %-6s %6u %6u %6u %6u %6u  %s\n", rule, should ? "SHOULD" : "MUST",
		       k[CONFORM_PASS], should ? 0 : k[CONFORM_FAIL], should ? k[CONFORM_FAIL] : 0,
		       k[CONFORM_SKIP], k[CONFORM_NA], judge_rule_title(rule));
	}
	/* Each failing rule's first layouts in full; the rest are in --json. */
	unsigned shown[JUDGE_RULES + 1] = { 0 };
	for (size_t i = 0; i < run->n; i++) {
		const struct conform_row *row = &run->rows[i];
		for (int rule = 1; rule <= JUDGE_RULES; rule++) {
			if (row->cell[rule] != CONFORM_FAIL || shown[rule]++ >= 3)
				continue;
			printf("\n%s F%d %s:\n", row->name, rule,
			       judge_rule_is_should(rule) ? "warn" : "FAIL");
			conform_print_detail(stdout, row->detail[rule], 4);
		}
	}
	for (int rule = 1; rule <= JUDGE_RULES; rule++)
		if (shown[rule] > 3)
			printf("\n(F%d: %u more layout%s fail%s it; every one is in --json)\n", rule,
			       shown[rule] - 3, shown[rule] - 3 == 1 ? "" : "s",
			       shown[rule] - 3 == 1 ? "s" : "");
}

/* Hit out of the dimensions that can be drawn here; those that cannot
 * are named with the reason. */
static void print_dimensions(const unsigned char *hit, int devices)
{
	size_t k = 0, n = layout_ndims(), out = 0;
	for (size_t i = 0; i < n; i++) {
		k += hit[i];
		out += !devices && layout_dim_needs_devices(i);
	}
	printf("dimensions hit: %zu/%zu%s\n", k, n - out,
	       out ? " (of those that can be drawn here)" : "");
	for (size_t i = 0; i < n; i++)
		if (!devices && layout_dim_needs_devices(i))
			printf("  out: %s: %s (mknod fails here: device nodes need CAP_MKNOD)\n",
			       layout_dim(i)->dimension, layout_dim(i)->value);
		else if (!hit[i])
			printf("  not hit: %s: %s\n", layout_dim(i)->dimension, layout_dim(i)->value);
}

/* Shrink each failing rule's first layout into scratch/shrunk and print
 * the command that reproduces it. */
static void shrink_failures(const struct check_opts *o, const struct conform_setup *c,
			    const char *scratch, const struct failures *fl, const char *repro);

int check_generate(const struct check_opts *o, const struct conform_setup *c, const char *scratch,
		   struct conform_run *run)
{
	unsigned char *hit = calloc(layout_ndims(), 1);
	struct failures fl = { .count = 0 };
	for (int rule = 0; rule <= JUDGE_RULES; rule++)
		fl.first[rule] = -1;
	if (!hit)
		return EXIT_USAGE;
	int r = run_layouts(o, c, run, hit, &fl);
	if (r == 0) {
		print_summary(run);
		printf("\n");
		print_dimensions(hit, o->devices);
		if (!o->no_shrink)
			shrink_failures(o, c, scratch, &fl, run->repro);
	}
	free(hit);
	if (r < 0)
		return EXIT_USAGE;
	printf("\ncheck: seed %" PRIu64 ", %zu layouts, %u failing -- %s\n", o->seed, run->n,
	       fl.count,
	       fl.count ? "the fork implementation violates the contract"
			: "every MUST rule holds");
	return fl.count ? EXIT_FAIL : EXIT_OK;
}

static void shrink_one(const struct check_opts *o, const struct conform_setup *c, const char *dir,
		       unsigned index, int rule, const char *repro)
{
	struct layout l, small;
	unsigned trials = 0;
	char err[1024], snap[PATH_MAX], tar[PATH_MAX + 8], desc[256];
	if (layout_generate(o->seed, index, o->devices, &l) < 0)
		return;
	fflush(stdout); /* the table so far before this line, where both go to one log */
	fprintf(stderr, "check: shrinking gen-%u (F%d, %zu entries)...\n", index, rule, l.n);
	struct conform_setup sc = *c;
	sc.keep = 0;
	if (check_shrink(&sc, &l, rule, &small, &trials) == 0) {
		snprintf(snap, sizeof snap, "%.3800s/gen-%" PRIu64 "-%u-F%d", dir, o->seed, index, rule);
		snprintf(tar, sizeof tar, "%s.tar", snap);
		char how[96] = "", conc[32] = "";
		if (small.forks > 1)
			snprintf(conc, sizeof conc, " --concurrency %u", small.forks);
		if (small.forks > 1)
			snprintf(how, sizeof how, " (%u forks at once%s%s)", small.forks,
				 small.place ? ", under " : "", small.place ? small.place : "");
		else if (small.race)
			snprintf(how, sizeof how, " (a race into one DST%s%s)",
				 small.place ? ", under " : "", small.place ? small.place : "");
		else if (small.place)
			snprintf(how, sizeof how, " (under %s)", small.place);
		snprintf(desc, sizeof desc,
			 "generated: seed %" PRIu64 " layout %u, shrunk from %zu to %zu entries "
			 "failing F%d%s",
			 o->seed, index, layout_count(&l), layout_count(&small), rule, how);
		struct fixture_meta meta = { (int)small.umask, layout_refused(&small), desc };
		if (layout_build(&small, snap, err, sizeof err) < 0 ||
		    fixture_capture(snap, tar, 0, &meta, err, sizeof err) < 0) {
			fprintf(stderr, "snapfork check: shrinking gen-%u: %s\n", index, err);
		} else {
			char *q = child_sh_word(tar);
			printf("\nF%d: gen-%u shrunk from %zu to %zu entries%s (%u trials): %s\n"
			       "  reproduce with: %s --fixture %s%s\n",
			       rule, index, layout_count(&l), layout_count(&small), how, trials,
			       tar, repro, q ? q : tar, conc);
			free(q);
		}
		judge_remove_tree(snap);
		layout_free(&small);
	}
	layout_free(&l);
}

static void shrink_failures(const struct check_opts *o, const struct conform_setup *c,
			    const char *scratch, const struct failures *fl, const char *repro)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/shrunk", scratch);
	for (int rule = 1; rule <= JUDGE_RULES; rule++) {
		if (fl->first[rule] < 0 || child_interrupted())
			continue;
		/* One layout may fail several rules: shrink it once per rule. */
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return;
		shrink_one(o, c, dir, (unsigned)fl->first[rule], rule, repro);
	}
}

uint64_t check_random_seed(void)
{
	uint64_t s = 0;
	if (getrandom(&s, sizeof s, 0) != sizeof s)
		s = (uint64_t)time(NULL) ^ (uint64_t)getpid() << 32;
	return s % 1000000000ull; /* short enough to type */
}
