/* run.c - a run of the conformance check: the machine it runs on, each
 * fixture's row, and the reference library as a fork function. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "child.h"
#include "conform.h"
#include "snapfork.h"
#include "steps.h"

/* The reference implementation, in process.  On success msg says how
 * the mem-file got there, and why when it was not linked. */
int conform_fork_ref(void *ctx, const char *src, const char *dst, char *msg, size_t len)
{
	(void)ctx;
	struct snapfork_report rep = SNAPFORK_REPORT_INIT;
	int r = snapfork_fork(src, dst, NULL, &rep);
	if (r < 0)
		snprintf(msg, len, "%s: %s (%s: %s)", rep.error_path,
			 rep.error_reason ? rep.error_reason : "", strerrorname_np(-r),
			 strerror(-r));
	else if (rep.mem_fallback_errno)
		snprintf(msg, len, "mem-file via %s; fallback: %s (%s: %s)",
			 snapfork_via_name(rep.mem_via),
			 rep.mem_fallback_reason ? rep.mem_fallback_reason : "",
			 strerrorname_np(rep.mem_fallback_errno), strerror(rep.mem_fallback_errno));
	else if (rep.kind != SNAPFORK_KIND_MEMORYLESS)
		snprintf(msg, len, "mem-file via %s", snapfork_via_name(rep.mem_via));
	return r;
}

/* The mount's options, then the superblock's that it does not repeat
 * ("rw,relatime" and "rw,discard" give "rw,relatime,discard"). */
static void merge_options(const char *mnt, const char *super, char *out, size_t len)
{
	size_t k = (size_t)snprintf(out, len, "%s", mnt);
	for (const char *p = super; *p && k < len; p += strcspn(p, ",") + (p[strcspn(p, ",")] == ',')) {
		size_t n = strcspn(p, ",");
		int seen = 0;
		for (const char *q = mnt; *q && !seen; q += strcspn(q, ",") + (q[strcspn(q, ",")] == ','))
			seen = strcspn(q, ",") == n && strncmp(q, p, n) == 0;
		if (!seen)
			k += (size_t)snprintf(out + k, len - k, ",%.*s", (int)n, p);
	}
}

/* The mount holding path: options from /proc/self/mountinfo (the
 * longest mount point that is a prefix of the path). */
static void mount_options(const char *path, char *out, size_t len)
{
	char real[PATH_MAX], line[8192], best[PATH_MAX] = "";
	snprintf(out, len, "unknown");
	if (!realpath(path, real))
		return;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	while (f && fgets(line, sizeof line, f)) {
		char mnt[PATH_MAX], opts[1024], super[1024] = "", *dash = strstr(line, " - ");
		if (sscanf(line, "%*s %*s %*s %*s %4095s %1023s", mnt, opts) != 2 || !dash)
			continue;
		sscanf(dash + 3, "%*s %*s %1023s", super);
		size_t n = strlen(mnt);
		int prefix = strcmp(mnt, "/") == 0 ||
			     (strncmp(real, mnt, n) == 0 && (real[n] == '/' || real[n] == '\0'));
		if (prefix && n >= strlen(best)) {
			snprintf(best, sizeof best, "%s", mnt);
			merge_options(opts, super, out, len);
		}
	}
	if (f)
		fclose(f);
}

void conform_describe(struct conform_run *run, const char *scratch)
{
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(run->kernel, sizeof run->kernel, "%s %s", u.sysname, u.release);
	snprintf(run->scratch, sizeof run->scratch, "%s", scratch);
	mount_options(scratch, run->mount_options, sizeof run->mount_options);
	struct snapfork_probe p = SNAPFORK_PROBE_INIT;
	if (snapfork_probe_at(AT_FDCWD, scratch, &p) == 0) {
		snprintf(run->fstype, sizeof run->fstype, "%s", p.fstype);
		snprintf(run->capabilities, sizeof run->capabilities,
			 "hardlink=%s reflink=%s seek_hole=%s copy_file_range=%s link_max=%ld",
			 p.hardlink ? "no" : "yes", p.reflink ? "no" : "yes",
			 p.seek_hole ? "no" : "yes", p.copy_range ? "no" : "yes", p.link_max);
	}
}

/* The rows of a run, in order: each fixture's; each again with K forks
 * at once; the refusal rows' fixture under each place and with two forks
 * racing into one DST (not where a leg prepares snapshots its own way:
 * extracted into an overlay, a mem-file made immutable, links to the
 * limit); then the refusal rows: a FIFO planted and (unless the leg
 * plants its own failure) a device node. */
enum row_kind { ROW_FIXTURE, ROW_CONCURRENT, ROW_PLACE, ROW_RACE, ROW_REFUSAL, ROW_DEVICE };
struct row_plan {
	enum row_kind kind;
	const struct fixture *f;
	const struct conform_place *place;
};

static size_t plan_rows(const struct conform_setup *c, const struct fixture *fx, size_t n,
			const struct fixture *refusal, struct row_plan *p)
{
	const struct conform_hooks *h = c->hooks;
	int own = h && (h->extract || h->prepare || h->plant);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		p[k++] = (struct row_plan){ ROW_FIXTURE, &fx[i], NULL };
	for (size_t i = 0; i < n && !own; i++)
		if (!fx[i].refused)
			p[k++] = (struct row_plan){ ROW_CONCURRENT, &fx[i], NULL };
	if (refusal && n > 0 && !refusal->refused && !own) {
		for (size_t i = 0; i < conform_nplaces; i++)
			p[k++] = (struct row_plan){ ROW_PLACE, refusal, &conform_places[i] };
		p[k++] = (struct row_plan){ ROW_RACE, refusal, NULL };
	}
	if (refusal)
		p[k++] = (struct row_plan){ ROW_REFUSAL, refusal, NULL };
	if (refusal && !(h && h->plant))
		p[k++] = (struct row_plan){ ROW_DEVICE, refusal, NULL };
	return k;
}

static const char *const kind_prefix[] = { "", "concurrent:", "", "race:", "refusal:",
					   "refusal-device:" };

static int row_of(const struct conform_setup *c, const struct row_plan *p,
		  struct conform_row *row, char *err, size_t len)
{
	struct conform_setup rc = *c;
	switch (p->kind) {
	case ROW_FIXTURE:
		return p->f->refused ? conform_refusal(c, p->f, row, err, len)
				     : conform_fixture(c, p->f, row, err, len);
	case ROW_CONCURRENT:
		rc.k = c->concurrency ? c->concurrency : CONFORM_K;
		return conform_fixture(&rc, p->f, row, err, len);
	case ROW_PLACE:
		rc.place = p->place;
		return conform_fixture(&rc, p->f, row, err, len);
	case ROW_RACE:
		rc.race = 1;
		return conform_fixture(&rc, p->f, row, err, len);
	case ROW_REFUSAL:
		return conform_refusal(c, p->f, row, err, len);
	default:
		return conform_refusal_device(c, p->f, row, err, len);
	}
}

int conform_run_fixtures(struct conform_run *run, const struct conform_setup *c,
			 const struct fixture *fx, size_t n, const struct fixture *refusal)
{
	struct row_plan *plan = calloc(2 * n + conform_nplaces + 4, sizeof *plan);
	size_t total = plan ? plan_rows(c, fx, n, refusal, plan) : 0;
	run->rows = calloc(total ? total : 1, sizeof *run->rows);
	if (!plan || !run->rows) {
		free(plan);
		return -1;
	}
	char err[1024];
	int r = 0;
	for (size_t i = 0; i < total && r == 0; i++) {
		const struct row_plan *p = &plan[i];
		fprintf(stderr, "check: %s%s%s ...\n", p->place ? p->place->name : "",
			p->place ? ":" : kind_prefix[p->kind], p->f->name);
		if (child_interrupted()) { /* the command stops its children and says so */
			snprintf(run->setup_error, sizeof run->setup_error,
				 "stopped by signal %d before %s", child_interrupted(), p->f->name);
			r = -1;
			break;
		}
		double t0 = conform_now_ms();
		r = row_of(c, p, &run->rows[i], err, sizeof err);
		run->rows[i].row_ms = conform_now_ms() - t0;
		run->n = i + 1;
		if (r < 0) {
			if (r != -EINTR) /* the command says it was stopped */
				fprintf(stderr, "snapfork check: %s: setup failed: %s\n", p->f->name,
					err);
			snprintf(run->setup_error, sizeof run->setup_error, "%s: %s", p->f->name, err);
			r = -1;
		}
	}
	free(plan);
	return r;
}

int conform_run_failed(const struct conform_run *run)
{
	for (size_t i = 0; i < run->n; i++)
		if (conform_row_failed(&run->rows[i]))
			return 1;
	return 0;
}

void conform_run_free(struct conform_run *run)
{
	for (size_t i = 0; i < run->n; i++)
		conform_row_free(&run->rows[i]);
	free(run->rows);
	run->rows = NULL;
	run->n = 0;
}
