/* run.c - one fixture or layout under `snapfork crash` (crash.h): a run
 * to the end counts the points and must make a whole fork (or, refused,
 * nothing); then each chosen point is a run killed there.  Prints what the
 * points left and the first failing point with the command that reruns
 * exactly it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "child.h"
#include "cli.h"
#include "crash.h"

/* The command that reruns point k (0: the run to the end) of src. */
static void rerun(const struct crash_plan *pl, const struct crash_source *src, unsigned k)
{
	char *fc = pl->user_fork ? child_sh_quote(pl->user_fork) : NULL;
	char *cc = pl->user_clean ? child_sh_quote(pl->user_clean) : NULL;
	char *fx = src->rerun ? child_sh_word(src->rerun) : NULL;
	char *sc = pl->scratch ? child_sh_word(pl->scratch) : NULL;
	char which[64] = "", limit[32] = "", point[32] = "";
	if (!src->rerun) /* a layout: gen-I of the seed */
		snprintf(which, sizeof which, " --seed %" PRIu64 " --layout %u", pl->seed,
			 src->index);
	if (pl->timeout)
		snprintf(limit, sizeof limit, " --fork-timeout %u", pl->timeout);
	if (k)
		snprintf(point, sizeof point, " --point %u", k);
	printf("  rerun %s: snapfork crash%s%s%s%s%s%s%s%s%s%s%s\n", k ? "that point" : "it",
	       fc ? " --fork-cmd " : "", fc ? fc : "", cc ? " --clean-cmd " : "", cc ? cc : "",
	       fx ? " --fixture " : "", fx ? fx : "", which, sc ? " --scratch " : "", sc ? sc : "",
	       limit, point);
	free(fc);
	free(cc);
	free(fx);
	free(sc);
}

/* "exit N", "killed by signal N (NAME)", as a wait status says. */
static const char *how_ended(int st, char *buf, size_t len)
{
	if (st == -1)
		snprintf(buf, len, "its end unknown");
	else if (WIFEXITED(st))
		snprintf(buf, len, "exit %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		snprintf(buf, len, "wait status %d", st);
	return buf;
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

/* The fork's own last lines (its output went to cf->log). */
static void log_tail(const struct crash_fixture *cf)
{
	char buf[2048];
	FILE *f = fopen(cf->log, "re");
	size_t n = 0;
	if (f && fseek(f, 0, SEEK_END) == 0) {
		long end = ftell(f);
		fseek(f, end > (long)sizeof buf - 1 ? end - (long)sizeof buf + 1 : 0, SEEK_SET);
		n = fread(buf, 1, sizeof buf - 1, f);
	}
	if (f)
		fclose(f);
	buf[n] = '\0';
	printf("  its output ended:%s%s\n", n ? "\n" : " (nothing)", buf);
}

/* The run to the end: its points, and a whole fork that exits 0 (or, for
 * a snapshot the contract refuses, a failure that leaves nothing). */
static int counting_run(const struct crash_plan *pl, const struct crash_opts *co,
			struct crash_fixture *cf, struct crash_trace *tr)
{
	struct crash_point p;
	char err[1024];
	const char *name = cf->src->name;
	int r = crash_point_run(co, cf, 0, tr, &p, err, sizeof err);
	if (r < 0)
		return fprintf(stderr, "snapfork crash: %s: %s\n", name, err), EXIT_USAGE;
	if (tr->n > CRASH_MAX_POINTS)
		return printf("%s: ERROR: the fork makes %u changes, more than %u\n", name, tr->n,
			      CRASH_MAX_POINTS),
		       EXIT_FAIL;
	int refused = cf->src->refused;
	int exited_ok = tr->status != -1 && WIFEXITED(tr->status) && WEXITSTATUS(tr->status) == 0;
	const char *wrong = refused && p.dst != CS_ABSENT ? "left a DST where the contract refuses "
							    "the snapshot"
			    : refused && exited_ok        ? "reported success where the contract "
							    "refuses the snapshot"
			    : refused                     ? NULL
			    : p.dst == CS_ABSENT          ? "made no DST"
			    : p.dst == CS_PARTIAL         ? "did not make a whole fork"
			    : !exited_ok                  ? "made a fork but did not exit 0"
							  : NULL;
	if (!wrong && p.what[0])
		wrong = "left what it must not";
	char ended[96];
	how_ended(tr->status, ended, sizeof ended);
	if (wrong && !refused && p.dst == CS_ABSENT && WIFEXITED(tr->status) &&
	    (WEXITSTATUS(tr->status) == 126 || WEXITSTATUS(tr->status) == 127)) {
		fprintf(stderr,
			"snapfork crash: %s: setup failed: the fork command cannot be run (%s: not "
			"found or not executable? a relative path is taken from the working "
			"directory)\n",
			name, ended);
		return EXIT_USAGE;
	}
	if (wrong) {
		printf("%s: FAIL before any kill: the fork, run to its end (%s), %s\n  %s\n", name,
		       ended, wrong, p.what[0] ? p.what : "(nothing more)");
		log_tail(cf);
		rerun(pl, cf->src, 0);
		return EXIT_FAIL;
	}
	if (tr->n == 0 && !refused) /* nothing seen is nothing checked */
		return printf("%s: ERROR: no point seen: ptrace saw no call that changes a "
			      "filesystem (PTRACE_GET_SYSCALL_INFO needs Linux 5.3; io_uring and "
			      "writes through mmap are not seen)\n",
			      name),
		       EXIT_FAIL;
	return EXIT_OK;
}

int crash_fixture_main(const struct crash_plan *pl, const struct crash_opts *co,
		       const struct crash_source *src)
{
	const char *name = src->name;
	struct crash_fixture cf;
	char err[1024];
	static const char *names[CRASH_MAX_POINTS];
	struct crash_trace tr = { .name = names, .cap = CRASH_MAX_POINTS };
	if (crash_fixture_open(co, src, &cf, err, sizeof err) < 0) {
		fprintf(stderr, "snapfork crash: %s: %s\n", name, err);
		crash_fixture_close(&cf);
		return EXIT_USAGE;
	}
	int rc = counting_run(pl, co, &cf, &tr);
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
			printf("%s: point %u: there are %u\n", name, pts[i], total);
			rc = EXIT_USAGE;
			break;
		}
		if (crash_point_run(co, &cf, pts[i], &kt, &p, err, sizeof err) < 0) {
			fprintf(stderr, "snapfork crash: %s: point %u: %s\n", name, pts[i], err);
			rc = EXIT_USAGE;
			break;
		}
		if (!kt.killed && !p.what[0])
			snprintf(p.what, sizeof p.what, "the run met only %u points: not killed",
				 kt.n);
		count(&t, pts[i], pts[i] <= total ? names[pts[i] - 1] : "?", &p);
		if ((i + 1) % 50 == 0)
			fprintf(stderr, "crash: %s: %zu/%zu points\n", name, i + 1, np);
	}
	if (rc == EXIT_OK || t.tried)
		printf("%-20s %6u points, %u tried: DST absent %u, complete %u, partial %u; SRC "
		       "changed %u; left something %u, not cleaned %u -- %s\n",
		       name, total, t.tried, t.state[CS_ABSENT], t.state[CS_COMPLETE],
		       t.state[CS_PARTIAL], t.src, t.debris, t.left, t.bad ? "FAIL" : "pass");
	if (t.bad) {
		printf("  first failing point: %u of %u (before %s): %s\n", t.first, total,
		       t.first_call, t.first_what);
		rerun(pl, src, t.first);
		rc = rc == EXIT_USAGE ? rc : EXIT_FAIL;
	}
	free(pts);
	crash_fixture_close(&cf);
	return rc;
}
